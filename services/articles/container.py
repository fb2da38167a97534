"""What every articles process builds first: its runtime, with its settings."""
from __future__ import annotations

from dataclasses import dataclass

from services.articles import handlers
from services.articles import settings as settings_mod
from shared.bus import connect
from shared.db import Database
from shared.runtime import Runtime

NAME = "articles"


@dataclass
class ArticlesRuntime(Runtime):
    settings: settings_mod.Settings
    deps: handlers.Deps


def bootstrap(settings: settings_mod.Settings | None = None) -> ArticlesRuntime:
    s = settings or settings_mod.load()
    return ArticlesRuntime(name=NAME, common=s.common, db=Database(s.database_url), redis=connect(s.common.redis_url),
                           settings=s, deps=handlers.Deps())
