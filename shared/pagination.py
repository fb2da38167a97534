"""Opaque keyset cursors: stable under inserts, cheap at any depth (no OFFSET)."""
from __future__ import annotations

import base64
import json

from shared.errors import Invalid


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise Invalid("The cursor is not valid.", details={"cursor": ["Not a cursor from this API."]})
    return values
