"""The wiring every service shares: its database, its Redis client, its relay and consumer.

Each service subclasses :class:`Runtime` in its ``container.py`` with what its handlers and
views need, as typed attributes (its settings, its handlers' ``Deps``, caches), built by one
``bootstrap(settings)`` there (never at import) that the Flask factory, the relay, the
consumer and the worker all call, so tests swap the database or Redis in one place.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

import redis

from shared.bus import Publisher, connect
from shared.consumer import BatchHandler, StreamConsumer, inline_batch_handler
from shared.db import Database
from shared.outbox import Relay, wake_relay
from shared.settings import CommonSettings


@dataclass
class Runtime:
    name: str
    common: CommonSettings
    db: Database
    redis: redis.Redis

    @property
    def extra(self) -> Mapping[str, Any]:
        """Read-only view of the attributes by name, the old string lookups, for the callers
        not moved to the typed attributes yet (bench/seed.py, tests/integration/moderation);
        new code reads ``rt.deps``, ``rt.settings``."""
        return MappingProxyType({f.name: getattr(self, f.name) for f in fields(self)})

    @property
    def namespace(self) -> str:
        return self.common.namespace

    def wake_relay(self) -> None:
        wake_relay(self.redis, self.namespace, self.name)

    def write(self, fn: Callable):
        """Run ``fn(session)`` in a write transaction, then nudge the relay to publish its events."""
        with self.db.session() as s:
            result = fn(s)
        self.wake_relay()
        return result

    def relay(self, outbox_model) -> Relay:
        publisher = Publisher(connect(self.common.redis_url, blocking=True), self.namespace,
                              self.common.stream_maxlen)
        return Relay(self.db, outbox_model, publisher, self.name, max_age_days=self.common.stream_max_age_days)

    def consumer(self, producers: Iterable[str], handle_batch: BatchHandler, **kw) -> StreamConsumer:
        return StreamConsumer(
            connect(self.common.redis_url, blocking=True), self.namespace, self.name, producers, handle_batch,
            claim_idle_ms=kw.pop("claim_idle_ms", self.common.claim_idle_ms),
            max_deliveries=kw.pop("max_deliveries", self.common.max_deliveries), **kw,
        )

    def inline_consumer(self, producers: Iterable[str], processed_model, handlers: dict, deps, *,
                        prepare: Callable | None = None, after_commit: Callable[[], object] | None = None,
                        **kw) -> StreamConsumer:
        """A consumer applying ``handlers`` in this process (see ``inline_batch_handler`` for
        ``prepare`` and ``after_commit``)."""
        handle = inline_batch_handler(self.db, processed_model, self.name, handlers, deps, prepare=prepare,
                                      after_commit=after_commit)
        return self.consumer(producers, handle, types=list(handlers), **kw)


def run_all_until_signalled(targets: dict[str, Callable[[threading.Event], None]]) -> None:
    """Run each ``target(stop_event)`` in a thread until SIGINT/SIGTERM, then let each finish
    its current step. If one target dies, the others are stopped and the process exits non-zero
    so the supervisor (compose, honcho) notices."""
    stop = threading.Event()
    failed: list[str] = []
    log = logging.getLogger("parley")

    def _stop(signum, _frame):
        log.info("stopping on signal %s", signum)
        stop.set()

    def _guard(name, target):
        try:
            target(stop)
        except Exception:
            log.exception("%s died", name)
            failed.append(name)
            stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threads = [threading.Thread(target=_guard, args=item, name=item[0]) for item in targets.items()]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.5)
    if failed:
        raise SystemExit(f"{', '.join(failed)} failed")
