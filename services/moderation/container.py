"""What every moderation process builds first: the runtime and the Celery app.

Nothing here imports Flask or the tasks, so the worker (``worker.py``), its task
(``tasks.py``) and the intake (``app.py``) import it without a cycle.
"""
from __future__ import annotations

import functools

from services.moderation import handlers, settings as settings_mod
from services.moderation.stores_redis import RedisAuthorHistory, RedisRecentTexts
from shared.celery import make_celery
from shared.runtime import Runtime

NAME = "moderation"


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
