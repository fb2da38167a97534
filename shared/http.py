"""What every service's Flask app has in common: the OpenAPI-backed API object, error shape,
CORS allow-list, body size limit and security headers."""
from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from shared.errors import ErrorSchema, register_error_handlers


class ParleyApi(Api):
    """flask-smorest's Api, documenting our error shape instead of its default one."""

    ERROR_SCHEMA = ErrorSchema


class IdConverter(IntegerConverter):
    """Integer path parts no database column can overflow on: larger ids simply do not exist."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)  # ids are PostgreSQL INTEGERs
        super().__init__(map, *args, **kwargs)


def configure_app(app: Flask, *, title: str, max_body_bytes: int, cors_origins: tuple[str, ...],
                  trusted_proxy_count: int = 0) -> ParleyApi:
    app.config.update(
        API_TITLE=title,
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.url_map.converters["int"] = IdConverter
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    api = ParleyApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}})
    api.register_converter(IdConverter, lambda c: {"type": "integer", "minimum": 0, "maximum": 2**31 - 1})
    register_error_handlers(app)
    if trusted_proxy_count:
        # only the hops we run may set the client address; a forged X-Forwarded-For entry
        # added by the client sits further left and is ignored
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxy_count, x_proto=trusted_proxy_count,
                                x_host=trusted_proxy_count)
    _cors(app, cors_origins)
    _security_headers(app)
    return api


def _cors(app: Flask, origins: tuple[str, ...]) -> None:
    allowed = set(origins)

    @app.after_request
    def add_cors(resp):
        origin = request.headers.get("Origin")
        if origin and ("*" in allowed or origin in allowed):
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Vary"] = "Origin"
            resp.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After, Location"
            if request.method == "OPTIONS":
                resp.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
                resp.headers["Access-Control-Allow-Headers"] = (
                    "Content-Type, Authorization, X-Edit-Token, If-None-Match, X-Voter-Id")
                resp.headers["Access-Control-Max-Age"] = "600"
        return resp


def _security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return resp
