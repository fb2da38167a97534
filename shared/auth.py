"""Bearer tokens for staff (editors, moderators).

A token is shown once when created; only its SHA-256 is stored, so a leaked database does not
leak working tokens. Each service stores the tokens of the roles it checks.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from functools import wraps

from flask import g, request
from sqlalchemy import select

from shared.db import Database
from shared.errors import ApiError


class Role(StrEnum):
    EDITOR = "editor"
    MODERATOR = "moderator"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "pt_" + secrets.token_urlsafe(32)


def create_token(db: Database, model, role: Role, name: str) -> str:
    token = new_token()
    with db.session() as s:
        s.add(model(name=name, role=str(role), token_hash=hash_token(token)))
    return token


def email_key(secret: str, email: str) -> str:
    """HMAC of a normalised address: lets services match an author without seeing the email."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


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
