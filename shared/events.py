"""The event contract: one envelope for every event and one catalogue of payload schemas.

Producers build events with :func:`new_event`, which validates the payload against the
catalogue before anything is written, so a producer bug fails at the source rather than in
every consumer. Consumers call :func:`decode`, which validates again: a stream is shared by
independently deployed services, so a consumer cannot trust that the producer ran the same
code it did. Anything that does not decode raises :class:`InvalidEvent`, which the stream
consumer turns into a dead-letter entry instead of a crash.

Payloads carry no personal data beyond what a consumer needs: authors are identified by an
HMAC of their email (``author_key``), never the address itself.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Collection

from marshmallow import Schema, ValidationError, fields, validate
from ulid import ULID

ENVELOPE_VERSION = 1


class EventType(StrEnum):
    ARTICLE_PUBLISHED = "article.published"
    ARTICLE_UPDATED = "article.updated"
    ARTICLE_UNPUBLISHED = "article.unpublished"
    ARTICLE_DELETED = "article.deleted"
    COMMENT_SUBMITTED = "comment.submitted"
    COMMENT_EDITED = "comment.edited"
    COMMENT_APPROVED = "comment.approved"
    COMMENT_REJECTED = "comment.rejected"
    COMMENT_REMOVED = "comment.removed"
    COMMENT_DELETED = "comment.deleted"
    COMMENT_VOTED = "comment.voted"
    COMMENT_FLAGGED = "comment.flagged"
    COMMENT_MODERATED = "comment.moderated"


class InvalidEvent(Exception):
    """An entry that is not a valid event of a known type and version."""

    def __init__(self, reason: str, raw: Any = None):
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


# -- payload schemas -------------------------------------------------------------------------

_STATUSES = ("pending", "approved", "rejected", "spam", "removed", "deleted")


class ArticleState(Schema):
    """Full state of an article: consumers keep a projection and apply the highest revision."""

    slug = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title = fields.String(required=True)
    summary = fields.String(load_default="")
    body_html = fields.String(load_default="")
    status = fields.String(required=True, validate=validate.OneOf(["draft", "published", "unpublished"]))
    comment_status = fields.String(required=True, validate=validate.OneOf(["open", "closed"]))
    moderation_mode = fields.String(required=True, validate=validate.OneOf(["pre", "post"]))
    published_at = fields.DateTime(allow_none=True, load_default=None)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


class ArticleDeleted(Schema):
    slug = fields.String(required=True)
    revision = fields.Integer(required=True)


class CommentSubmitted(Schema):
    """A new comment (or, as ``comment.edited``, a new revision) that needs screening."""

    comment_id = fields.Integer(required=True)
    article = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True, load_default=None)
    author_key = fields.String(required=True)
    author_name = fields.String(required=True)
    body = fields.String(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    moderation_mode = fields.String(required=True, validate=validate.OneOf(["pre", "post"]))
    status = fields.String(required=True, validate=validate.OneOf(_STATUSES))
    anchor_quote = fields.String(allow_none=True, load_default=None)


class CommentStatusChanged(Schema):
    """Approved, rejected, removed or deleted: enough for counts and notifications."""

    comment_id = fields.Integer(required=True)
    article = fields.String(required=True)
    article_title = fields.String(load_default="")
    parent_id = fields.Integer(allow_none=True, load_default=None)
    ancestor_ids = fields.List(fields.Integer(), load_default=list)
    author_key = fields.String(required=True)
    author_name = fields.String(load_default="")
    excerpt = fields.String(load_default="")
    previous_status = fields.String(required=True, validate=validate.OneOf(_STATUSES))
    status = fields.String(required=True, validate=validate.OneOf(_STATUSES))
    revision = fields.Integer(required=True)
    #: False for the instant approval of a post-moderation comment that screening has not seen yet
    screened = fields.Boolean(load_default=True)
    first_approval = fields.Boolean(load_default=False)
    imported = fields.Boolean(load_default=False)
    actor = fields.String(load_default="system")
    reason = fields.String(allow_none=True, load_default=None)


class CommentVoted(Schema):
    comment_id = fields.Integer(required=True)
    article = fields.String(required=True)
    score = fields.Integer(required=True)
    upvotes = fields.Integer(required=True)
    downvotes = fields.Integer(required=True)


class CommentFlagged(Schema):
    comment_id = fields.Integer(required=True)
    article = fields.String(required=True)
    reason = fields.String(required=True)
    flag_count = fields.Integer(required=True)


class VerdictSpan(fields.Field):
    """A highlighted span, ``{"start": int, "end": int, "text": str}`` (text optional), checked
    by hand: as a nested schema, the spans were most of the cost of validating a verdict."""

    default_error_messages = {"invalid": "Not a valid span: an object with integer start and end and "
                                         "an optional string text, and nothing else."}

    def _serialize(self, value, attr, obj, **kwargs):
        # like a schema's dump: only the declared keys; anything else is for load to refuse
        if not isinstance(value, dict):
            return value
        return {k: value[k] for k in ("start", "end", "text") if k in value}

    def _deserialize(self, value, attr, data, **kwargs):
        if not (isinstance(value, dict) and value.keys() <= {"start", "end", "text"}
                and type(value.get("start")) is int and type(value.get("end")) is int
                and isinstance(value.get("text", ""), str)):
            raise self.make_error("invalid")
        return {"start": value["start"], "end": value["end"], "text": value.get("text", "")}


class ScoreMap(fields.Field):
    """Scores by category, ``{str: number}``, checked by hand: as a Dict of Float fields they
    were most of the cost of validating a verdict with no reasons (every verdict carries a
    dozen). Numbers only (not booleans, not strings), finite, returned as floats."""

    default_error_messages = {"invalid": "Not a valid score map: an object of category names to finite numbers."}

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        scores = {}
        for key, number in value.items():
            if not isinstance(key, str) or not _finite_number(number):
                raise self.make_error("invalid")
            scores[key] = float(number)
        return scores


def _finite_number(value) -> bool:
    """An int or float (a NumPy float too), not a bool, not NaN or infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_REASON_TEXTS = ("check", "category", "message")
_REASON_KEYS = frozenset((*_REASON_TEXTS, "score", "spans"))
_SPAN = VerdictSpan()


class VerdictReasons(fields.Field):
    """A verdict's reasons, ``[{"check", "category", "message": str, "score": number (0.0),
    "spans": [span, ...] ([])}]``, checked by hand for the same reason as `ScoreMap`; errors
    name the reason's index and key, as a nested schema's would."""

    def _serialize(self, value, attr, obj, **kwargs):
        # like a schema's dump: only the declared keys; anything malformed is for load to refuse
        if not isinstance(value, list):
            return value
        return [_dump_reason(r) if isinstance(r, dict) else r for r in value]

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        out, errors = [], {}
        for i, reason in enumerate(value):
            parsed, problems = _parse_reason(reason)
            if problems:
                errors[i] = problems
            else:
                out.append(parsed)
        if errors:
            raise ValidationError(errors)
        return out


def _dump_reason(reason: dict) -> dict:
    out = {k: v for k, v in reason.items() if k in _REASON_KEYS}
    if isinstance(out.get("spans"), list):
        out["spans"] = [_SPAN._serialize(span, None, None) for span in out["spans"]]
    return out


def _parse_reason(reason) -> tuple[dict | None, dict]:
    """(the reason as loaded, {}) or (None, {key: messages})."""
    if not isinstance(reason, dict):
        return None, {"_schema": ["Not a valid reason: an object."]}
    problems: dict = {}
    for key in reason.keys() - _REASON_KEYS:
        problems[key] = ["Unknown field."]
    for key in _REASON_TEXTS:
        if key not in reason:
            problems[key] = ["Missing data for required field."]
        elif not isinstance(reason[key], str):
            problems[key] = ["Not a valid string."]
    score = reason.get("score", 0.0)
    if not _finite_number(score):
        problems["score"] = ["Not a valid number."]
    spans, loaded = reason.get("spans", []), []
    if not isinstance(spans, list):
        problems["spans"] = ["Not a valid list."]
    else:
        bad = {}
        for j, span in enumerate(spans):
            try:
                loaded.append(_SPAN.deserialize(span))
            except ValidationError as exc:
                bad[j] = exc.messages
        if bad:
            problems["spans"] = bad
    if problems:
        return None, problems
    return {"check": reason["check"], "category": reason["category"], "message": reason["message"],
            "score": float(score), "spans": loaded}, {}


class CommentModerated(Schema):
    comment_id = fields.Integer(required=True)
    revision = fields.Integer(required=True)
    verdict = fields.String(required=True, validate=validate.OneOf(["approve", "hold", "reject"]))
    category = fields.String(allow_none=True, load_default=None)
    reasons = VerdictReasons(load_default=list)
    scores = ScoreMap(load_default=dict)
    policy_version = fields.String(required=True)


#: (type, version) -> payload schema. A new incompatible payload gets a new version number
#: here; consumers dead-letter versions they do not know instead of guessing.
CATALOGUE: dict[tuple[EventType, int], Schema] = {
    (EventType.ARTICLE_PUBLISHED, 1): ArticleState(),
    (EventType.ARTICLE_UPDATED, 1): ArticleState(),
    (EventType.ARTICLE_UNPUBLISHED, 1): ArticleState(),
    (EventType.ARTICLE_DELETED, 1): ArticleDeleted(),
    (EventType.COMMENT_SUBMITTED, 1): CommentSubmitted(),
    (EventType.COMMENT_EDITED, 1): CommentSubmitted(),
    (EventType.COMMENT_APPROVED, 1): CommentStatusChanged(),
    (EventType.COMMENT_REJECTED, 1): CommentStatusChanged(),
    (EventType.COMMENT_REMOVED, 1): CommentStatusChanged(),
    (EventType.COMMENT_DELETED, 1): CommentStatusChanged(),
    (EventType.COMMENT_VOTED, 1): CommentVoted(),
    (EventType.COMMENT_FLAGGED, 1): CommentFlagged(),
    (EventType.COMMENT_MODERATED, 1): CommentModerated(),
}


# -- the envelope ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: str
    type: EventType
    version: int
    occurred_at: datetime
    producer: str
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    #: the payload as serialised when `new_event` validated it, or as received when `decode`
    #: validated it, so publishing or handing it on does not serialise it again
    wire: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        schema = CATALOGUE[(self.type, self.version)]
        return json.dumps(
            {
                "id": self.id,
                "type": str(self.type),
                "version": self.version,
                "occurred_at": self.occurred_at.isoformat(),
                "producer": self.producer,
                "key": self.key,
                "data": self.wire if self.wire is not None else schema.dump(self.data),
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )


def new_event(type: EventType, key: Any, data: dict[str, Any], producer: str, version: int = 1) -> Event:
    """Build and validate an event. Raises ``InvalidEvent`` when the payload breaks the schema."""
    schema = CATALOGUE.get((type, version))
    if schema is None:
        raise InvalidEvent(f"unknown event {type} v{version}")
    wire = schema.dump(data)
    try:
        loaded = schema.load(wire)  # validated on the way out, as consumers will load it
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {type} payload: {exc.messages}") from None
    return Event(
        id=str(ULID()),
        type=type,
        version=version,
        occurred_at=datetime.now(timezone.utc),
        producer=producer,
        key=str(key),
        data=loaded,
        wire=wire,
    )


def decode(raw: str | bytes) -> Event:
    """Parse and validate one serialized event; raise ``InvalidEvent`` with the reason."""
    event = decode_if_wanted(raw, None)
    assert event is not None
    return event


def decode_if_wanted(raw: str | bytes, wanted: Collection[EventType] | None) -> Event | None:
    """Like :func:`decode`, for a consumer that handles only the types in ``wanted`` (None:
    every type): the envelope is always checked (so a malformed entry is refused by every
    consumer), but the payload of an event of another type is not validated and None is
    returned. The decoded event keeps the payload as received for ``to_json``, so handing
    it on (the moderation intake to its workers) does not serialise it again."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}", raw) from None
    if not isinstance(doc, dict):
        raise InvalidEvent("envelope is not an object", raw)
    missing = [k for k in ("id", "type", "version", "occurred_at", "producer", "key", "data") if k not in doc]
    if missing:
        raise InvalidEvent(f"envelope lacks {', '.join(missing)}", raw)
    try:
        etype = EventType(doc["type"])
    except ValueError:
        raise InvalidEvent(f"unknown event type {doc['type']!r}", raw) from None
    version = doc["version"]
    schema = CATALOGUE.get((etype, version)) if isinstance(version, int) else None
    if schema is None:
        raise InvalidEvent(f"unknown version {version!r} of {etype}", raw)
    if wanted is not None and etype not in wanted:
        return None
    try:
        occurred_at = datetime.fromisoformat(str(doc["occurred_at"]))
        data = schema.load(doc["data"]) if isinstance(doc["data"], dict) else None
    except (ValueError, ValidationError) as exc:
        raise InvalidEvent(f"invalid {etype} payload: {getattr(exc, 'messages', exc)}", raw) from None
    if data is None:
        raise InvalidEvent("data is not an object", raw)
    return Event(
        id=str(doc["id"]),
        type=etype,
        version=version,
        occurred_at=occurred_at,
        producer=str(doc["producer"]),
        key=str(doc["key"]),
        data=data,
        wire=doc["data"],
    )
