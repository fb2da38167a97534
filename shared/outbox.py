"""Transactional outbox and its relay.

A service writes its events into its own ``outbox`` table inside the transaction that makes
the change, so a change is never committed without its events and no event describes a
change that was rolled back. The relay publishes unsent rows in id order and marks them sent.
If Redis is down the writes still succeed; the rows wait and the relay sends them later.

The relay may publish a row twice (it dies between XADD and marking the row sent); every
consumer is idempotent on the event id, so a duplicate changes nothing.

Latency: after commit the API pushes a best-effort wake-up token onto a Redis list, on
which the relay blocks, so events leave within a millisecond or two instead of waiting for
the next poll. Losing a wake-up only costs one poll interval.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import redis
from datetime import timedelta

from sqlalchemy import bindparam, delete, select, update

from shared.bus import Publisher, relay_wake_key
from shared.db import Database, insert_rows, utcnow
from shared.events import Event

log = logging.getLogger(__name__)


def add_events(session, outbox_model, events: list[Event]) -> None:
    for ev in events:
        session.add(outbox_model(event_id=ev.id, event_type=str(ev.type), payload=ev.to_json()))


def insert_events(session, outbox_model, events: list[Event]) -> None:
    """Write events now, in list order (``add_events`` leaves them to the next flush), after
    flushing what the session holds, so events added before them stay before them."""
    insert_rows(session, outbox_model, [{"event_id": ev.id, "event_type": str(ev.type), "payload": ev.to_json()}
                                        for ev in events])


def wake_relay(client: redis.Redis | None, namespace: str, producer: str) -> None:
    """Nudge the relay after a commit; failures are ignored (the relay polls anyway)."""
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        key = relay_wake_key(namespace, producer)
        pipe.lpush(key, 1)
        pipe.ltrim(key, 0, 0)
        pipe.execute()
    except redis.RedisError:
        pass


class Relay:
    def __init__(self, db: Database, outbox_model, publisher: Publisher, producer: str,
                 batch_size: int = 500, poll_interval: float = 0.5, max_age_days: int = 7):
        self.db = db
        self.model = outbox_model
        self.publisher = publisher
        self.producer = producer
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_age_days = max_age_days
        self._last_trim = 0.0
        t = outbox_model.__table__.c
        self._unsent = select(t.id, t.payload).where(t.published_at.is_(None)).order_by(t.id).limit(
            bindparam("b_limit"))
        self._mark_published = (update(outbox_model.__table__).where(t.id.in_(bindparam("b_ids", expanding=True)))
                                .values(published_at=bindparam("b_now")))

    def publish_pending(self) -> int:
        """Publish one batch of unsent events in commit order; return how many were sent.

        Both statements are Core on the session's connection, built once (the relay runs
        them after every post; the ORM's handling of a statement cost more than the query)."""
        with self.db.read_session() as s:
            rows = s.connection().execute(self._unsent, {"b_limit": self.batch_size}).all()
        if not rows:
            return 0
        self.publisher.publish_raw(self.producer, [r.payload for r in rows])
        with self.db.session() as s:
            s.connection().execute(self._mark_published, {"b_ids": [r.id for r in rows], "b_now": utcnow()})
        return len(rows)

    def purge_published(self, older_than_seconds: float = 86400.0) -> None:
        cutoff = utcnow() - timedelta(seconds=older_than_seconds)
        with self.db.session() as s:
            s.execute(delete(self.model).where(self.model.published_at.is_not(None),
                                               self.model.published_at < cutoff))

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_trim < 300:
            return
        self._last_trim = now
        self.publisher.trim_older_than(self.producer, self.max_age_days)
        self.purge_published()

    def run(self, stop: threading.Event | Callable[[], bool]) -> None:
        should_stop = stop.is_set if isinstance(stop, threading.Event) else stop
        wake_key = relay_wake_key(self.publisher.namespace, self.producer)
        backoff = 0.5
        while not should_stop():
            try:
                while self.publish_pending() == self.batch_size and not should_stop():
                    pass
                self._housekeeping()
                self.publisher.client.blpop([wake_key], timeout=self.poll_interval)
                backoff = 0.5
            except redis.RedisError as exc:
                log.warning("relay %s: redis unavailable (%s); retrying in %.1fs", self.producer, exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # the database restarting, say: keep the process, retry shortly
                log.exception("relay %s: step failed; retrying in %.1fs", self.producer, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
