"""Comments, votes, flags, the moderation log and the local projection of articles."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import ApiTokenMixin, OutboxMixin, ProcessedEventMixin, UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class CommentStatus(StrEnum):
    PENDING = "pending"  # waiting for screening or, when held, for a moderator
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    REMOVED = "removed"  # taken down by a moderator after approval
    DELETED = "deleted"  # withdrawn by its author


class FlagReason(StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    HATE = "hate"
    THREAT = "threat"
    OFF_TOPIC = "off_topic"
    MISINFORMATION = "misinformation"
    OTHER = "other"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"


class Actor(StrEnum):
    SCREENING = "screening"
    READERS = "readers"  # flags reaching the hold threshold
    AUTHOR = "author"


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ArticleProjection(Base):
    """What this service knows about an article, built from article events only."""

    __tablename__ = "articles"
    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20))
    comment_status: Mapped[str] = mapped_column(String(20))
    moderation_mode: Mapped[str] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(Integer)
    approved_count: Mapped[int] = mapped_column(Integer, default=0)
    #: bumped whenever anything a reader sees in the thread changes; the ETag and cache key
    thread_version: Mapped[int] = mapped_column(Integer, default=0)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_top_votes", "article", "parent_id", "status", "score", "id"),
        Index("ix_comments_top_id", "article", "parent_id", "status", "id"),
        Index("ix_comments_root", "root_id", "status", "id"),
        Index("ix_comments_queue", "held", "status", "id"),
        Index("ix_comments_author", "author_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), nullable=True)
    root_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: ancestor ids from the root down, "/"-separated; depth = number of ancestors
    path: Mapped[str] = mapped_column(String(400), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    author_name: Mapped[str] = mapped_column(String(100))
    author_email: Mapped[str] = mapped_column(String(320))
    author_key: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    anchor_paragraph: Mapped[str | None] = mapped_column(String(64), nullable=True)
    anchor_quote: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    status: Mapped[CommentStatus] = mapped_column(_enum(CommentStatus), default=CommentStatus.PENDING)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    screened: Mapped[bool] = mapped_column(Boolean, default=False)
    #: approved after screening or by a moderator at least once (the approval readers hear of)
    ever_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    moderator_decided: Mapped[bool] = mapped_column(Boolean, default=False)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    edit_token_hash: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer, default=0)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    downvotes: Mapped[int] = mapped_column(Integer, default=0)
    approved_descendants: Mapped[int] = mapped_column(Integer, default=0)
    flag_count: Mapped[int] = mapped_column(Integer, default=0)
    verdict: Mapped[str | None] = mapped_column(String(10), nullable=True)
    verdict_category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    verdict_reasons: Mapped[list | None] = mapped_column(JSON, nullable=True)
    verdict_scores: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    policy_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(x) for x in self.path.split("/") if x]


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (Index("ix_votes_ip", "comment_id", "ip_hash"),)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    voter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ip_hash: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Flag(Base):
    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    #: HMAC of the reporter's IP (and voter id when given): one flag per reader per comment
    reporter_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[FlagReason] = mapped_column(_enum(FlagReason))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModerationLog(Base):
    """Every decision about a comment: who (moderator name, screening, readers), what, why."""

    __tablename__ = "moderation_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Outbox(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


class ApiToken(ApiTokenMixin, Base):
    pass
