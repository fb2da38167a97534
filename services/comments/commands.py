"""Reader and moderator commands: plain functions, session in, effect (and events) out."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from services.comments.errors import (ArticleNotFound, ArticleNotPublished, CommentNotFound, CommentsClosed,
                                      EditTokenMismatch, EditWindowClosed, HasReplies, NotEditable,
                                      ParentNotInDiscussion, VoteLimitReached)
from services.comments.models import (Actor, ArticleProjection, Comment, CommentStatus, Decision, Flag, Outbox,
                                      Vote)
from services.comments.render import render_markdown
from services.comments.status import PRODUCER, bump_thread, change_status, lock_article, locked
from shared.auth import email_key
from shared.db import utcnow
from shared.events import Event, EventType, new_event
from shared.outbox import add_events, insert_events

S = CommentStatus


@dataclass
class Deps:
    secret: str
    email_hmac_key: str
    max_depth: int = 4
    edit_window: timedelta = timedelta(minutes=15)
    flag_hold_threshold: int = 3
    votes_per_ip: int = 5
    now: Callable[[], datetime] = field(default=utcnow)

    def ip_hash(self, ip: str) -> str:
        return hmac.new(self.secret.encode(), f"ip:{ip}".encode(), hashlib.sha256).hexdigest()[:32]


def hash_edit_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _submitted_event(c: Comment, etype: EventType, mode: str) -> Event:
    return new_event(etype, c.id, {
        "comment_id": c.id, "article": c.article, "parent_id": c.parent_id, "author_key": c.author_key,
        "author_name": c.author_name, "body": c.body_md, "revision": c.revision, "moderation_mode": mode,
        "status": str(c.status), "anchor_quote": c.anchor_quote,
    }, PRODUCER)


# -- reader commands -------------------------------------------------------------------------


def open_article(s: Session, slug: str) -> ArticleProjection:
    return _open(s.get(ArticleProjection, slug), slug)


def _open(a, slug: str):
    """``a`` (an article or a row of its columns) when it takes comments; else the error why."""
    if a is None or a.status == "deleted":
        raise ArticleNotFound(slug)
    if a.status != "published":
        raise ArticleNotPublished()
    if a.comment_status != "open":
        raise CommentsClosed()
    return a


@dataclass(frozen=True)
class Draft:
    """A new comment's column values that need no database (rendered, hashed, stamped) and
    its edit token: made before the write transaction, so the write lock (all of SQLite's)
    is held only for the reads and writes."""

    values: dict
    parent_id: int | None
    token: str


def draft_comment(data: dict, deps: Deps, ip: str = "") -> Draft:
    token, now, anchor = secrets.token_urlsafe(24), deps.now(), data.get("anchor") or {}
    return Draft(values=dict(
        article=data["article"], author_name=data["author_name"], author_email=data["author_email"],
        author_key=email_key(deps.email_hmac_key, data["author_email"]), ip_hash=deps.ip_hash(ip),
        body_md=data["body"], body_html=render_markdown(data["body"]),
        anchor_paragraph=anchor.get("paragraph_id"), anchor_quote=anchor.get("quote"),
        status=S.PENDING, edit_token_hash=hash_edit_token(token), created_at=now, updated_at=now,
    ), parent_id=data.get("parent_id"), token=token)


def submit_comment(s: Session, data: dict, deps: Deps, ip: str = "") -> tuple[Comment, str]:
    """Store a new comment (pending, or approved at once on post-moderation articles)."""
    return store_comment(s, draft_comment(data, deps, ip), deps)


#: The post path's statements, run as Core on the session's connection: the ORM's unit of
#: work cost several times the writes themselves, all of it inside the write transaction
#: (on SQLite, while holding the one write lock every post queues on).
_ARTICLE_GATE = select(ArticleProjection.slug, ArticleProjection.status, ArticleProjection.comment_status,
                       ArticleProjection.moderation_mode).where(ArticleProjection.slug == bindparam("b_slug"))
_INSERT_COMMENT = insert(Comment.__table__)
#: what a new row holds in the columns a draft leaves out (the model's scalar defaults, else
#: NULL), so the comment object made from its values holds every column, as if loaded
_DEFAULTS = {col.key: col.default.arg if col.default is not None else None for col in Comment.__table__.c
             if not col.primary_key and (col.default is None or col.default.is_scalar)}


def store_comment(s: Session, draft: Draft, deps: Deps) -> tuple[Comment, str]:
    """The transactional half of :func:`submit_comment`."""
    conn, slug = s.connection(), draft.values["article"]
    article = _open(conn.execute(_ARTICLE_GATE, {"b_slug": slug}).one_or_none(), slug)
    if article.moderation_mode == "post":  # approved at once: counters move below
        lock_article(s, article.slug)
    parent = None
    if draft.parent_id is not None:
        parent = s.get(Comment, draft.parent_id)
        if parent is None or parent.article != article.slug or parent.status != S.APPROVED:
            raise ParentNotInDiscussion()
        # deeper replies attach to the deepest allowed ancestor, keeping the thread readable
        while parent.depth >= deps.max_depth:
            parent = s.get(Comment, parent.parent_id)
    values = {**_DEFAULTS, **draft.values, "parent_id": parent.id if parent else None,
              "root_id": (parent.root_id or parent.id) if parent else None,
              "path": f"{parent.path}{parent.id}/" if parent else "", "depth": (parent.depth + 1) if parent else 0}
    c = Comment(id=conn.execute(_INSERT_COMMENT, values).inserted_primary_key[0], **values)
    make_transient_to_detached(c)  # as if loaded: in the session, later changes to it flushed
    s.add(c)
    insert_events(s, Outbox, [_submitted_event(c, EventType.COMMENT_SUBMITTED, article.moderation_mode)])
    if article.moderation_mode == "post":
        change_status(s, c, S.APPROVED, actor=str(Actor.SCREENING), action="post-moderation",
                      reason="shown before screening (post-moderation article)", screened=False)
    return c, draft.token


def own_comment(s: Session, comment_id: int, token: str | None) -> Comment:
    c = s.get(Comment, comment_id)
    if c is None or locked(s, c).status == S.DELETED:
        raise CommentNotFound()
    if not token or not hmac.compare_digest(c.edit_token_hash, hash_edit_token(token)):
        raise EditTokenMismatch()
    return c


def _within_window(c: Comment, deps: Deps) -> None:
    if deps.now() - c.created_at > deps.edit_window:
        raise EditWindowClosed()


def edit_comment(s: Session, c: Comment, body: str, deps: Deps) -> Comment:
    _within_window(c, deps)
    if c.approved_descendants > 0:
        raise HasReplies()
    if c.status not in (S.PENDING, S.APPROVED):
        raise NotEditable(c.status)
    article = s.get(ArticleProjection, c.article)
    c.body_md, c.body_html = body, render_markdown(body)
    c.revision += 1
    c.edited_at = c.updated_at = deps.now()
    c.screened, c.held, c.moderator_decided = False, False, False
    if article is not None and article.moderation_mode == "pre" and c.status == S.APPROVED:
        change_status(s, c, S.PENDING, actor=str(Actor.AUTHOR), action="edit", reason="edited; screening again")
    else:
        bump_thread(s, c.article)
    add_events(s, Outbox, [_submitted_event(c, EventType.COMMENT_EDITED,
                                            article.moderation_mode if article else "pre")])
    return c


def delete_comment(s: Session, c: Comment, deps: Deps) -> None:
    """Soft delete: a comment with replies stays as a "[deleted]" placeholder to keep the shape."""
    _within_window(c, deps)
    change_status(s, c, S.DELETED, actor=str(Actor.AUTHOR), action="delete", reason="deleted by its author")
    c.body_md = c.body_html = ""
    c.author_name, c.author_email, c.anchor_quote = "", "", None


def vote(s: Session, comment_id: int, voter_id: str, value: int, ip: str, deps: Deps) -> Comment:
    c = s.get(Comment, comment_id)
    if c is None or locked(s, c).status != S.APPROVED:
        raise CommentNotFound()
    ip_hash = deps.ip_hash(ip)
    existing = s.get(Vote, (comment_id, voter_id))
    old = existing.value if existing else 0
    if existing is None and value:
        voters_here = s.scalar(select(func.count()).select_from(Vote)
                               .where(Vote.comment_id == comment_id, Vote.ip_hash == ip_hash))
        if voters_here >= deps.votes_per_ip:
            raise VoteLimitReached()
    if value == old:
        return c
    if existing is None:
        s.add(Vote(comment_id=comment_id, voter_id=voter_id, ip_hash=ip_hash, value=value))
    elif value == 0:
        s.delete(existing)
    else:
        existing.value, existing.updated_at = value, deps.now()
    up = (value == 1) - (old == 1)
    down = (value == -1) - (old == -1)
    s.execute(update(Comment).where(Comment.id == comment_id).values(
        upvotes=Comment.upvotes + up, downvotes=Comment.downvotes + down, score=Comment.score + up - down))
    bump_thread(s, c.article)
    s.flush()
    s.refresh(c)
    add_events(s, Outbox, [new_event(EventType.COMMENT_VOTED, c.id, {
        "comment_id": c.id, "article": c.article, "score": c.score, "upvotes": c.upvotes,
        "downvotes": c.downvotes}, PRODUCER)])
    return c


def flag(s: Session, comment_id: int, reason: str, note: str, reporter: str, deps: Deps) -> Comment:
    """Record a reader's report; enough reports take an approved comment back to the queue."""
    c = s.get(Comment, comment_id)
    if c is None or locked(s, c).status != S.APPROVED:
        raise CommentNotFound()
    key = deps.ip_hash(reporter)
    if s.scalar(select(Flag.id).where(Flag.comment_id == c.id, Flag.reporter_key == key)) is not None:
        return c  # one report per reader counts; repeating it is not an error
    s.add(Flag(comment_id=c.id, reporter_key=key, reason=reason, note=note or ""))
    c.flag_count += 1
    add_events(s, Outbox, [new_event(EventType.COMMENT_FLAGGED, c.id, {
        "comment_id": c.id, "article": c.article, "reason": reason, "flag_count": c.flag_count}, PRODUCER)])
    if c.flag_count >= deps.flag_hold_threshold:
        c.held = True
        change_status(s, c, S.PENDING, actor=str(Actor.READERS), action="hold",
                      reason=f"{c.flag_count} reader reports")
    return c


# -- moderators ------------------------------------------------------------------------------

_DECISIONS = {
    Decision.APPROVE: lambda c: S.APPROVED,
    Decision.REJECT: lambda c: S.REMOVED if c.status == S.APPROVED else S.REJECTED,
    Decision.SPAM: lambda c: S.SPAM,
}


def decide(s: Session, comment_id: int, decision: Decision, reason: str, moderator: str) -> Comment:
    c = s.get(Comment, comment_id)
    if c is None or locked(s, c).status == S.DELETED:
        raise CommentNotFound()
    new = _DECISIONS[decision](c)
    # the reports so far have been reviewed; only new ones count towards the next hold
    c.held, c.moderator_decided, c.flag_count = False, True, 0
    change_status(s, c, new, actor=moderator, action=str(decision), reason=reason)
    c.screened = True
    return c

