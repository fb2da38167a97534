"""What every service's Flask app has in common: the OpenAPI-backed API object, error shape,
CORS allow-list, body size limit, security headers and the staff-token check.

Every HTTP error, including the ones raised by Flask, Werkzeug, webargs validation and the
rate limiter, goes through :func:`register_error_handlers`, so a client handles one shape
(``shared/errors.py``). Unexpected exceptions are logged and answered 500 in the same shape;
a lost database or Redis connection is answered 503 so clients know to retry.
"""
from __future__ import annotations

import logging
from functools import wraps

from flask import Flask, g, jsonify, request
from flask_smorest import Api
from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from shared.auth import Role, hash_token
from shared.errors import (CODES, ApiError, Conflict, DomainError, ErrorSchema, Forbidden, Invalid, LimitReached,
                           NotFound)

# the logger these error handlers have always logged under, so existing log filters still match
log = logging.getLogger("shared.errors")


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


def error_response(status: int, message: str, code: str | None = None, details: dict | None = None):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message, "details": details or {}}}
    return jsonify(body), status


def _details_from(exc: HTTPException) -> dict:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, dict):
        return getattr(exc, "details", {}) or {}
    # webargs nests by location ({"json": {"field": [...]}}); clients want the fields.
    flat: dict = {}
    for location, errs in messages.items():
        if isinstance(errs, dict):
            flat.update(errs)
        else:
            flat[location] = errs
    return flat


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    message = exc.description or ""
    if status == 422 and not isinstance(exc, ApiError):
        message = "The request has invalid fields."
    resp, _ = error_response(status, message, getattr(exc, "error_code", None), _details_from(exc))
    for k, v in exc.get_headers():
        if k.lower() != "content-type":
            resp.headers[k] = v
    for k, v in getattr(exc, "extra_headers", {}).items():
        resp.headers[k] = v
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and data.get("headers"):
        resp.headers.update(data["headers"])
    return resp, status


#: the one place a domain refusal gets its HTTP status
DOMAIN_STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422, LimitReached: 429}


def handle_domain_error(exc: DomainError):
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind)), None)
    if status is None:  # a DomainError of no kind is a bug of ours
        return handle_unexpected(exc)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return handle_http_exception(ApiError(status, str(exc), code=exc.code, details=exc.details, headers=headers))


def handle_unavailable(exc: Exception):
    log.warning("dependency unavailable: %s", exc)
    resp, status = error_response(503, "A backing service is unavailable; try again shortly.")
    resp.headers["Retry-After"] = "5"
    return resp, status


def handle_integrity(exc: Exception):
    log.info("integrity conflict: %s", exc)
    return error_response(409, "The request conflicts with existing data.")


def handle_data_error(exc: Exception):
    log.warning("value refused by the database: %s", exc)
    return error_response(422, "A value could not be stored.")


def handle_unexpected(exc: Exception):
    log.exception("unhandled error")
    return error_response(500, "Something went wrong on our side.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_unavailable)
    app.register_error_handler(DBAPIError, handle_unavailable)
    app.register_error_handler(IntegrityError, handle_integrity)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(Exception, handle_unexpected)


def require_role(db_getter, model, role: Role):
    """View decorator: 401 without a valid bearer token, 403 when its role is not ``role``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "A bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
            with db_getter().read_session() as s:
                row = s.scalars(select(model).where(model.token_hash == hash_token(token.strip()))).first()
            if row is None or row.revoked_at is not None:
                raise ApiError(401, "The token is not valid.", headers={"WWW-Authenticate": "Bearer"})
            if row.role != str(role):
                raise ApiError(403, f"This needs the {role} role.")
            g.actor = row.name
            return view(*args, **kwargs)

        return wrapped

    return decorator
