"""The local gateway of ``make run`` and the benchmark: every API on one port, no proxy hop.

In production (docker-compose) nginx routes the same prefixes to separate containers; here the
service apps are mounted side by side in one WSGI process under gunicorn, which keeps each
service's app, database and settings separate while saving a network hop on a laptop.
``/openapi/<service>.json`` serves each service's own ``/openapi.json``.
"""
from __future__ import annotations

from services.registry import API_PREFIXES, app_module, available


class Gateway:
    def __init__(self, apps: dict, fallback):
        self.apps = apps
        self.routes = [(p, apps[name]) for name, prefixes in API_PREFIXES.items() if name in apps for p in prefixes]
        self.fallback = fallback

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/openapi/") and path.endswith(".json"):
            app = self.apps.get(path[len("/openapi/"):-len(".json")])
            if app is not None:
                environ["PATH_INFO"] = "/openapi.json"
                return app(environ, start_response)
        for prefix, app in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        return self.fallback(environ, start_response)


def _site():
    """The demo site and moderator console (``services/site``) answer every path no API owns."""
    from services.site.app import create_app as create_site

    return create_site()


def create_app() -> Gateway:
    apps = {name: app_module(name).create_app() for name in API_PREFIXES if available(name)
            and hasattr(app_module(name), "create_app")}
    return Gateway(apps, _site())
