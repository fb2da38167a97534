"""Marshmallow fields for text from the outside world."""
from __future__ import annotations

from marshmallow import ValidationError, fields

from shared.text import display_name, strip_control


class Text(fields.String):
    """A string without control characters or lone surrogates (PostgreSQL refuses NUL bytes and
    invalid UTF-8), optionally trimmed. Every string a client sends is read through this field."""

    def __init__(self, *args, trim: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.trim = trim

    def _deserialize(self, value, attr, data, **kwargs):
        text = strip_control(super()._deserialize(value, attr, data, **kwargs))
        return text.strip() if self.trim else text


class Name(Text):
    """A person's display name, normalised (`shared.text.display_name`): invisible names
    ("\\u200b") are refused and line breaks never reach a page or an email header."""

    def _deserialize(self, value, attr, data, **kwargs):
        name = display_name(super()._deserialize(value, attr, data, **kwargs))
        if not name:
            raise ValidationError("The name needs at least one visible character.")
        return name
