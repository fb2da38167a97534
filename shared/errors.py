"""One JSON error shape for every service: ``{"error": {"code", "message", "details"}}``.

Every HTTP error, including the ones raised by Flask, Werkzeug, webargs validation and the
rate limiter, goes through :func:`register_error_handlers`, so a client handles one shape.
Unexpected exceptions are logged and answered 500 in the same shape; a lost database or
Redis connection is answered 503 so clients know to retry.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import Schema, fields
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(keys=fields.String())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


class ApiError(HTTPException):
    """Raise from a view or handler with a specific code, message and field details."""

    def __init__(self, status: int, message: str, code: str | None = None, details: dict | None = None,
                 headers: dict | None = None):
        super().__init__(description=message)
        self.code = status
        self.error_code = code or CODES.get(status, "error")
        self.details = details or {}
        self.extra_headers = headers or {}


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
    app.register_error_handler(OperationalError, handle_unavailable)
    app.register_error_handler(DBAPIError, handle_unavailable)
    app.register_error_handler(IntegrityError, handle_integrity)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(Exception, handle_unexpected)
