"""Subscriptions, deliveries and suppressions: everything notify stores about an address."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import ProcessedEventMixin, UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class Kind(StrEnum):
    ARTICLE = "article"  # every newly approved comment on an article
    REPLIES = "replies"  # approved replies at any depth below one comment


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # waiting for the owner to confirm
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class DeliveryMode(StrEnum):
    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due to be sent (now, or at next_attempt_at)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    DIGEST = "digest"  # waits for the address's next digest
    FAILED = "failed"  # gave up: permanent failure, or transient ones past the limit
    SKIPPED = "skipped"  # unsubscribed or suppressed before it could be sent


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: HMAC of the address, to recognise the address's own comments in events
    email_key: Mapped[str] = mapped_column(String(64), index=True)
    delivery_mode: Mapped[DeliveryMode] = mapped_column(_enum(DeliveryMode), default=DeliveryMode.IMMEDIATE)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suppressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suppressed_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("address_id", "kind", "article", "comment_id"),
        Index("ix_subscriptions_match", "status", "kind", "article", "comment_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(_enum(Kind))
    article: Mapped[str] = mapped_column(String(200))
    #: the comment whose replies are wanted; 0 for article subscriptions (keeps the key unique)
    comment_id: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[SubscriptionStatus] = mapped_column(_enum(SubscriptionStatus),
                                                      default=SubscriptionStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ArticleInfo(Base):
    """Titles of articles, from article events, for confirmation mails."""

    __tablename__ = "articles"
    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)


class Delivery(Base):
    """One email about one comment to one address, created before sending and claimed to send.

    The unique key (address, comment) is what makes "never twice" hold across redelivered
    events, retried tasks and racing workers."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("address_id", "comment_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_address_sent", "address_id", "status", "sent_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(Integer)
    comment_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Kind] = mapped_column(_enum(Kind))
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    #: what the email shows (author, excerpt, article title and links), fixed at fan-out
    payload: Mapped[dict] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedEvent(ProcessedEventMixin, Base):
    pass
