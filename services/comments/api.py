"""HTTP views of the comments service: parse, call a handler, answer."""
from __future__ import annotations

import json
from datetime import datetime

from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from services.comments import commands
from services.comments.models import ApiToken, ArticleProjection, Comment, CommentStatus, ModerationLog
from services.comments.schemas import (CommentEdit, CommentIn, CountArgs, CountsOut, CreatedOut, DecisionIn,
                                       DecisionOut, FlagIn, FlagOut, LogArgs, LogOut, OwnCommentOut, PageArgs,
                                       QueueOut, ThreadArgs, ThreadOut, VoteIn, VoteOut)
from services.comments.threads import public_view, read_thread
from shared.auth import Role
from shared.errors import ApiError
from shared.http import require_role
from shared.pagination import decode_cursor, encode_cursor
from shared import ratelimit

blp = Blueprint("comments", __name__, url_prefix="/api", description="Comments, votes and flags")
mod = Blueprint("moderation", __name__, url_prefix="/api/moderation", description="Moderator queue and log")
limiter = ratelimit.make_limiter()


def rt():
    return current_app.extensions["parley"]


def deps() -> commands.Deps:
    return rt().deps


moderator_only = require_role(lambda: rt().db, ApiToken, Role.MODERATOR)
BEARER = {"security": [{"bearer": []}]}
EDIT_TOKEN = {"parameters": [{"in": "header", "name": "X-Edit-Token", "required": True,
                              "schema": {"type": "string"}}]}


def _render_thread(args) -> tuple[str, bytes]:
    with rt().db.read_session() as s:
        article = s.get(ArticleProjection, args["article"])
        if article is None or article.status == "deleted":
            raise ApiError(404, f"No article {args['article']!r}.")
        page = read_thread(s, article.slug, args["sort"], args.get("cursor"), args["limit"],
                           rt().settings.replies_per_thread)
    body = {"article": article.slug, "sort": str(args["sort"]), "total": article.approved_count, **page}
    # serialised directly (ThreadOut documents it; a test checks the two agree): a schema dump
    # of 200 comments costs more than reading them
    return f"{article.slug}.{article.thread_version}", json.dumps(body, ensure_ascii=False, separators=(",", ":"),
                                                                  default=_iso).encode()


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def own_view(c: Comment) -> dict:
    view = public_view(c)
    view.update(body_html=c.body_html, author_name=c.author_name, article=c.article, body_md=c.body_md,
                editable_until=c.created_at + deps().edit_window)
    return view


def _thread_response(etag: str, body: bytes) -> Response:
    headers = {"ETag": f'W/"{etag}"', "Cache-Control": "no-cache"}
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return Response(body, 200, headers, mimetype="application/json")


@blp.before_app_request
def cached_thread():
    """The hot path: a thread read whose query string this process has already validated is
    answered from the cache before argument parsing and the view (the after-request hooks,
    CORS and security headers, still run). Anything else falls through to the view."""
    if request.method != "GET" or request.path != "/api/comments":
        return None
    cache = rt().thread_cache
    known = cache.known_query(request.query_string)
    if known is None:
        return None
    hit = cache.lookup(*known)[1]
    return _thread_response(*hit) if hit is not None else None


@blp.route("/comments")
class Comments(MethodView):
    @blp.arguments(ThreadArgs(), location="query")  # an instance: not rebuilt per request
    @blp.response(200, ThreadOut)
    def get(self, args):
        """The approved thread of an article (cached in Redis; ETag / If-None-Match)"""
        slug, cache = args["article"], rt().thread_cache
        variant = f"{args['sort']}|{args.get('cursor', '')}|{args['limit']}"
        version, hit = cache.lookup(slug, variant)
        if hit is None:
            etag, body = _render_thread(args)
            if version is not None:
                cache.put(slug, version, variant, etag, body)
        else:
            etag, body = hit
        cache.remember_query(request.query_string, slug, variant)
        return _thread_response(etag, body)

    @blp.arguments(CommentIn)
    @blp.response(202, CreatedOut, description="accepted, waiting for screening")
    @blp.alt_response(201, schema=CreatedOut, description="approved at once (post-moderation article)")
    @limiter.limit(ratelimit.POST_COMMENT)
    def post(self, data):
        """Post a comment or a reply"""
        draft = commands.draft_comment(data, deps(), request.remote_addr or "")
        c, token = rt().write(lambda s: commands.store_comment(s, draft, deps()))
        body = {"id": c.id, "status": str(c.status), "edit_token": token,
                "editable_until": c.created_at + deps().edit_window, "comment": own_view(c)}
        return body, 201 if c.status == CommentStatus.APPROVED else 202


@blp.route("/comments/counts")
class Counts(MethodView):
    @blp.arguments(CountArgs, location="query")
    @blp.response(200, CountsOut)
    def get(self, args):
        """Approved comment counts of many articles at once"""
        with rt().db.read_session() as s:
            rows = dict(s.execute(select(ArticleProjection.slug, ArticleProjection.approved_count)
                                  .where(ArticleProjection.slug.in_(args["article"]))).all())
        return {"counts": {slug: rows.get(slug, 0) for slug in args["article"]}}


@blp.route("/comments/<int:comment_id>")
class OwnComment(MethodView):
    @blp.doc(**EDIT_TOKEN)
    @blp.response(200, OwnCommentOut)
    def get(self, comment_id):
        """One's own comment, in any status, through its edit token"""
        with rt().db.read_session() as s:
            return own_view(commands.own_comment(s, comment_id, request.headers.get("X-Edit-Token")))

    @blp.doc(**EDIT_TOKEN)
    @blp.arguments(CommentEdit)
    @blp.response(200, OwnCommentOut)
    @limiter.limit(ratelimit.EDIT_COMMENT)
    def patch(self, data, comment_id):
        """Edit one's own comment (within the edit window; screened again)"""
        token = request.headers.get("X-Edit-Token")
        return own_view(rt().write(lambda s: commands.edit_comment(
            s, commands.own_comment(s, comment_id, token), data["body"], deps())))

    @blp.doc(**EDIT_TOKEN)
    @blp.response(204)
    @limiter.limit(ratelimit.EDIT_COMMENT)
    def delete(self, comment_id):
        """Delete one's own comment (within the edit window)"""
        token = request.headers.get("X-Edit-Token")
        rt().write(lambda s: commands.delete_comment(s, commands.own_comment(s, comment_id, token), deps()))


@blp.route("/comments/<int:comment_id>/vote")
class VoteView(MethodView):
    @blp.arguments(VoteIn)
    @blp.response(200, VoteOut)
    @limiter.limit(ratelimit.VOTE)
    def put(self, data, comment_id):
        """Vote up (1), down (-1) or withdraw (0)"""
        c = rt().write(lambda s: commands.vote(s, comment_id, data["voter_id"], data["value"],
                                           request.remote_addr or "", deps()))
        return {"id": c.id, "score": c.score, "upvotes": c.upvotes, "downvotes": c.downvotes,
                "value": data["value"]}


@blp.route("/comments/<int:comment_id>/flags")
class Flags(MethodView):
    @blp.arguments(FlagIn)
    @blp.response(202, FlagOut)
    @limiter.limit(ratelimit.FLAG)
    def post(self, data, comment_id):
        """Report a comment to the moderators"""
        c = rt().write(lambda s: commands.flag(s, comment_id, str(data["reason"]), data["note"],
                                           request.remote_addr or "", deps()))
        return {"id": c.id, "received": True}


# -- moderators ------------------------------------------------------------------------------


def _history(s, keys: set[str]) -> dict[str, dict]:
    rows = s.execute(select(Comment.author_key, Comment.status, func.count())
                     .where(Comment.author_key.in_(keys)).group_by(Comment.author_key, Comment.status))
    out = {k: {st: 0 for st in ("approved", "pending", "rejected", "spam", "removed")} for k in keys}
    for key, status, n in rows:
        if str(status) in out[key]:
            out[key][str(status)] = n
    return out


@mod.route("/queue")
class Queue(MethodView):
    @mod.doc(**BEARER)
    @mod.arguments(PageArgs, location="query")
    @mod.response(200, QueueOut)
    @moderator_only
    def get(self, args):
        """Held comments, oldest first, with the reasons screening gave"""
        q = select(Comment, ArticleProjection.title).join(
            ArticleProjection, ArticleProjection.slug == Comment.article, isouter=True
        ).where(Comment.held.is_(True), Comment.status == CommentStatus.PENDING)
        if args.get("cursor"):
            (after,) = decode_cursor(args["cursor"], 1)
            q = q.where(Comment.id > after)
        with rt().db.read_session() as s:
            rows = s.execute(q.order_by(Comment.id).limit(args["limit"] + 1)).all()
            more, rows = len(rows) > args["limit"], rows[: args["limit"]]
            history = _history(s, {c.author_key for c, _ in rows}) if rows else {}
        items = [{
            "id": c.id, "article": c.article, "article_title": title or "", "parent_id": c.parent_id,
            "author_name": c.author_name, "author_email": c.author_email, "body_md": c.body_md,
            "body_html": c.body_html, "status": str(c.status), "created_at": c.created_at,
            "flag_count": c.flag_count, "verdict": c.verdict, "verdict_category": c.verdict_category,
            "policy_version": c.policy_version, "reasons": c.verdict_reasons or [],
            "scores": c.verdict_scores or {}, "author_history": history.get(c.author_key, {}),
        } for c, title in rows]
        return {"items": items, "next_cursor": encode_cursor([rows[-1][0].id]) if more else None}


@mod.route("/comments/<int:comment_id>/decision")
class DecisionView(MethodView):
    @mod.doc(**BEARER)
    @mod.arguments(DecisionIn)
    @mod.response(200, DecisionOut)
    @moderator_only
    def post(self, data, comment_id):
        """Approve, reject or mark as spam"""
        c = rt().write(lambda s: commands.decide(s, comment_id, data["decision"], data["reason"], g.actor))
        return {"id": c.id, "status": str(c.status)}


@mod.route("/log")
class Log(MethodView):
    @mod.doc(**BEARER)
    @mod.arguments(LogArgs, location="query")
    @mod.response(200, LogOut)
    @moderator_only
    def get(self, args):
        """Every moderation decision, newest first"""
        q = select(ModerationLog)
        if args.get("comment_id"):
            q = q.where(ModerationLog.comment_id == args["comment_id"])
        if args.get("cursor"):
            (before,) = decode_cursor(args["cursor"], 1)
            q = q.where(ModerationLog.id < before)
        with rt().db.read_session() as s:
            rows = list(s.scalars(q.order_by(ModerationLog.id.desc()).limit(args["limit"] + 1)))
        more, rows = len(rows) > args["limit"], rows[: args["limit"]]
        return {"items": rows, "next_cursor": encode_cursor([rows[-1].id]) if more else None}
