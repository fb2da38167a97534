"""Subscriptions and fan-out: plain functions, session in, effect out.

Sending lives in ``delivery.py``; this module decides *who* gets mail about a comment and
writes one :class:`Delivery` row per address before anything is sent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from services.notify.errors import (AddressUnknown, ArticleNotFound, NotSubscribed, RepliesNeedComment,
                                    SubscriptionGone)
from services.notify.links import SignedLinks
from services.notify.messages import SiteConfig
from services.notify.models import (Address, ArticleInfo, Delivery, DeliveryMode, DeliveryStatus, Kind,
                                    Subscription, SubscriptionStatus)
from shared.auth import email_key
from shared.db import utcnow
from shared.events import Event, EventType

#: a new confirmation mail for the same subscription at most this often
CONFIRMATION_THROTTLE = timedelta(minutes=10)


@dataclass
class Deps:
    email_hmac_key: str
    links: SignedLinks
    site: SiteConfig
    hourly_cap: int = 10
    now: Callable[[], datetime] = field(default=utcnow)


def article_url(site: SiteConfig, slug: str) -> str:
    return f"{site.public_base_url.rstrip('/')}/articles/{slug}"


# -- subscribing -----------------------------------------------------------------------------


def subscribe(s: Session, email: str, kind: Kind, article: str, comment_id: int | None, deps: Deps) -> int | None:
    """Record the wish; return the subscription id when a confirmation mail should go out.

    The caller answers the same whatever this returns, so nobody learns whether an address
    is known, pending or already confirmed."""
    info = s.get(ArticleInfo, article)
    if info is None or info.status != "published":
        raise ArticleNotFound(article)
    if kind == Kind.REPLIES and not comment_id:
        raise RepliesNeedComment()
    address = s.scalar(select(Address).where(Address.email == email))
    if address is None:
        address = Address(email=email, email_key=email_key(deps.email_hmac_key, email))
        s.add(address)
        s.flush()
    key = dict(address_id=address.id, kind=kind, article=article, comment_id=comment_id or 0)
    sub = s.scalar(select(Subscription).filter_by(**key))
    if sub is None:
        sub = Subscription(**key, status=SubscriptionStatus.PENDING)
        s.add(sub)
        s.flush()
    if sub.status == SubscriptionStatus.CONFIRMED:
        return None
    sub.status = SubscriptionStatus.PENDING
    now = deps.now()
    if sub.confirmation_sent_at is not None and now - sub.confirmation_sent_at < CONFIRMATION_THROTTLE:
        return None
    sub.confirmation_sent_at = now
    return sub.id


def confirm(s: Session, subscription_id: int, deps: Deps) -> Subscription:
    sub = s.get(Subscription, subscription_id)
    if sub is None:
        raise SubscriptionGone()
    sub.status, sub.confirmed_at = SubscriptionStatus.CONFIRMED, deps.now()
    address = s.get(Address, sub.address_id)
    # the owner proved the address works: lift a suppression left by a hard bounce
    address.confirmed_at, address.suppressed_at, address.suppressed_reason = deps.now(), None, ""
    return sub


def unsubscribe(s: Session, subscription_id: int) -> None:
    sub = s.get(Subscription, subscription_id)
    if sub is not None:
        sub.status = SubscriptionStatus.UNSUBSCRIBED


def address_of(s: Session, email: str) -> Address | None:
    return s.scalar(select(Address).where(Address.email == email))


def address_of_id(s: Session, address_id: int) -> str:
    return s.get(Address, address_id).email


def unsubscribe_all(s: Session, email: str) -> None:
    address = address_of(s, email)
    if address is not None:
        for sub in s.scalars(select(Subscription).where(Subscription.address_id == address.id)):
            sub.status = SubscriptionStatus.UNSUBSCRIBED


def drop(s: Session, email: str, subscription_id: int) -> None:
    address = address_of(s, email)
    sub = s.get(Subscription, subscription_id)
    if address is None or sub is None or sub.address_id != address.id:
        raise NotSubscribed()
    sub.status = SubscriptionStatus.UNSUBSCRIBED


def set_delivery_mode(s: Session, email: str, mode: DeliveryMode) -> None:
    address = address_of(s, email)
    if address is None:
        raise AddressUnknown()
    address.delivery_mode = mode


def erase(s: Session, email: str) -> None:
    """Forget the address: its subscriptions, deliveries and the address itself."""
    address = address_of(s, email)
    if address is not None:
        s.execute(delete(Delivery).where(Delivery.address_id == address.id))
        s.execute(delete(Subscription).where(Subscription.address_id == address.id))
        s.delete(address)


def subscriptions_of(s: Session, email: str) -> list[tuple[Subscription, str]]:
    address = address_of(s, email)
    if address is None:
        return []
    return list(s.execute(
        select(Subscription, func.coalesce(ArticleInfo.title, Subscription.article))
        .join(ArticleInfo, ArticleInfo.slug == Subscription.article, isouter=True)
        .where(Subscription.address_id == address.id, Subscription.status != SubscriptionStatus.UNSUBSCRIBED)
        .order_by(Subscription.id)).all())


# -- events ----------------------------------------------------------------------------------


def remember_article(s: Session, event: Event, deps: Deps, batch: FanOutBatch | None = None) -> None:
    d = event.data
    info = s.get(ArticleInfo, d["slug"])
    if info is not None and info.revision >= d["revision"]:
        return
    if info is None:
        info = ArticleInfo(slug=d["slug"], title="", status="draft", revision=d["revision"])
        s.add(info)
    info.revision = d["revision"]
    info.status = "deleted" if event.type == EventType.ARTICLE_DELETED else d["status"]
    info.title = d.get("title", info.title)


def _notifies(d: dict) -> bool:
    """Only the first screened approval notifies (not the instant display of a post-moderation
    comment, not a re-approval after an edit, not an imported comment)."""
    return d["screened"] and d["first_approval"] and not d["imported"] and d["status"] == "approved"


def _subscribers(s: Session, articles: set[str], ancestors: set[int]) -> tuple[dict, dict]:
    """Confirmed, unsuppressed subscriptions to any of ``articles`` (new comments) or to any of
    ``ancestors`` (replies), in one query: (by article, by comment id), lists of
    (subscription id, kind, address id, email key, delivery mode)."""
    wanted = or_(
        and_(Subscription.kind == Kind.ARTICLE, Subscription.article.in_(articles or [""])),
        and_(Subscription.kind == Kind.REPLIES, Subscription.comment_id.in_(ancestors or [-1])),
    )
    rows = s.execute(
        select(Subscription.id, Subscription.kind, Subscription.article, Subscription.comment_id, Address.id,
               Address.email_key, Address.delivery_mode)
        .join(Address, Address.id == Subscription.address_id)
        .where(Subscription.status == SubscriptionStatus.CONFIRMED, Address.suppressed_at.is_(None), wanted)
        # a batch's deliveries are not subscriptions: nothing pending needs flushing for this
        .execution_options(autoflush=False)
    ).all()
    by_article: dict[str, list] = {}
    by_comment: dict[int, list] = {}
    for sub_id, kind, article, comment_id, address_id, key, mode in rows:
        target = by_article.setdefault(article, []) if kind == Kind.ARTICLE else by_comment.setdefault(comment_id, [])
        target.append((sub_id, kind, address_id, key, mode))
    return by_article, by_comment


@dataclass(frozen=True)
class FanOutBatch:
    """The subscriptions a batch of approvals can notify, by article and by comment, loaded
    once by :func:`prepare_fan_out` and handed by the consumer to each handler."""

    subscribers: tuple[dict, dict]

    def finish(self) -> None:
        """Nothing is deferred to the end of a fan-out batch."""


def prepare_fan_out(s: Session, events, deps: Deps) -> FanOutBatch | None:
    """Load the subscriptions a whole batch of approvals can notify in one query (``fan_out``
    then looks them up instead of querying once per comment, mostly to find nobody)."""
    approvals = [ev.data for ev in events if ev.type == EventType.COMMENT_APPROVED and _notifies(ev.data)]
    if not approvals:
        return None
    return FanOutBatch(_subscribers(s, {d["article"] for d in approvals},
                                    {i for d in approvals for i in d["ancestor_ids"] or ()}))


def fan_out(s: Session, event: Event, deps: Deps, batch: FanOutBatch | None = None) -> None:
    """Create the deliveries for a newly approved comment: one per address, never its author."""
    d = event.data
    if not _notifies(d):
        return
    ancestors = d["ancestor_ids"] or []
    if batch is not None:
        by_article, by_comment = batch.subscribers
    else:
        by_article, by_comment = _subscribers(s, {d["article"]}, set(ancestors))
    rows = [*by_article.get(d["article"], ()), *(r for i in ancestors for r in by_comment.get(i, ()))]
    chosen: dict[int, tuple] = {}
    for sub_id, kind, address_id, key, mode in rows:
        if key == d["author_key"]:
            continue  # nobody is told about their own comment
        if address_id not in chosen or kind == Kind.REPLIES:  # the most specific subscription speaks
            chosen[address_id] = (sub_id, kind, mode)
    if not chosen:
        return
    already = set(s.scalars(select(Delivery.address_id).where(
        Delivery.comment_id == d["comment_id"], Delivery.address_id.in_(list(chosen)))))
    recent = dict(s.execute(
        select(Delivery.address_id, func.count()).where(
            Delivery.address_id.in_(list(chosen)),
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT]),
            Delivery.created_at >= deps.now() - timedelta(hours=1))
        .group_by(Delivery.address_id)).all())
    url = article_url(deps.site, d["article"])
    payload = {"comment_id": d["comment_id"], "author_name": d["author_name"], "excerpt": d["excerpt"],
               "article": d["article"], "article_title": d["article_title"] or d["article"],
               "article_url": url, "comment_url": f"{url}#comment-{d['comment_id']}"}
    for address_id, (sub_id, kind, mode) in chosen.items():
        if address_id in already:
            continue
        over_cap = recent.get(address_id, 0) >= deps.hourly_cap
        status = DeliveryStatus.PENDING if mode == DeliveryMode.IMMEDIATE and not over_cap else DeliveryStatus.DIGEST
        s.add(Delivery(address_id=address_id, subscription_id=sub_id, comment_id=d["comment_id"], kind=kind,
                       status=status, payload=payload, created_at=deps.now()))


EVENT_HANDLERS = {
    EventType.ARTICLE_PUBLISHED: [remember_article],
    EventType.ARTICLE_UPDATED: [remember_article],
    EventType.ARTICLE_UNPUBLISHED: [remember_article],
    EventType.ARTICLE_DELETED: [remember_article],
    EventType.COMMENT_APPROVED: [fan_out],
}
