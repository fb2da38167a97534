"""What every moderation process builds first: the runtime and the Celery app.

Nothing here imports Flask or the tasks, so the worker (``worker.py``), its task
(``tasks.py``) and the intake (``app.py``) import it without a cycle.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from services.moderation import handlers
from services.moderation import settings as settings_mod
from services.moderation.stores_redis import RedisAuthorHistory, RedisRecentTexts
from shared.bus import connect
from shared.celery import make_celery
from shared.db import Database
from shared.runtime import Runtime

NAME = "moderation"


@dataclass
class ModerationRuntime(Runtime):
    settings: settings_mod.Settings
    deps: handlers.Deps


def bootstrap(settings: settings_mod.Settings | None = None) -> ModerationRuntime:
    settings = settings or settings_mod.load()
    client = connect(settings.common.redis_url)
    history = RedisAuthorHistory(client, settings.common.namespace)

    @functools.cache
    def screener():
        from services.moderation.screening import Screener, load_policy

        return Screener(load_policy(settings.policy_path), history, RedisRecentTexts(client, settings.common.namespace))

    return ModerationRuntime(name=NAME, common=settings.common, db=Database(settings.database_url), redis=client,
                             settings=settings, deps=handlers.Deps(history=history, screener=screener))


def create_celery(runtime: ModerationRuntime | None = None):
    s = runtime.settings if runtime else settings_mod.load()
    return make_celery(NAME, s.common.redis_url, s.common.namespace, visibility_timeout=s.visibility_timeout,
                       include=["services.moderation.tasks"])


@functools.cache
def worker_runtime() -> ModerationRuntime:
    """The runtime of a worker process, made on its first task (never at import)."""
    return bootstrap()
