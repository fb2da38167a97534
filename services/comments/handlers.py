"""Comment commands and event handlers: plain functions, session in, effect (and events) out.

Every status change goes through :func:`change_status`, which keeps the counts, the thread
version (ETag and cache key), the moderation log and the outbox in step, in the caller's
transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import Session, make_transient_to_detached

from services.comments.models import (Actor, ArticleProjection, Comment, CommentStatus, Decision, Flag,
                                      ModerationLog, Outbox, Vote)
from services.comments.cache import touched
from services.comments.errors import (ArticleNotFound, ArticleNotPublished, CommentNotFound, CommentsClosed,
                                      EditTokenMismatch, EditWindowClosed, HasReplies, NotEditable,
                                      ParentNotInDiscussion, VoteLimitReached)
from services.comments.render import excerpt, render_markdown
from shared.auth import email_key
from shared.db import utcnow
from shared.events import Event, EventType, new_event
from shared.outbox import add_events, insert_events

PRODUCER = "comments"
S = CommentStatus

#: status reached -> event announcing it
_STATUS_EVENTS = {
    S.APPROVED: EventType.COMMENT_APPROVED,
    S.REJECTED: EventType.COMMENT_REJECTED,
    S.SPAM: EventType.COMMENT_REJECTED,
    S.REMOVED: EventType.COMMENT_REMOVED,
    S.DELETED: EventType.COMMENT_DELETED,
    S.PENDING: EventType.COMMENT_REMOVED,  # approved -> held again: gone from public view
}


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


_COUNTERS = {"synchronize_session": False, "autoflush": False}
_COUNT_DESCENDANTS = (update(Comment).where(Comment.id.in_(bindparam("b_ids", expanding=True)))
                      .values(approved_descendants=Comment.approved_descendants + bindparam("b_delta"))
                      .execution_options(**_COUNTERS))
#: a comment a screening verdict may still land on (as ``apply_verdict`` checks it in Python)
_AWAITS_VERDICT = (Comment.moderator_decided.is_(False), Comment.screened.is_(False), Comment.status != S.DELETED)
_CLAIM_FOR_VERDICT = (update(Comment).where(Comment.id == bindparam("b_id"), Comment.revision == bindparam("b_revision"),
                                             *_AWAITS_VERDICT)
                      .values(screened=True).execution_options(**_COUNTERS))
_COUNT_APPROVED = (update(ArticleProjection).where(ArticleProjection.slug == bindparam("b_slug"))
                   .values(approved_count=ArticleProjection.approved_count + bindparam("b_delta"),
                           thread_version=ArticleProjection.thread_version + 1)
                   .execution_options(**_COUNTERS))

# -- status changes --------------------------------------------------------------------------


def change_status(s: Session, c: Comment, new: CommentStatus, *, actor: str, action: str,
                  reason: str = "", screened: bool = True) -> None:
    old = c.status
    s.add(ModerationLog(comment_id=c.id, actor=actor, action=action, from_status=str(old), to_status=str(new),
                        reason=reason or ""))
    if new == old and not (new == S.APPROVED and screened and not c.screened):
        return
    delta = (new == S.APPROVED) - (old == S.APPROVED)
    # the first *screened* approval is the one readers are notified of (edits never are)
    first_approval = new == S.APPROVED and screened and not c.ever_approved
    c.status = new
    c.updated_at = utcnow()
    if first_approval:
        c.ever_approved = True
    # Counters move in SQL, so concurrent writers add up. The statements touch only counter
    # columns that no one sets through the ORM, so they need neither the session's pending
    # changes flushed first nor the loaded objects updated (nothing in one command reads a
    # counter again): a batch of verdicts then flushes once, at its commit.
    counters = s.info.get("counters")
    if counters is not None:  # a batch of verdicts sums its changes (see prepare_batch)
        counters.add(c, delta)
    else:
        if delta and c.ancestor_ids:
            s.execute(_COUNT_DESCENDANTS, {"b_ids": c.ancestor_ids, "b_delta": delta})
        s.execute(_COUNT_APPROVED, {"b_slug": c.article, "b_delta": delta})
    touched(s, c.article)
    article = s.get(ArticleProjection, c.article)
    title = (article.title if article is not None else "") or ""
    add_events(s, Outbox, [new_event(_STATUS_EVENTS[new], c.id, {
        "comment_id": c.id, "article": c.article, "article_title": title, "parent_id": c.parent_id,
        "ancestor_ids": c.ancestor_ids, "author_key": c.author_key, "author_name": c.author_name,
        "excerpt": excerpt(c.body_md), "previous_status": str(old), "status": str(new),
        "revision": c.revision, "screened": screened, "first_approval": first_approval,
        "imported": c.imported, "actor": actor, "reason": reason or None,
    }, PRODUCER)])


def _lock_article(s: Session, slug: str) -> None:
    """Take the article's row lock (PostgreSQL; SQLite writers already hold the whole database).

    Lock order: every writer that changes an article's comments takes the article's row first
    and only then comment rows (its own, its ancestors' counters) — a batch of verdicts takes
    its articles in slug order, then its comments. So writers on one discussion queue on the
    article instead of deadlocking on each other's rows."""
    if s.get_bind().dialect.name != "sqlite":
        s.execute(select(ArticleProjection.slug).where(ArticleProjection.slug == slug).with_for_update())


def _locked(s: Session, c: Comment) -> Comment:
    """The comment as committed now, read under its article's lock: a writer that loaded it
    while another was changing it (PostgreSQL, read committed) would otherwise act on the
    old status and count an approval twice, or a reader report once for two."""
    if s.get_bind().dialect.name != "sqlite":
        _lock_article(s, c.article)
        s.refresh(c)
    return c


def _bump_thread(s: Session, slug: str) -> None:
    s.execute(update(ArticleProjection).where(ArticleProjection.slug == slug)
              .values(thread_version=ArticleProjection.thread_version + 1))
    touched(s, slug)


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
        _lock_article(s, article.slug)
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
    if c is None or _locked(s, c).status == S.DELETED:
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
        _bump_thread(s, c.article)
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
    if c is None or _locked(s, c).status != S.APPROVED:
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
    _bump_thread(s, c.article)
    s.flush()
    s.refresh(c)
    add_events(s, Outbox, [new_event(EventType.COMMENT_VOTED, c.id, {
        "comment_id": c.id, "article": c.article, "score": c.score, "upvotes": c.upvotes,
        "downvotes": c.downvotes}, PRODUCER)])
    return c


def flag(s: Session, comment_id: int, reason: str, note: str, reporter: str, deps: Deps) -> Comment:
    """Record a reader's report; enough reports take an approved comment back to the queue."""
    c = s.get(Comment, comment_id)
    if c is None or _locked(s, c).status != S.APPROVED:
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
    if c is None or _locked(s, c).status == S.DELETED:
        raise CommentNotFound()
    new = _DECISIONS[decision](c)
    # the reports so far have been reviewed; only new ones count towards the next hold
    c.held, c.moderator_decided, c.flag_count = False, True, 0
    change_status(s, c, new, actor=moderator, action=str(decision), reason=reason)
    c.screened = True
    return c


# -- event handlers --------------------------------------------------------------------------


def project_article(s: Session, event: Event, deps: Deps) -> None:
    """Keep the local article projection; the highest revision wins, whatever the order."""
    d = event.data
    a = s.get(ArticleProjection, d["slug"])
    if a is not None and a.revision >= d["revision"]:
        return
    if a is None:
        a = ArticleProjection(slug=d["slug"], approved_count=0, thread_version=None)
        s.add(a)
    a.revision = d["revision"]
    if event.type == EventType.ARTICLE_DELETED:
        a.status = "deleted"
        a.comment_status = a.comment_status or "closed"
        a.moderation_mode = a.moderation_mode or "pre"
        a.title = a.title or ""
    else:
        a.title, a.status = d["title"], d["status"]
        a.comment_status, a.moderation_mode = d["comment_status"], d["moderation_mode"]
    # in SQL for an existing row: a batch's counter statements bump it too, and neither may
    # overwrite the other (a value computed here from the loaded row would)
    a.thread_version = 1 if a.thread_version is None else ArticleProjection.thread_version + 1
    touched(s, a.slug)


def apply_verdict(s: Session, event: Event, deps: Deps) -> None:
    """Apply screening to the revision it screened; a moderator's decision always wins, and a
    comment its author deleted meanwhile stays deleted."""
    d = event.data
    c = s.get(Comment, d["comment_id"])
    if c is None:
        return
    # A batch has locked its articles, read its comments and claimed them in one statement
    # already (prepare_batch); a verdict on its own takes its article's lock first, as every
    # writer does (PostgreSQL), and reads the comment again.
    claimed = s.info.get("claimed")
    if claimed is None:
        c = _locked(s, c)
    if c.revision != d["revision"] or c.moderator_decided or c.screened or c.status == S.DELETED:
        return  # (c.screened also stops a second verdict event for the same revision in a batch)
    # The row as it is now, not as loaded: marking it screened in SQL checks and claims it at
    # once; a decision committed first wins, one still in flight waits and then wins.
    if claimed is not None:
        if c.id not in claimed:
            return
    elif not s.execute(_CLAIM_FOR_VERDICT, {"b_id": c.id, "b_revision": d["revision"]}).rowcount:
        return
    c.verdict, c.verdict_category = d["verdict"], d.get("category")
    c.verdict_reasons, c.verdict_scores, c.policy_version = d["reasons"], d["scores"], d["policy_version"]
    why = "; ".join(r["message"] for r in d["reasons"])[:2000]
    actor = f"{Actor.SCREENING}:{d['policy_version']}"
    if d["verdict"] == "approve":
        change_status(s, c, S.APPROVED, actor=actor, action="approve", reason=why or "clean")
    elif d["verdict"] == "hold":
        c.held = True
        change_status(s, c, S.PENDING, actor=actor, action="hold", reason=why)
    else:
        target = S.SPAM if d.get("category") == "spam" else S.REJECTED
        change_status(s, c, target, actor=actor, action="reject", reason=why)
    c.screened = True


def prepare_batch(s: Session, events, deps: Deps) -> Callable[[], None] | None:
    """Load the comments a batch of verdicts is about in one query (the handlers then find
    them in the session instead of querying one by one), claim in one statement those whose
    verdict still applies, and have the batch's counter changes summed; returns what writes
    the sums, for the end of the batch."""
    verdicts = [ev.data for ev in events if ev.type == EventType.COMMENT_MODERATED]
    ids = [d["comment_id"] for d in verdicts]
    slugs = set(s.scalars(select(Comment.article).where(Comment.id.in_(ids)).distinct())) if ids else set()
    slugs.update(ev.data["slug"] for ev in events if ev.type in _ARTICLE_EVENTS)
    if not slugs:
        return None
    # On PostgreSQL, lock every article the batch changes before any comment row (the claim
    # below), in slug order: the order every other writer keeps (see _lock_article); then
    # read the comments, so what the handlers see is what the writers that held those locks
    # committed (a delete or a report just before). SQLite has one writer anyway.
    articles = s.scalars(select(ArticleProjection).where(ArticleProjection.slug.in_(slugs))
                         .order_by(ArticleProjection.slug).with_for_update()).all()
    comments = s.scalars(select(Comment).where(Comment.id.in_(ids))).all() if ids else []
    # the session holds loaded objects weakly: keep them for the length of the transaction
    s.info["prepared"] = (comments, articles)
    counters = s.info["counters"] = _Counters()
    if verdicts:
        pairs = sorted({(d["comment_id"], d["revision"]) for d in verdicts})
        s.info["claimed"] = set(s.scalars(
            update(Comment).where(tuple_(Comment.id, Comment.revision).in_(pairs), *_AWAITS_VERDICT)
            .values(screened=True).returning(Comment.id).execution_options(**_COUNTERS)))
    return lambda: _write_counters(s, counters)


class _Counters:
    """A batch's counter changes, summed: per article the approved delta (and one thread
    version bump), per ancestor comment the approved-descendants delta."""

    def __init__(self) -> None:
        self.approved: dict[str, int] = {}
        self.descendants: dict[int, int] = {}

    def add(self, c: Comment, delta: int) -> None:
        self.approved[c.article] = self.approved.get(c.article, 0) + delta
        if delta:
            for ancestor in c.ancestor_ids or ():
                self.descendants[ancestor] = self.descendants.get(ancestor, 0) + delta


def _write_counters(s: Session, counters: _Counters) -> None:
    """Write a batch's summed counter changes: one statement per article, then one per
    distinct delta for the ancestor comments (articles before comments: the lock order)."""
    del s.info["counters"]
    for slug in sorted(counters.approved):
        s.execute(_COUNT_APPROVED, {"b_slug": slug, "b_delta": counters.approved[slug]})
    by_delta: dict[int, list[int]] = {}
    for ancestor in sorted(counters.descendants):
        if counters.descendants[ancestor]:
            by_delta.setdefault(counters.descendants[ancestor], []).append(ancestor)
    for delta, ancestors in by_delta.items():
        s.execute(_COUNT_DESCENDANTS, {"b_ids": ancestors, "b_delta": delta})


_ARTICLE_EVENTS = (EventType.ARTICLE_PUBLISHED, EventType.ARTICLE_UPDATED, EventType.ARTICLE_UNPUBLISHED,
                   EventType.ARTICLE_DELETED)

EVENT_HANDLERS = {
    **{etype: [project_article] for etype in _ARTICLE_EVENTS},
    EventType.COMMENT_MODERATED: [apply_verdict],
}
