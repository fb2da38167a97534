"""Moderation service settings, read from the environment once by the factory."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from marshmallow.validate import Range

from shared.settings import CommonSettings, common, database_url, env


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    database_url: str
    policy_path: Path | None
    batch_size: int
    queued_batches: int
    visibility_timeout: int
    task_attempts: int


def load() -> Settings:
    e = env()
    c = common(e)
    policy = e.str("MODERATION_POLICY_PATH", "")
    return Settings(
        common=c,
        database_url=database_url(e, "moderation", c.var_dir),
        policy_path=Path(policy) if policy else None,
        batch_size=e.int("MODERATION_BATCH_SIZE", 200, validate=Range(min=1)),
        queued_batches=e.int("MODERATION_QUEUED_BATCHES", 2, validate=Range(min=1)),
        visibility_timeout=e.int("CELERY_VISIBILITY_TIMEOUT", 900),
        task_attempts=e.int("CELERY_TASK_ATTEMPTS", 5),
    )
