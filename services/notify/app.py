"""Factories of the notify service: the API and the consumer (fan-out and dispatch).

The runtime, Celery app and sender are built in ``container.py``, which the worker imports
without Flask."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from flask import Flask

from services.notify import delivery, handlers
from services.notify import settings as settings_mod
from services.notify.api import blp, limiter
# the factories every process shares live in container.py (no Flask); named here too, as
# services.registry looks for each service's factories in its app module
from services.notify.container import NAME, NotifyRuntime, bootstrap, create_celery, create_sender  # noqa: F401
from services.notify.models import ProcessedEvent
from services.notify.tasks import SEND_CONFIRMATION, SEND_DELIVERIES, SEND_DIGEST
from shared.http import configure_app
from shared.ratelimit import init_limiter

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: settings_mod.Settings | None = None, runtime: NotifyRuntime | None = None,
               celery=None) -> Flask:
    rt = runtime or bootstrap(settings)
    s = rt.settings
    app = Flask(__name__)
    api = configure_app(app, title="Parley notifications", max_body_bytes=16 * 1024, cors_origins=s.cors_origins,
                        trusted_proxy_count=s.common.trusted_proxy_count)
    celery = celery or create_celery(rt)
    rt.enqueue_confirmation = lambda sub_id: celery.send_task(SEND_CONFIRMATION, args=[sub_id], queue=NAME)
    app.extensions["parley"] = rt
    init_limiter(limiter, app, redis_url=s.common.redis_url, namespace=s.common.namespace,
                 enabled=s.common.ratelimit_enabled)
    api.register_blueprint(blp)
    return app


class Dispatcher:
    """The notify consumer's periodic work between stream reads (its ``tick``): every
    ``every`` seconds, release stale claims and hand due deliveries and digests to the
    workers. :meth:`hurry` makes the next tick hand due deliveries over at once."""

    def __init__(self, rt: NotifyRuntime, celery, every: float = 0.5):
        self.rt, self.celery, self.every = rt, celery, every
        s = rt.settings
        self.deps = rt.deps
        self.send_batch = s.send_batch
        self.lease = timedelta(seconds=s.send_lease_seconds)
        # a delivery still pending this long after it was handed over lost its task; until
        # then the broker may still re-deliver that task itself (visibility timeout)
        self.requeue_after = timedelta(seconds=s.visibility_timeout + 60)
        self._last = 0.0
        self._hurried = False

    def hurry(self) -> None:
        """Called by the consumer after committing a batch, which may have made deliveries,
        so a reply's email does not wait for the period."""
        self._hurried = True

    def __call__(self) -> None:
        periodic = time.monotonic() - self._last >= self.every
        if periodic:
            self._last = time.monotonic()
            delivery.release_stale_claims(self.rt.db, self.deps, self.lease)
        if periodic or self._hurried:  # once per tick, even when both are due
            self._hurried = False
            self._dispatch_due()
        if periodic:
            for address_id in delivery.due_digests(self.rt.db, self.deps):
                self.celery.send_task(SEND_DIGEST, args=[address_id], queue=NAME)

    def _dispatch_due(self) -> None:
        ids = delivery.due_deliveries(self.rt.db, self.deps, self.requeue_after)
        for i in range(0, len(ids), self.send_batch):
            self.celery.send_task(SEND_DELIVERIES, args=[ids[i:i + self.send_batch]], queue=NAME)


def create_consumer(runtime: NotifyRuntime | None = None, celery=None, **kw):
    """Reads article events (titles) and approvals (fan-out), and dispatches due mail."""
    rt = runtime or bootstrap()
    celery = celery or create_celery(rt)
    tick = kw.setdefault("tick", Dispatcher(rt, celery))
    return rt.inline_consumer(["articles", "comments"], ProcessedEvent, handlers.EVENT_HANDLERS,
                              rt.deps, prepare=handlers.prepare_fan_out,
                              after_commit=tick.hurry if isinstance(tick, Dispatcher) else None, **kw)
