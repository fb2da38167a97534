"""Factories of the comments service: the Flask app, its outbox relay and its event consumer."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.comments import handlers, verdicts
from services.comments import settings as settings_mod
from services.comments.api import blp, limiter, mod
# NAME and bootstrap are named here too: services.registry and callers find the factories in app.py
from services.comments.container import NAME, CommentsRuntime, bootstrap  # noqa: F401
from services.comments.models import Outbox, ProcessedEvent
from shared.http import configure_app
from shared.ratelimit import init_limiter

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: settings_mod.Settings | None = None, runtime: CommentsRuntime | None = None) -> Flask:
    rt = runtime or bootstrap(settings)
    s = rt.settings
    app = Flask(__name__)
    api = configure_app(app, title="Parley comments", max_body_bytes=s.max_body_bytes, cors_origins=s.cors_origins,
                        trusted_proxy_count=s.common.trusted_proxy_count)
    app.extensions["parley"] = rt
    init_limiter(limiter, app, redis_url=s.common.redis_url, namespace=s.common.namespace,
                 enabled=s.common.ratelimit_enabled)
    api.register_blueprint(blp)
    api.register_blueprint(mod)
    return app


def create_relay(runtime: CommentsRuntime | None = None):
    return (runtime or bootstrap()).relay(Outbox)


def create_consumer(runtime: CommentsRuntime | None = None, **kw):
    """Reads article events (the local projection) and screening verdicts."""
    rt = runtime or bootstrap()
    return rt.inline_consumer(["articles", "moderation"], ProcessedEvent, handlers.EVENT_HANDLERS,
                              rt.deps, prepare=verdicts.prepare_batch,
                              after_commit=rt.wake_relay, **kw)  # its approvals leave at once
