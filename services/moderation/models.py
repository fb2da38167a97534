"""What the moderation service keeps: article text for the context check, and every verdict."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import OutboxMixin, ProcessedEventMixin, UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class ArticleText(Base):
    """Plain text of each article, from article events: quotes of it are not held against readers."""

    __tablename__ = "article_texts"
    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer)


class VerdictRecord(Base):
    """One verdict per comment revision: screening twice in effect is impossible by key."""

    __tablename__ = "verdicts"
    __table_args__ = (UniqueConstraint("comment_id", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    article: Mapped[str] = mapped_column(String(200))
    author_key: Mapped[str] = mapped_column(String(64), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reasons: Mapped[list] = mapped_column(JSON)
    scores: Mapped[dict] = mapped_column(JSON)
    policy_version: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Outbox(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass
