"""Factories of the articles service: the Flask app, its outbox relay and its event consumer."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.articles import handlers
from services.articles import settings as settings_mod
from services.articles.api import blp
# NAME and bootstrap are named here too: services.registry and callers find the factories in app.py
from services.articles.container import NAME, ArticlesRuntime, bootstrap  # noqa: F401
from services.articles.models import Outbox, ProcessedEvent
from shared.http import configure_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: settings_mod.Settings | None = None, runtime: ArticlesRuntime | None = None) -> Flask:
    rt = runtime or bootstrap(settings)
    s = rt.settings
    app = Flask(__name__)
    api = configure_app(app, title="Parley articles", max_body_bytes=s.max_body_bytes, cors_origins=s.cors_origins,
                        trusted_proxy_count=s.common.trusted_proxy_count)
    app.extensions["parley"] = rt
    api.register_blueprint(blp)
    return app


def create_relay(runtime: ArticlesRuntime | None = None):
    rt = runtime or bootstrap()
    return rt.relay(Outbox)


def create_consumer(runtime: ArticlesRuntime | None = None, **kw):
    """Reads comment events to keep each article's approved-comment count."""
    rt = runtime or bootstrap()
    return rt.inline_consumer(["comments"], ProcessedEvent, handlers.EVENT_HANDLERS, rt.deps, **kw)
