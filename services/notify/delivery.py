"""Sending: claim a delivery, send it, record the outcome. Never twice, never lost.

A delivery is claimed by an atomic ``pending -> sending`` update before the SMTP
conversation and marked ``sent`` right after it. Whatever kills a worker:

* before the claim: the row is still pending and is sent by the next dispatch;
* after the claim, before the server accepted the message: the row stays ``sending`` until its
  lease (NOTIFY_SEND_LEASE_SECONDS) runs out, then goes back to pending and is sent once;
* after the server accepted the message but before the row was marked sent: the same happens,
  and the message is sent a second time. This window — between the SMTP server's "250 OK"
  for DATA and our commit, a few milliseconds — is the one send we cannot know finished.

Transient failures (4xx, refused connections, timeouts) return the row to pending with an
exponential delay until NOTIFY_MAX_ATTEMPTS, then mark it failed (``parley notify
deliveries --status failed`` lists them). A permanent failure (5xx for the recipient) marks it
failed and suppresses the address until its owner confirms a subscription again.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from sqlalchemy import select, update

from services.notify.handlers import Deps
from services.notify.mail import Mailer, PermanentMailError, TransientMailError
from services.notify.messages import (NotifiedComment, confirmation_message, digest_message,
                                      notification_message)
from services.notify.models import (Address, ArticleInfo, Delivery, DeliveryMode, DeliveryStatus, Subscription,
                                    SubscriptionStatus)
from shared.db import Database

log = logging.getLogger(__name__)
D = DeliveryStatus


@dataclass
class Sender:
    db: Database
    mailer: Callable[[], Mailer]
    deps: Deps
    max_attempts: int = 8
    lease: timedelta = timedelta(minutes=5)
    #: first retry delay; it doubles with each attempt, up to an hour
    retry_base: int = 30

    # -- notifications -----------------------------------------------------------------------

    def send_delivery(self, delivery_id: int) -> str:
        [(outcome, _)] = self.send_deliveries([delivery_id]).most_common(1)
        return outcome

    def send_deliveries(self, ids: list[int]) -> Counter:
        """Claim the batch in one transaction, then send and record each message on its own,
        so a killed worker can have left at most the message in flight unrecorded."""
        now = self.deps.now()
        outcomes: Counter = Counter()
        jobs = []
        with self.db.session() as s:
            s.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status == D.PENDING)
                      .values(status=D.SENDING, claimed_at=now, attempts=Delivery.attempts + 1))
            rows = s.execute(
                select(Delivery, Address, Subscription)
                .join(Address, Address.id == Delivery.address_id)
                .join(Subscription, Subscription.id == Delivery.subscription_id, isouter=True)
                .where(Delivery.id.in_(ids), Delivery.status == D.SENDING, Delivery.claimed_at == now)
            ).all()
            outcomes["not-pending"] = len(set(ids)) - len(rows)
            for row, address, sub in rows:
                if address.suppressed_at is not None or sub is None or sub.status != SubscriptionStatus.CONFIRMED:
                    row.status = D.SKIPPED
                    outcomes["skipped"] += 1
                    continue
                message = notification_message(
                    address.email, _comment(row.payload), row.kind, self.deps.links.unsubscribe_url(sub.id),
                    None, self.deps.links.manage_url(address.email), self.deps.site)
                jobs.append((message, row.id, address.id, row.attempts))
        for message, delivery_id, address_id, attempts in jobs:
            outcomes[self._send(message, [delivery_id], address_id, attempts)] += 1
        return +outcomes

    # -- a digest ----------------------------------------------------------------------------

    def send_digest(self, address_id: int) -> str:
        now = self.deps.now()
        with self.db.session() as s:
            address = s.get(Address, address_id)
            ids = list(s.scalars(select(Delivery.id).where(Delivery.address_id == address_id,
                                                           Delivery.status == D.DIGEST).order_by(Delivery.id)))
            if address is None or not ids:
                return "nothing"
            s.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status == D.DIGEST)
                      .values(status=D.SENDING, claimed_at=now, attempts=Delivery.attempts + 1))
            # a racing digest task may have claimed some: send only what this claim took
            rows = list(s.scalars(select(Delivery).where(Delivery.id.in_(ids), Delivery.status == D.SENDING,
                                                         Delivery.claimed_at == now)))
            if not rows:
                return "raced"
            ids = [r.id for r in rows]
            payloads = [r.payload for r in rows]
            # over-cap mail of an immediate address goes out as an hourly digest
            period = DeliveryMode.DAILY if address.delivery_mode == DeliveryMode.DAILY else DeliveryMode.HOURLY
            message = digest_message(address.email, [_comment(p) for p in payloads], period,
                                     self.deps.links.unsubscribe_all_url(address.email), None,
                                     self.deps.links.manage_url(address.email), self.deps.site)
            attempts = max(r.attempts for r in rows)
        return self._send(message, ids, address_id, attempts, retry_status=D.DIGEST)

    # -- the SMTP conversation and its outcome -----------------------------------------------

    def _send(self, message, ids: list[int], address_id: int, attempts: int, retry_status=D.PENDING) -> str:
        try:
            self.mailer().send(message)
        except TransientMailError as exc:
            give_up = attempts >= self.max_attempts
            delay = timedelta(seconds=min(self.retry_base * 2 ** (attempts - 1), 3600))
            with self.db.session() as s:
                s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
                    status=D.FAILED if give_up else retry_status, last_error=str(exc)[:1000],
                    next_attempt_at=self.deps.now() + delay, enqueued_at=None))
            log.warning("transient mail failure for deliveries %s (attempt %d): %s", ids, attempts, exc)
            return "failed" if give_up else "retry"
        except PermanentMailError as exc:
            with self.db.session() as s:
                s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(status=D.FAILED,
                                                                              last_error=str(exc)[:1000]))
                s.execute(update(Address).where(Address.id == address_id).values(
                    suppressed_at=self.deps.now(), suppressed_reason=str(exc)[:1000]))
            log.warning("permanent mail failure, address %s suppressed: %s", address_id, exc)
            return "suppressed"
        with self.db.session() as s:
            s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
                status=D.SENT, sent_at=self.deps.now(), message_id=message["Message-ID"], last_error=""))
        return "sent"

    # -- confirmation mail (not a delivery: no comment, no unsubscribe) ----------------------

    def send_confirmation(self, subscription_id: int) -> str:
        with self.db.read_session() as s:
            sub = s.get(Subscription, subscription_id)
            if sub is None or sub.status != SubscriptionStatus.PENDING:
                return "not-pending"
            address = s.get(Address, sub.address_id)
            info = s.get(ArticleInfo, sub.article)
            message = confirmation_message(
                address.email, sub.kind, info.title if info else sub.article,
                self.deps.links.confirm_url(sub.id), self.deps.links.manage_url(address.email), self.deps.site,
                valid_for=self.deps.links.confirm_max_age)
        self.mailer().send(message)  # transient errors propagate: the task retries with backoff
        return "sent"


def _comment(p: dict) -> NotifiedComment:
    return NotifiedComment(id=p["comment_id"], author_name=p["author_name"], excerpt=p["excerpt"],
                           article_title=p["article_title"], article_url=p["article_url"],
                           comment_url=p["comment_url"])


# -- what is due (the dispatcher, run by the consumer between reads) -----------------------------


def release_stale_claims(db: Database, deps: Deps, lease: timedelta) -> int:
    """Give back deliveries whose worker died mid-send (the documented re-send window)."""
    with db.session() as s:
        return s.execute(update(Delivery).where(Delivery.status == D.SENDING,
                                                Delivery.claimed_at < deps.now() - lease)
                         .values(status=D.PENDING, enqueued_at=None)).rowcount


def due_deliveries(db: Database, deps: Deps, requeue_after: timedelta, limit: int = 5000) -> list[int]:
    """Pending deliveries that are due and not already waiting in the queue; marks them enqueued.

    Looked for first in a read transaction: the consumer asks after every batch of approvals,
    almost always finding none, and a write transaction (on SQLite, the one write lock every
    post queues on) is taken only when there are some to mark."""
    now = deps.now()
    due = (select(Delivery.id).where(
        Delivery.status == D.PENDING,
        (Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now),
        (Delivery.enqueued_at.is_(None)) | (Delivery.enqueued_at < now - requeue_after),
    ).order_by(Delivery.id).limit(limit))
    with db.read_session() as s:
        if s.scalar(due.limit(1)) is None:
            return []
    with db.session() as s:  # again: another consumer may have marked them meanwhile
        ids = list(s.scalars(due))
        if ids:
            s.execute(update(Delivery).where(Delivery.id.in_(ids)).values(enqueued_at=now))
    return ids


def due_digests(db: Database, deps: Deps) -> list[int]:
    """Addresses whose oldest waiting comment has waited a whole digest period."""
    now = deps.now()
    with db.read_session() as s:
        rows = s.execute(select(Delivery.address_id, Address.delivery_mode, Delivery.created_at)
                         .join(Address, Address.id == Delivery.address_id)
                         .where(Delivery.status == D.DIGEST,
                                (Delivery.next_attempt_at.is_(None)) | (Delivery.next_attempt_at <= now))).all()
    oldest: dict[int, tuple] = {}
    for address_id, mode, created in rows:
        if address_id not in oldest or created < oldest[address_id][1]:
            oldest[address_id] = (mode, created)
    period = {DeliveryMode.DAILY: timedelta(days=1)}
    return [a for a, (mode, created) in oldest.items() if now - created >= period.get(mode, timedelta(hours=1))]
