"""Request and response schemas of the comments API (they are also its OpenAPI document)."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from marshmallow import Schema, ValidationError, fields, validate

from services.comments.models import Decision, FlagReason
from services.comments.threads import Sort
from shared.fields import Name, Text

_ID = validate.Range(min=1, max=2**31 - 1)  # PostgreSQL INTEGER


class AnchorIn(Schema):
    paragraph_id = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))
    quote = Text(trim=True, required=True, validate=validate.Length(min=1, max=1000))


class EmailAddress(Text):
    """An email address, checked for syntax (never for deliverability: screening runs offline)
    and loaded in its normalised form."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > 320:  # refused before the syntax check, which a huge value makes slow
            raise ValidationError("The email address is longer than 320 characters.")
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValidationError(str(exc)) from None


class CommentIn(Schema):
    article = Text(required=True, validate=validate.Length(min=1, max=200))
    parent_id = fields.Integer(allow_none=True, load_default=None, validate=_ID)
    author_name = Name(required=True, validate=validate.Length(min=1, max=60))
    author_email = EmailAddress(required=True, validate=validate.Length(max=320))
    body = Text(trim=True, required=True, validate=validate.Length(min=1, max=5000))
    anchor = fields.Nested(AnchorIn, allow_none=True, load_default=None)


class CommentEdit(Schema):
    body = Text(trim=True, required=True, validate=validate.Length(min=1, max=5000))


class VoteIn(Schema):
    voter_id = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$"))
    value = fields.Integer(required=True, strict=True, validate=validate.OneOf([1, -1, 0]))


class FlagIn(Schema):
    reason = fields.Enum(FlagReason, by_value=True, required=True)
    note = Text(trim=True, load_default="", validate=validate.Length(max=500))


class DecisionIn(Schema):
    decision = fields.Enum(Decision, by_value=True, required=True)
    reason = Text(trim=True, load_default="", validate=validate.Length(max=1000))


class ThreadArgs(Schema):
    article = Text(required=True, validate=validate.Length(min=1, max=200))
    sort = fields.Enum(Sort, by_value=True, load_default=Sort.MOST_VOTED)
    cursor = Text(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class CountArgs(Schema):
    article = fields.List(Text(validate=validate.Length(min=1, max=200)), required=True,
                          validate=validate.Length(min=1, max=100))


class PageArgs(Schema):
    cursor = Text(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LogArgs(PageArgs):
    comment_id = fields.Integer(validate=_ID)


class AnchorOut(Schema):
    paragraph_id = Text()
    quote = Text()


class CommentOut(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    depth = fields.Integer()
    author_name = Text()
    body_html = Text()
    status = Text()
    created_at = fields.DateTime()
    edited_at = fields.DateTime(allow_none=True)
    score = fields.Integer()
    upvotes = fields.Integer()
    downvotes = fields.Integer()
    anchor = fields.Nested(AnchorOut, allow_none=True)
    replies = fields.List(fields.Nested(lambda: CommentOut()))
    reply_count = fields.Integer()


class ThreadOut(Schema):
    article = Text()
    sort = Text()
    total = fields.Integer(metadata={"description": "approved comments on the article"})
    items = fields.List(fields.Nested(CommentOut))
    next_cursor = Text(allow_none=True)


class OwnCommentOut(CommentOut):
    """What the author sees through the edit token, including a pending comment."""

    article = Text()
    body_md = Text()
    editable_until = fields.DateTime()


class CreatedOut(Schema):
    id = fields.Integer()
    status = Text()
    edit_token = Text(metadata={"description": "shown once; needed to edit or delete"})
    editable_until = fields.DateTime()
    comment = fields.Nested(OwnCommentOut)


class CountsOut(Schema):
    counts = fields.Dict(keys=Text(), values=fields.Integer())


class VoteOut(Schema):
    id = fields.Integer()
    score = fields.Integer()
    upvotes = fields.Integer()
    downvotes = fields.Integer()
    value = fields.Integer()


class FlagOut(Schema):
    id = fields.Integer()
    received = fields.Boolean()


class SpanOut(Schema):
    start = fields.Integer()
    end = fields.Integer()
    text = Text()


class ReasonOut(Schema):
    check = Text()
    category = Text()
    message = Text()
    score = fields.Float()
    spans = fields.List(fields.Nested(SpanOut))


class AuthorHistoryOut(Schema):
    approved = fields.Integer()
    pending = fields.Integer()
    rejected = fields.Integer()
    spam = fields.Integer()
    removed = fields.Integer()


class QueueItemOut(Schema):
    id = fields.Integer()
    article = Text()
    article_title = Text()
    parent_id = fields.Integer(allow_none=True)
    author_name = Text()
    author_email = Text(metadata={"description": "moderators only"})
    body_md = Text()
    body_html = Text()
    status = Text()
    created_at = fields.DateTime()
    flag_count = fields.Integer()
    verdict = Text(allow_none=True)
    verdict_category = Text(allow_none=True)
    policy_version = Text(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonOut))
    scores = fields.Dict(keys=Text(), values=fields.Float())
    author_history = fields.Nested(AuthorHistoryOut)


class QueueOut(Schema):
    items = fields.List(fields.Nested(QueueItemOut))
    next_cursor = Text(allow_none=True)


class LogEntryOut(Schema):
    id = fields.Integer()
    comment_id = fields.Integer()
    actor = Text()
    action = Text()
    from_status = Text()
    to_status = Text()
    reason = Text()
    at = fields.DateTime()


class LogOut(Schema):
    items = fields.List(fields.Nested(LogEntryOut))
    next_cursor = Text(allow_none=True)


class DecisionOut(Schema):
    id = fields.Integer()
    status = Text()
