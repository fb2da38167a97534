"""Request and response schemas of the articles API (they are also its OpenAPI document)."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

from services.articles.models import ArticleStatus, CommentStatus, ModerationMode

_SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lowercase letters, digits and hyphens.")
_HTTP_URL = validate.URL(schemes={"http", "https"}, require_tld=False)


class ArticleIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    slug = fields.String(validate=[validate.Length(min=1, max=200), _SLUG])
    summary = fields.String(validate=validate.Length(max=2000))
    body = fields.String(validate=validate.Length(max=500_000), metadata={"description": "HTML; sanitised"})
    hero_image_url = fields.String(allow_none=True, validate=_HTTP_URL)
    hero_image_alt = fields.String(validate=validate.Length(max=300))
    source_name = fields.String(validate=validate.Length(max=200))
    source_url = fields.String(allow_none=True, validate=_HTTP_URL)
    author = fields.String(validate=validate.Length(max=200))
    categories = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                             validate=validate.Length(max=20))
    comment_status = fields.Enum(CommentStatus, by_value=True)
    moderation_mode = fields.Enum(ModerationMode, by_value=True)


class ArticlePatch(ArticleIn):
    title = fields.String(validate=validate.Length(min=1, max=300))


class PublishIn(Schema):
    published_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=timezone.utc,
                                        metadata={"description": "defaults to now (or the first publication)"})


class CategoryOut(Schema):
    name = fields.String()
    slug = fields.String()


class CategoryCount(CategoryOut):
    count = fields.Integer()


class ArticleOut(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    summary = fields.String()
    body_html = fields.String()
    hero_image_url = fields.String(allow_none=True)
    hero_image_alt = fields.String()
    source_name = fields.String()
    source_url = fields.String(allow_none=True)
    author = fields.String()
    categories = fields.List(fields.Nested(CategoryOut))
    status = fields.Enum(ArticleStatus, by_value=True)
    comment_status = fields.Enum(CommentStatus, by_value=True)
    moderation_mode = fields.Enum(ModerationMode, by_value=True)
    published_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    approved_comment_count = fields.Integer()


class ArticleSummaryOut(Schema):
    slug = fields.String()
    title = fields.String()
    summary = fields.String()
    hero_image_url = fields.String(allow_none=True)
    hero_image_alt = fields.String()
    source_name = fields.String()
    categories = fields.List(fields.Nested(CategoryOut))
    published_at = fields.DateTime(allow_none=True)
    approved_comment_count = fields.Integer()


class ArticleListArgs(Schema):
    category = fields.String(validate=validate.Length(max=120), metadata={"description": "category slug or name"})
    since = fields.AwareDateTime(default_timezone=timezone.utc,
                                  metadata={"description": "only articles published at or after"})
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class ArticlePage(Schema):
    items = fields.List(fields.Nested(ArticleSummaryOut))
    next_cursor = fields.String(allow_none=True)


class CategoryList(Schema):
    items = fields.List(fields.Nested(CategoryCount))
