"""Comments service settings, read from the environment once by the factory."""
from __future__ import annotations

from dataclasses import dataclass

from shared.settings import CommonSettings, common, database_url, env


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    database_url: str
    cors_origins: tuple[str, ...]
    max_body_bytes: int
    max_depth: int
    edit_window_seconds: int
    replies_per_thread: int
    flag_hold_threshold: int
    votes_per_ip: int
    thread_cache_ttl: int
    thread_cache_local_entries: int


def load() -> Settings:
    e = env()
    c = common(e)
    return Settings(
        common=c,
        database_url=database_url(e, "comments", c.var_dir),
        cors_origins=tuple(e.list("CORS_ORIGINS", ["http://127.0.0.1:8000", "http://localhost:8000"])),
        max_body_bytes=e.int("COMMENTS_MAX_BODY_BYTES", 64 * 1024),
        max_depth=e.int("COMMENT_MAX_DEPTH", 4),
        edit_window_seconds=e.int("COMMENT_EDIT_WINDOW_SECONDS", 15 * 60),
        replies_per_thread=e.int("COMMENT_REPLIES_PER_THREAD", 100),
        flag_hold_threshold=e.int("COMMENT_FLAG_HOLD_THRESHOLD", 3),
        votes_per_ip=e.int("COMMENT_VOTES_PER_IP", 5),
        thread_cache_ttl=e.int("THREAD_CACHE_TTL", 30),
        thread_cache_local_entries=e.int("THREAD_CACHE_LOCAL_ENTRIES", 256),
    )
