"""Marshmallow fields for text from the outside world."""
from __future__ import annotations

from marshmallow import fields

from shared.text import strip_control


class Text(fields.String):
    """A string without control characters or lone surrogates (PostgreSQL refuses NUL bytes and
    invalid UTF-8), optionally trimmed. Every string a client sends is read through this field."""

    def __init__(self, *args, trim: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.trim = trim

    def _deserialize(self, value, attr, data, **kwargs):
        text = strip_control(super()._deserialize(value, attr, data, **kwargs))
        return text.strip() if self.trim else text
