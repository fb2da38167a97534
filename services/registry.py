"""Which services exist and where their factories live; imported lazily so one CLI serves all."""
from __future__ import annotations

import importlib
from types import ModuleType

SERVICES = ("articles", "comments", "moderation", "notify")
#: services with an HTTP API, and the paths the gateway sends to each
API_PREFIXES = {
    "articles": ("/api/articles", "/api/categories"),
    "comments": ("/api/comments", "/api/moderation"),
    "notify": ("/api/subscriptions", "/api/notify"),
}
#: services that publish events through an outbox
PRODUCERS = ("articles", "comments", "moderation")


def app_module(service: str) -> ModuleType:
    if service not in SERVICES:
        raise KeyError(service)
    return importlib.import_module(f"services.{service}.app")


def available(service: str) -> bool:
    try:
        app_module(service)
        return True
    except ModuleNotFoundError:
        return False
