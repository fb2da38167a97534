"""What every comments process builds first: its runtime, with its settings, the thread cache
(invalidated after each commit that touched a thread) and the handlers' dependencies."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.comments import commands
from services.comments import settings as settings_mod
from services.comments.cache import ThreadCache, invalidate_after_commit
from shared.bus import connect
from shared.db import Database
from shared.runtime import Runtime

NAME = "comments"


@dataclass
class CommentsRuntime(Runtime):
    settings: settings_mod.Settings
    thread_cache: ThreadCache
    deps: commands.Deps


def bootstrap(settings: settings_mod.Settings | None = None) -> CommentsRuntime:
    s = settings or settings_mod.load()
    db, client = Database(s.database_url), connect(s.common.redis_url)
    cache = ThreadCache(client, s.common.namespace, ttl=s.thread_cache_ttl, local_entries=s.thread_cache_local_entries)
    db.on_commit(invalidate_after_commit(cache))
    deps = commands.Deps(
        secret=s.common.secret_key, email_hmac_key=s.common.email_hmac_key,
        max_depth=s.max_depth, edit_window=timedelta(seconds=s.edit_window_seconds),
        flag_hold_threshold=s.flag_hold_threshold, votes_per_ip=s.votes_per_ip,
    )
    return CommentsRuntime(name=NAME, common=s.common, db=db, redis=client, settings=s, thread_cache=cache,
                           deps=deps)
