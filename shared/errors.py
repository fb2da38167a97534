"""One JSON error shape for every service: ``{"error": {"code", "message", "details"}}``.

This module holds the shape and the error types, with no Flask import, so code that workers
also import may use them; ``shared/http.py`` answers every error in this shape.
"""
from __future__ import annotations

from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

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
