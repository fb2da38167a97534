"""Factories of the articles service: the Flask app, its outbox relay and its event consumer."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.articles import handlers, settings as settings_mod
from services.articles.api import blp
from services.articles.models import Outbox, ProcessedEvent
from shared.http import configure_app
from shared.runtime import Runtime

NAME = "articles"
MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: settings_mod.Settings | None = None) -> Runtime:
    settings = settings or settings_mod.load()
    rt = Runtime.build(NAME, settings.common, settings.database_url)
    rt.extra["settings"] = settings
    return rt


def create_app(settings: settings_mod.Settings | None = None, runtime: Runtime | None = None) -> Flask:
    rt = runtime or bootstrap(settings)
    s = rt.extra["settings"]
    app = Flask(__name__)
    api = configure_app(app, title="Parley articles", max_body_bytes=s.max_body_bytes, cors_origins=s.cors_origins,
                        trusted_proxy_count=s.common.trusted_proxy_count)
    app.extensions["parley"] = rt
    api.register_blueprint(blp)
    return app


def create_relay(runtime: Runtime | None = None):
    rt = runtime or bootstrap()
    return rt.relay(Outbox)


def create_consumer(runtime: Runtime | None = None, **kw):
    """Reads comment events to keep each article's approved-comment count."""
    rt = runtime or bootstrap()
    return rt.inline_consumer(["comments"], ProcessedEvent, handlers.EVENT_HANDLERS, handlers.Deps(), **kw)
