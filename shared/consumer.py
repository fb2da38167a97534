"""Stream consumer: at-least-once delivery from Redis Streams, idempotent effects.

Each consuming service reads every stream it cares about through one consumer group named
after itself, so each service sees each event once per group however many consumer
processes it runs. The rules:

* an entry is acknowledged only after its handler's effect is committed (or after the batch
  was handed to a durable Celery queue, for services that screen or send mail in workers);
* handlers record the event id in the same transaction as their effect (:func:`apply_once`),
  so a redelivered event changes nothing;
* entries left pending by a consumer that died are taken over with XAUTOCLAIM once they have
  been idle for ``claim_idle_ms``;
* a consumer names the event types it acts on; entries of other types are acknowledged after
  only their envelope was checked (validating payloads nobody reads cost more than the
  handlers that run);
* an entry that cannot be decoded goes straight to the dead-letter stream; one whose handler
  keeps failing goes there after ``max_deliveries`` attempts, and is acknowledged so the
  rest of the stream keeps flowing;
* backpressure: a consumer that hands batches to workers may be given ``hold``; while it
  answers True (the workers' queue already has work waiting) no new entries are read, so
  they wait in the stream and the next read takes up to ``batch_size`` at once. Under a
  backlog the workers get few big batches instead of many small ones; when they keep up
  nothing waits.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Collection, Iterable, Protocol, Sequence

import redis
from sqlalchemy.exc import IntegrityError

from shared.bus import dead_letter, stream_name
from shared.db import Database, insert_rows, processed_ids
from shared.events import Event, EventType, InvalidEvent, decode_if_wanted

log = logging.getLogger(__name__)

#: Takes decoded events, returns the ids of those that failed (left pending for a retry).
BatchHandler = Callable[[Sequence[Event]], set[str]]


class BatchContext(Protocol):
    """What a batch handler's ``prepare`` step found for a whole batch (see
    ``inline_batch_handler``): handed to each handler, then finished after the last."""

    def finish(self) -> None:
        """Write what the batch deferred to its end (called once, before the commit)."""


@dataclass(frozen=True)
class Entry:
    stream: str
    entry_id: str
    payload: bytes | None


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class StreamConsumer:
    def __init__(self, client: redis.Redis, namespace: str, group: str, producers: Iterable[str],
                 handle_batch: BatchHandler, *, name: str | None = None, batch_size: int = 100,
                 block_ms: int = 1000, claim_idle_ms: int = 30_000, max_deliveries: int = 5,
                 tick: Callable[[], object] | None = None, hold: Callable[[], bool] | None = None,
                 hold_ms: int = 25, types: Collection[EventType] | None = None):
        self.client = client
        self.namespace = namespace
        self.group = group
        self.streams = [stream_name(namespace, p) for p in producers]
        self.handle_batch = handle_batch
        self.name = name or consumer_name()
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self._groups_ready = False
        self._last_claim = 0.0
        #: periodic work of the service (e.g. re-enqueueing due deliveries), run every step
        self.tick = tick
        #: backpressure (see the module's docstring): checked before each read
        self.hold, self.hold_ms = hold, hold_ms
        #: the event types the handler acts on (None: all); entries of other types are
        #: acknowledged with only their envelope checked, their payload never validated
        self.types = frozenset(types) if types is not None else None

    # -- setup -----------------------------------------------------------------------------

    def ensure_groups(self) -> None:
        """Create the group on each stream, reading from the start so a new service catches up."""
        for stream in self.streams:
            try:
                self.client.xgroup_create(stream, self.group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._groups_ready = True

    # -- one step --------------------------------------------------------------------------

    def run_once(self, block_ms: int | None = None) -> int:
        """Reclaim abandoned entries if due, then read and process one batch; returns count."""
        if not self._groups_ready:
            self.ensure_groups()
        handled = 0
        if (time.monotonic() - self._last_claim) * 1000 >= self.claim_idle_ms / 2:
            handled += self.reclaim()
            self._last_claim = time.monotonic()
        if self.hold is not None and self.hold():
            time.sleep(self.hold_ms / 1000)  # the entries wait in the stream
        else:
            handled += self._read_new(self.block_ms if block_ms is None else block_ms)
        if self.tick is not None:
            self.tick()
        return handled

    def _read_new(self, block: int) -> int:
        handled = 0
        resp = self.client.xreadgroup(
            self.group, self.name, {s: ">" for s in self.streams}, count=self.batch_size, block=block or None
        )
        for stream, rows in resp or []:
            entries = [Entry(_s(stream), _s(eid), (fields or {}).get(b"event")) for eid, fields in rows]
            handled += self._process(entries)
        return handled

    def reclaim(self) -> int:
        """Take over entries idle longer than ``claim_idle_ms`` (their consumer died or failed)."""
        handled = 0
        for stream in self.streams:
            start = "0-0"
            while True:
                resp = self.client.xautoclaim(
                    stream, self.group, self.name, self.claim_idle_ms, start_id=start, count=self.batch_size
                )
                start, rows = _s(resp[0]), resp[1]
                entries = []
                for eid, fields in rows:
                    if fields is None:  # trimmed away while pending: nothing left to process
                        self.client.xack(stream, self.group, eid)
                        continue
                    entries.append(Entry(stream, _s(eid), fields.get(b"event")))
                handled += self._process(self._over_limit_to_dead_letter(entries))
                if start == "0-0" or not rows:
                    break
        return handled

    def _over_limit_to_dead_letter(self, entries: list[Entry]) -> list[Entry]:
        keep = []
        for e in entries:
            info = self.client.xpending_range(e.stream, self.group, min=e.entry_id, max=e.entry_id, count=1)
            times = info[0]["times_delivered"] if info else 1
            if times > self.max_deliveries:
                self._dead_letter(e, f"handler failed {times - 1} times")
            else:
                keep.append(e)
        return keep

    def _process(self, entries: list[Entry]) -> int:
        if not entries:
            return 0
        events: list[tuple[Entry, Event]] = []
        ignored: list[Entry] = []
        for e in entries:
            try:
                if e.payload is None:
                    raise InvalidEvent("entry has no 'event' field")
                ev = decode_if_wanted(e.payload, self.types)
            except InvalidEvent as exc:
                self._dead_letter(e, exc.reason)
                continue
            if ev is None:
                ignored.append(e)
            else:
                events.append((e, ev))
        if not events:
            self._ack(ignored)
            return len(entries)
        try:
            failed = self.handle_batch([ev for _, ev in events])
        except Exception:  # the whole batch failed: leave it pending for a retry
            log.exception("%s: batch of %d failed", self.group, len(events))
            self._ack(ignored)
            return 0
        done = ignored + [e for e, ev in events if ev.id not in failed]
        if failed:
            log.warning("%s: %d events failed and stay pending", self.group, len(failed))
        self._ack(done)
        return len(entries)

    def _ack(self, entries: list[Entry]) -> None:
        by_stream: dict[str, list[str]] = {}
        for e in entries:
            by_stream.setdefault(e.stream, []).append(e.entry_id)
        for stream, ids in by_stream.items():
            self.client.xack(stream, self.group, *ids)

    def _dead_letter(self, e: Entry, reason: str) -> None:
        log.error("%s: dead-lettering %s %s: %s", self.group, e.stream, e.entry_id, reason)
        dead_letter(self.client, self.namespace, stream=e.stream, entry_id=e.entry_id, group=self.group,
                    reason=reason, payload=e.payload)
        self.client.xack(e.stream, self.group, e.entry_id)

    # -- loop ------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                self.run_once()
                backoff = 0.5
            except redis.RedisError as exc:
                log.warning("%s: redis unavailable (%s); retrying in %.1fs", self.group, exc, backoff)
                self._groups_ready = False
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # the database restarting, say: keep the process, retry shortly
                log.exception("%s: step failed; retrying in %.1fs", self.group, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)


def _s(v) -> str:
    return v.decode() if isinstance(v, bytes) else v


# -- idempotent handling ---------------------------------------------------------------------


def apply_once(db: Database, processed_model, consumer: str, event: Event, effect: Callable) -> bool:
    """Run ``effect(session, event)`` and record the event id in one transaction.

    Returns False when the event was already applied (a redelivery); a concurrent duplicate
    loses the primary-key race and is rolled back, which is the same outcome.
    """
    try:
        with db.session() as s:
            if s.get(processed_model, (event.id, consumer)) is not None:
                return False
            effect(s, event)
            s.add(processed_model(event_id=event.id, consumer=consumer))
        return True
    except IntegrityError:
        with db.read_session() as s:
            if s.get(processed_model, (event.id, consumer)) is not None:
                return False
        raise


def inline_batch_handler(db: Database, processed_model, consumer: str, handlers: dict, deps, *,
                         prepare: Callable | None = None,
                         after_commit: Callable[[], object] | None = None) -> BatchHandler:
    """A batch handler that applies each event's handlers in the consumer process.

    ``handlers`` maps EventType to a list of plain functions ``fn(session, event, deps)``;
    events of types the service does not handle are acknowledged without effect.

    The whole batch is one transaction. It is first tried as a plain one: one query for the
    events of the batch already applied, ``prepare(session, events, deps)`` (if given) to
    load in one query what the handlers would otherwise look up one event at a time, each
    event's handlers, one commit. When ``prepare`` returns a :class:`BatchContext`, every
    handler of the table is called as ``fn(session, event, deps, context)`` and
    ``context.finish()`` runs after the last one (the comments service writes a batch's
    summed counter changes there); the other paths below call handlers without one. If a handler
    fails, that transaction is rolled back and the batch is applied again with each event in
    its own savepoint: the failing event is rolled back alone and reported failed (so it is
    redelivered), the others commit together. Either way a batch costs one commit, one write
    lock and one cache invalidation, not one per event. If the commit itself fails, every event of the batch
    is reported failed and redelivered (nothing of it was committed). A batch of one goes
    through ``apply_once``. ``after_commit()`` runs after a commit that applied at least one
    event (the comments service wakes its relay there, as the API does after a write).
    """

    def handle(events: Sequence[Event]) -> set[str]:
        todo = [ev for ev in events if handlers.get(ev.type)]
        if len(todo) <= 1:
            failed = _one_by_one(todo)
        else:
            try:
                _all_at_once(todo)
                failed = set()
            except Exception:
                log.warning("%s: a batch of %d events failed as a whole; applying it event by event",
                            consumer, len(todo), exc_info=True)
                failed = _with_savepoints(todo)
        if after_commit is not None and len(failed) < len(todo):
            after_commit()
        return failed

    def _all_at_once(todo: Sequence[Event]) -> None:
        with db.session() as s:
            applied = processed_ids(s, processed_model, consumer, [ev.id for ev in todo])
            batch = prepare(s, [ev for ev in todo if ev.id not in applied], deps) if prepare else None
            extra = () if batch is None else (batch,)
            marks = []
            for ev in todo:
                if ev.id in applied:  # applied before, or earlier in this batch
                    continue
                for fn in handlers[ev.type]:
                    fn(s, ev, deps, *extra)
                marks.append({"event_id": ev.id, "consumer": consumer})
                applied.add(ev.id)
            if batch is not None:  # what prepare deferred to the end of the batch
                batch.finish()
            # one multi-row insert at the end, not an ORM object per event (each of which the
            # next handler's query would flush on its own)
            insert_rows(s, processed_model, marks)

    def _with_savepoints(todo: Sequence[Event]) -> set[str]:
        failed: set[str] = set()
        try:
            with db.session() as s:
                for ev in todo:
                    try:
                        with s.begin_nested():
                            if s.get(processed_model, (ev.id, consumer)) is not None:
                                continue
                            for fn in handlers[ev.type]:
                                fn(s, ev, deps)
                            s.add(processed_model(event_id=ev.id, consumer=consumer))
                    except Exception:
                        log.exception("%s: handler failed for %s %s", consumer, ev.type, ev.id)
                        failed.add(ev.id)
        except Exception:
            log.exception("%s: a batch of %d events could not be committed", consumer, len(todo))
            return {ev.id for ev in todo}
        return failed

    def _one_by_one(todo: Sequence[Event]) -> set[str]:
        failed: set[str] = set()
        for ev in todo:
            try:
                apply_once(db, processed_model, consumer, ev,
                           lambda s, e, fns=handlers[ev.type]: [fn(s, e, deps) for fn in fns])
            except Exception:
                log.exception("%s: handler failed for %s %s", consumer, ev.type, ev.id)
                failed.add(ev.id)
        return failed

    return handle
