"""Request and response schemas of the articles API (they are also its OpenAPI document)."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

from services.articles.models import ArticleStatus, CommentStatus, ModerationMode
from shared.fields import Text

_SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lowercase letters, digits and hyphens.")
_HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


class ArticleIn(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    slug = Text(validate=[validate.Length(min=1, max=200), _SLUG])
    summary = Text(validate=validate.Length(max=2000))
    body = Text(validate=validate.Length(max=500_000), metadata={"description": "HTML; sanitised"})
    hero_image_url = Text(allow_none=True, validate=_HTTP_URL)
    hero_image_alt = Text(validate=validate.Length(max=300))
    source_name = Text(validate=validate.Length(max=200))
    source_url = Text(allow_none=True, validate=_HTTP_URL)
    author = Text(validate=validate.Length(max=200))
    categories = fields.List(Text(validate=validate.Length(min=1, max=100)),
                             validate=validate.Length(max=20))
    comment_status = fields.Enum(CommentStatus, by_value=True)
    moderation_mode = fields.Enum(ModerationMode, by_value=True)


class ArticlePatch(ArticleIn):
    title = Text(validate=validate.Length(min=1, max=300))


class PublishIn(Schema):
    published_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=timezone.utc,
                                        metadata={"description": "defaults to now (or the first publication)"})


class CategoryOut(Schema):
    name = Text()
    slug = Text()


class CategoryCount(CategoryOut):
    count = fields.Integer()


class ArticleOut(Schema):
    id = fields.Integer()
    slug = Text()
    title = Text()
    summary = Text()
    body_html = Text()
    hero_image_url = Text(allow_none=True)
    hero_image_alt = Text()
    source_name = Text()
    source_url = Text(allow_none=True)
    author = Text()
    categories = fields.List(fields.Nested(CategoryOut))
    status = fields.Enum(ArticleStatus, by_value=True)
    comment_status = fields.Enum(CommentStatus, by_value=True)
    moderation_mode = fields.Enum(ModerationMode, by_value=True)
    published_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    approved_comment_count = fields.Integer()


class ArticleSummaryOut(Schema):
    slug = Text()
    title = Text()
    summary = Text()
    hero_image_url = Text(allow_none=True)
    hero_image_alt = Text()
    source_name = Text()
    categories = fields.List(fields.Nested(CategoryOut))
    published_at = fields.DateTime(allow_none=True)
    approved_comment_count = fields.Integer()


class ArticleListArgs(Schema):
    category = Text(validate=validate.Length(max=120), metadata={"description": "category slug or name"})
    since = fields.AwareDateTime(default_timezone=timezone.utc,
                                  metadata={"description": "only articles published at or after"})
    cursor = Text(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class ArticlePage(Schema):
    items = fields.List(fields.Nested(ArticleSummaryOut))
    next_cursor = Text(allow_none=True)


class CategoryList(Schema):
    items = fields.List(fields.Nested(CategoryCount))
