"""Request and response schemas of the notify API (they are also its OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from services.notify.messages import InvalidAddress, normalize_address
from services.notify.models import DeliveryMode, Kind
from shared.fields import Text


class SubscribeIn(Schema):
    email = Text(required=True, validate=validate.Length(max=320))
    kind = fields.Enum(Kind, by_value=True, required=True)
    article = Text(required=True, validate=validate.Length(min=1, max=200))
    comment_id = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=2**31 - 1))

    @validates("email")
    def _email(self, value, **_):
        try:
            normalize_address(value)
        except InvalidAddress as exc:
            raise ValidationError(str(exc)) from None

    @post_load
    def _normalise(self, data, **_):
        data["email"] = normalize_address(data["email"])
        return data


class SubscribeOut(Schema):
    status = Text(metadata={"description": "always 'check_your_inbox'"})
    message = Text()


class DeliveryModeIn(Schema):
    delivery = fields.Enum(DeliveryMode, by_value=True, required=True)
