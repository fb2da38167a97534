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


# -- domain errors ------------------------------------------------------------------------
# Handlers raise these, never ApiError: a rule of the domain refused a command, and only the
# HTTP edge (shared/http.py, one table) knows which status answers each kind. A service
# subclasses a kind per refusal and gives it the message (and the ``code`` clients branch on).


class DomainError(Exception):
    """A command the domain refuses; ``str(error)`` is the message readers are shown."""

    #: the stable ``error.code`` of the answer; None leaves the status's own code
    code: str | None = None
    #: the message when the raise gives none
    message: str = ""

    def __init__(self, message: str | None = None, *, details: dict | None = None,
                 retry_after: int | None = None):
        super().__init__(message or self.message)
        self.details = details or {}
        #: seconds after which trying again may succeed (limits), else None
        self.retry_after = retry_after


class NotFound(DomainError):
    """What the command names does not exist (or is not visible to the caller)."""


class Forbidden(DomainError):
    """The caller may not do this to what exists."""


class Conflict(DomainError):
    """The state of what exists does not allow the command now."""


class Invalid(DomainError):
    """The command's values are wrong; ``details`` names each field."""


class LimitReached(DomainError):
    """The caller has done this as often as the domain allows for now."""
