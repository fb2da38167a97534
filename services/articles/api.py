"""HTTP views of the articles service: parse, call a handler, answer."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from services.articles import handlers
from services.articles.models import ApiToken, Article, ArticleStatus, Category, article_categories
from services.articles.schemas import (ArticleIn, ArticleListArgs, ArticleOut, ArticlePage, ArticlePatch,
                                       CategoryList, PublishIn)
from shared.auth import Role
from shared.errors import ApiError
from shared.http import require_role
from shared.pagination import decode_cursor, encode_cursor

blp = Blueprint("articles", __name__, url_prefix="/api", description="Articles and categories")


def deps():
    return current_app.extensions["parley"]


editor_only = require_role(lambda: deps().db, ApiToken, Role.EDITOR)
BEARER = {"security": [{"bearer": []}]}


def _get(s, slug: str) -> Article:
    article = s.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        raise ApiError(404, f"No article {slug!r}.")
    return article


@blp.route("/articles")
class Articles(MethodView):
    @blp.arguments(ArticleListArgs, location="query")
    @blp.response(200, ArticlePage)
    def get(self, args):
        """Published articles, newest first"""
        q = select(Article).where(Article.status == ArticleStatus.PUBLISHED)
        if args.get("category"):
            cat = args["category"]
            q = q.where(Article.categories.any((Category.slug == cat) | (Category.name == cat)))
        if args.get("since"):
            q = q.where(Article.published_at >= args["since"])
        if args.get("cursor"):
            when, ident = decode_cursor(args["cursor"], 2)
            try:
                when = datetime.fromisoformat(when)
            except (TypeError, ValueError):
                raise ApiError(422, "The cursor is not valid.", details={"cursor": ["Bad cursor."]})
            q = q.where((Article.published_at < when) | ((Article.published_at == when) & (Article.id < ident)))
        q = q.order_by(Article.published_at.desc(), Article.id.desc()).limit(args["limit"] + 1)
        with deps().db.read_session() as s:
            rows = list(s.scalars(q))
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        cursor = encode_cursor([rows[-1].published_at.isoformat(), rows[-1].id]) if more else None
        return {"items": rows, "next_cursor": cursor}

    @blp.doc(**BEARER)
    @blp.arguments(ArticleIn)
    @blp.response(201, ArticleOut)
    @editor_only
    def post(self, data):
        """Create an article (as a draft unless published later)"""
        return deps().write(lambda s: handlers.create_article(s, data))


@blp.route("/articles/<slug>")
class ArticleItem(MethodView):
    @blp.response(200, ArticleOut)
    def get(self, slug):
        """One published article by slug"""
        with deps().db.read_session() as s:
            article = _get(s, slug)
        if article.status != ArticleStatus.PUBLISHED:
            raise ApiError(404, f"No article {slug!r}.")
        return article

    @blp.doc(**BEARER)
    @blp.arguments(ArticlePatch)
    @blp.response(200, ArticleOut)
    @editor_only
    def patch(self, data, slug):
        """Update an article"""
        return deps().write(lambda s: handlers.update_article(s, _get(s, slug), data))

    @blp.doc(**BEARER)
    @blp.response(204)
    @editor_only
    def delete(self, slug):
        """Delete an article"""
        deps().write(lambda s: handlers.delete(s, _get(s, slug)))


@blp.route("/articles/<slug>/draft")
class ArticleDraft(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, ArticleOut)
    @editor_only
    def get(self, slug):
        """An article in any status (editors)"""
        with deps().db.read_session() as s:
            return _get(s, slug)


@blp.route("/articles/<slug>/publish")
class Publish(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(PublishIn)
    @blp.response(200, ArticleOut)
    @editor_only
    def post(self, data, slug):
        """Publish an article"""
        return deps().write(lambda s: handlers.publish(s, _get(s, slug), data.get("published_at")))


@blp.route("/articles/<slug>/unpublish")
class Unpublish(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, ArticleOut)
    @editor_only
    def post(self, slug):
        """Take an article off the site"""
        return deps().write(lambda s: handlers.unpublish(s, _get(s, slug)))


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategoryList)
    def get(self):
        """Categories with their number of published articles"""
        q = (select(Category.name, Category.slug, func.count(Article.id).label("count"))
             .join(article_categories, article_categories.c.category_id == Category.id)
             .join(Article, (Article.id == article_categories.c.article_id)
                   & (Article.status == ArticleStatus.PUBLISHED))
             .group_by(Category.id).order_by(Category.name))
        with deps().db.read_session() as s:
            return {"items": [r._asdict() for r in s.execute(q)]}
