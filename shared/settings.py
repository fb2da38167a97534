"""Settings helpers shared by every service.

Each service has its own ``settings.py`` with a frozen dataclass built by a ``load()``
function from the environment (environs). This module holds the parts they all read, so a
variable such as ``REDIS_URL`` means the same thing everywhere. Nothing here is read at
import time: call :func:`common` from a factory.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from environs import Env

#: Port of the embedded Redis server that ``make run`` starts when REDIS_URL is unset.
EMBEDDED_REDIS_PORT = 6390
DEV_SECRET = "dev-only-secret-change-me"


def env() -> Env:
    e = Env(expand_vars=True)
    return e


@dataclass(frozen=True)
class CommonSettings:
    var_dir: Path
    redis_url: str
    redis_embedded: bool
    namespace: str
    secret_key: str
    email_hmac_key: str
    public_base_url: str
    stream_maxlen: int
    stream_max_age_days: int
    claim_idle_ms: int
    max_deliveries: int
    log_level: str
    json_logs: bool
    trusted_proxy_count: int
    ratelimit_enabled: bool


def common(e: Env | None = None) -> CommonSettings:
    e = e or env()
    var_dir = Path(e.str("PARLEY_VAR_DIR", "var")).resolve()
    redis_url = e.str("REDIS_URL", "")
    secret = e.str("SECRET_KEY", DEV_SECRET)
    return CommonSettings(
        var_dir=var_dir,
        redis_url=redis_url or f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0",
        redis_embedded=not redis_url,
        namespace=e.str("PARLEY_NAMESPACE", "parley"),
        secret_key=secret,
        email_hmac_key=e.str("EMAIL_HMAC_KEY", secret),
        public_base_url=e.str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        stream_maxlen=e.int("STREAM_MAXLEN", 1_000_000),
        stream_max_age_days=e.int("STREAM_MAX_AGE_DAYS", 7),
        claim_idle_ms=e.int("CONSUMER_CLAIM_IDLE_MS", 30_000),
        max_deliveries=e.int("CONSUMER_MAX_DELIVERIES", 5),
        log_level=e.str("LOG_LEVEL", "INFO"),
        json_logs=e.bool("LOG_JSON", False),
        trusted_proxy_count=e.int("TRUSTED_PROXY_COUNT", 0),
        ratelimit_enabled=e.bool("RATELIMIT_ENABLED", True),
    )


def database_url(e: Env, service: str, var_dir: Path) -> str:
    """``<SERVICE>_DATABASE_URL``, else a SQLite file of the service's own under var/."""
    url = e.str(f"{service.upper()}_DATABASE_URL", "")
    if url:
        return url
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / (service + '.db')}"


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
