"""Factories of the moderation service: its consumer and relay (the runtime, Celery app and
worker runtime are built in ``container.py``).

The consumer applies article events itself (a row per article) and hands batches of
submitted or edited comments to the Celery worker, acknowledging them once the broker has
them; the worker screens each batch and writes verdicts through the outbox.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from services.moderation import handlers
# the factories every process shares live in container.py; named here too, as
# services.registry and worker.py look for them in the app module
from services.moderation.container import NAME, ModerationRuntime, bootstrap, create_celery, worker_runtime  # noqa: F401
from services.moderation.models import Outbox, ProcessedEvent
from services.moderation.tasks import SCREEN_BATCH
from shared.celery import waiting_tasks
from shared.consumer import inline_batch_handler
from shared.events import Event

MIGRATIONS = Path(__file__).parent / "migrations"


def create_relay(runtime: ModerationRuntime | None = None):
    return (runtime or bootstrap()).relay(Outbox)


def create_consumer(runtime: ModerationRuntime | None = None, celery=None, **kw):
    rt = runtime or bootstrap()
    celery = celery or create_celery(rt)
    inline = inline_batch_handler(rt.db, ProcessedEvent, NAME, handlers.EVENT_HANDLERS, rt.deps)

    def handle(events: Sequence[Event]) -> set[str]:
        failed = inline([e for e in events if e.type not in handlers.SCREENED_TYPES])
        batch = [e.to_json() for e in events if e.type in handlers.SCREENED_TYPES]
        if batch:
            # acknowledged once the broker holds the batch; the task is idempotent if redelivered
            celery.send_task(SCREEN_BATCH, args=[batch], queue=NAME)
        return failed

    kw.setdefault("batch_size", rt.settings.batch_size)
    # backpressure: while `queued_batches` screening tasks wait for a worker, leave new
    # comments in the stream; the next read hands a worker up to batch_size of them in one
    # task. More than one waiting keeps every worker process of a worker busy: one that
    # finishes finds the next batch queued instead of waiting for the intake to read it.
    depth = rt.settings.queued_batches
    kw.setdefault("hold", lambda: waiting_tasks(rt.redis, rt.namespace, NAME) >= depth)
    return rt.consumer(["articles", "comments"], handle, types=[*handlers.EVENT_HANDLERS, *handlers.SCREENED_TYPES],
                       **kw)
