"""Articles and their categories. The approved-comment count is a projection of comment events."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Enum, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import ApiTokenMixin, OutboxMixin, ProcessedEventMixin, UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class CommentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ModerationMode(StrEnum):
    PRE = "pre"  # hold every comment until screening clears it
    POST = "post"  # show at once unless screening flags it


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


article_categories = Table(
    "article_categories",
    Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_status_published", "status", "published_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    hero_image_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    hero_image_alt: Mapped[str] = mapped_column(String(300), default="")
    source_name: Mapped[str] = mapped_column(String(200), default="")
    source_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    author: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ArticleStatus] = mapped_column(_enum(ArticleStatus), default=ArticleStatus.DRAFT)
    comment_status: Mapped[CommentStatus] = mapped_column(_enum(CommentStatus), default=CommentStatus.OPEN)
    moderation_mode: Mapped[ModerationMode] = mapped_column(_enum(ModerationMode), default=ModerationMode.PRE)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_comment_count: Mapped[int] = mapped_column(Integer, default=0)
    #: bumped on every change; consumers keep the highest revision they have seen
    revision: Mapped[int] = mapped_column(Integer, default=1)

    categories: Mapped[list[Category]] = relationship(secondary=article_categories, lazy="selectin",
                                                      order_by=Category.name)


class Outbox(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class ApiToken(ApiTokenMixin, Base):
    pass
