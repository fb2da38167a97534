"""Articles service settings, read from the environment once by the factory."""
from __future__ import annotations

from dataclasses import dataclass

from shared.settings import CommonSettings, common, database_url, env


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    database_url: str
    cors_origins: tuple[str, ...]
    max_body_bytes: int


def load() -> Settings:
    e = env()
    c = common(e)
    return Settings(
        common=c,
        database_url=database_url(e, "articles", c.var_dir),
        cors_origins=tuple(e.list("CORS_ORIGINS", ["http://127.0.0.1:8000", "http://localhost:8000"])),
        max_body_bytes=e.int("ARTICLES_MAX_BODY_BYTES", 2 * 1024 * 1024),
    )
