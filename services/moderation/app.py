"""Factories of the moderation service: its consumer, relay, Celery app and worker runtime.

The consumer applies article events itself (a row per article) and hands batches of
submitted or edited comments to the Celery worker, acknowledging them once the broker has
them; the worker screens each batch and writes verdicts through the outbox.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

from services.moderation import handlers, settings as settings_mod
from services.moderation.models import Outbox, ProcessedEvent
from services.moderation.stores_redis import RedisAuthorHistory, RedisRecentTexts
from shared.celery import make_celery, waiting_tasks
from shared.consumer import inline_batch_handler
from shared.events import Event
from shared.runtime import Runtime

NAME = "moderation"
MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: settings_mod.Settings | None = None) -> Runtime:
    settings = settings or settings_mod.load()
    rt = Runtime.build(NAME, settings.common, settings.database_url)
    rt.extra["settings"] = settings
    history = RedisAuthorHistory(rt.redis, rt.namespace)

    @functools.cache
    def screener():
        from services.moderation.screening import Screener, load_policy

        return Screener(load_policy(settings.policy_path), history, RedisRecentTexts(rt.redis, rt.namespace))

    rt.extra["deps"] = handlers.Deps(history=history, screener=screener)
    return rt


def create_celery(runtime: Runtime | None = None):
    s = (runtime.extra["settings"] if runtime else settings_mod.load())
    return make_celery(NAME, s.common.redis_url, s.common.namespace, visibility_timeout=s.visibility_timeout,
                       include=["services.moderation.tasks"])


@functools.cache
def worker_runtime() -> Runtime:
    """The runtime of a worker process, made on its first task (never at import)."""
    return bootstrap()


def create_relay(runtime: Runtime | None = None):
    return (runtime or bootstrap()).relay(Outbox)


def create_consumer(runtime: Runtime | None = None, celery=None, **kw):
    rt = runtime or bootstrap()
    celery = celery or create_celery(rt)
    inline = inline_batch_handler(rt.db, ProcessedEvent, NAME, handlers.EVENT_HANDLERS, rt.extra["deps"])

    def handle(events: Sequence[Event]) -> set[str]:
        failed = inline([e for e in events if e.type not in handlers.SCREENED_TYPES])
        batch = [e.to_json() for e in events if e.type in handlers.SCREENED_TYPES]
        if batch:
            # acknowledged once the broker holds the batch; the task is idempotent if redelivered
            celery.send_task("moderation.screen_batch", args=[batch], queue=NAME)
        return failed

    kw.setdefault("batch_size", rt.extra["settings"].batch_size)
    # backpressure: while `queued_batches` screening tasks wait for a worker, leave new
    # comments in the stream; the next read hands a worker up to batch_size of them in one
    # task. More than one waiting keeps every worker process of a worker busy: one that
    # finishes finds the next batch queued instead of waiting for the intake to read it.
    depth = rt.extra["settings"].queued_batches
    kw.setdefault("hold", lambda: waiting_tasks(rt.redis, rt.namespace, NAME) >= depth)
    return rt.consumer(["articles", "comments"], handle, types=[*handlers.EVENT_HANDLERS, *handlers.SCREENED_TYPES],
                       **kw)
