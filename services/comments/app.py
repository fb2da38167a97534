"""Factories of the comments service: the Flask app, its outbox relay and its event consumer."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from services.comments import commands, handlers, settings as settings_mod
from services.comments.api import blp, limiter, mod
from services.comments.cache import ThreadCache, invalidate_after_commit
from services.comments.models import Outbox, ProcessedEvent
from services.comments import verdicts
from shared.http import configure_app
from shared.ratelimit import init_limiter
from shared.runtime import Runtime

NAME = "comments"
MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: settings_mod.Settings | None = None) -> Runtime:
    settings = settings or settings_mod.load()
    rt = Runtime.build(NAME, settings.common, settings.database_url)
    rt.extra["settings"] = settings
    cache = ThreadCache(rt.redis, rt.namespace, ttl=settings.thread_cache_ttl,
                        local_entries=settings.thread_cache_local_entries)
    rt.extra["thread_cache"] = cache
    rt.db.on_commit(invalidate_after_commit(cache))
    rt.extra["deps"] = commands.Deps(
        secret=settings.common.secret_key, email_hmac_key=settings.common.email_hmac_key,
        max_depth=settings.max_depth, edit_window=timedelta(seconds=settings.edit_window_seconds),
        flag_hold_threshold=settings.flag_hold_threshold, votes_per_ip=settings.votes_per_ip,
    )
    return rt


def create_app(settings: settings_mod.Settings | None = None, runtime: Runtime | None = None) -> Flask:
    rt = runtime or bootstrap(settings)
    s = rt.extra["settings"]
    app = Flask(__name__)
    api = configure_app(app, title="Parley comments", max_body_bytes=s.max_body_bytes, cors_origins=s.cors_origins,
                        trusted_proxy_count=s.common.trusted_proxy_count)
    app.extensions["parley"] = rt
    init_limiter(limiter, app, redis_url=s.common.redis_url, namespace=s.common.namespace,
                 enabled=s.common.ratelimit_enabled)
    api.register_blueprint(blp)
    api.register_blueprint(mod)
    return app


def create_relay(runtime: Runtime | None = None):
    return (runtime or bootstrap()).relay(Outbox)


def create_consumer(runtime: Runtime | None = None, **kw):
    """Reads article events (the local projection) and screening verdicts."""
    rt = runtime or bootstrap()
    return rt.inline_consumer(["articles", "moderation"], ProcessedEvent, handlers.EVENT_HANDLERS,
                              rt.extra["deps"], prepare=verdicts.prepare_batch,
                              after_commit=rt.wake_relay, **kw)  # its approvals leave at once
