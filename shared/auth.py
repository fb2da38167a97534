"""Bearer tokens for staff (editors, moderators).

A token is shown once when created; only its SHA-256 is stored, so a leaked database does not
leak working tokens. Each service stores the tokens of the roles it checks; views check them
with ``shared.http.require_role``. No Flask here: workers import ``email_key``.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

from shared.db import Database


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
