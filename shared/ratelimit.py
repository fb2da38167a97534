"""Per-client rate limits on the write endpoints readers can hammer, stored in Redis.

Limits are counted per client address (``request.remote_addr``, which TRUSTED_PROXY_COUNT
makes the real client behind our own proxies and nothing a client can forge). An exceeded
limit answers 429 in the one error shape, with ``Retry-After``. If Redis is unreachable the
limiter falls back to per-process memory instead of failing the request, so posting still
works during a Redis outage. ``RATELIMIT_ENABLED=false`` turns every limit off (load tests).

Values (per client address):

========================  ===========================
POST /api/comments        10 per minute, 60 per hour
PATCH/DELETE own comment  20 per minute
PUT .../vote              60 per minute
POST .../flags            10 per minute, 50 per day
POST /api/subscriptions   5 per minute, 20 per hour
========================  ===========================
"""
from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

POST_COMMENT = "10 per minute;60 per hour"
EDIT_COMMENT = "20 per minute"
VOTE = "60 per minute"
FLAG = "10 per minute;50 per day"
SUBSCRIBE = "5 per minute;20 per hour"


def make_limiter() -> Limiter:
    """An unbound limiter for a service's views; :func:`init_limiter` binds it in the factory."""
    return Limiter(key_func=get_remote_address)


def init_limiter(limiter: Limiter, app: Flask, *, redis_url: str, namespace: str, enabled: bool) -> None:
    app.config.update(
        RATELIMIT_ENABLED=enabled,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1},
        RATELIMIT_KEY_PREFIX=f"{namespace}:ratelimit",
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    limiter.init_app(app)
