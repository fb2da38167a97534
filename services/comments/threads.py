"""Reading a discussion: a page of top-level comments, each with its reply tree.

Two queries per page whatever its size (top-level page, then every visible reply of those
roots), so a thread read never turns into one query per comment.
"""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.comments.models import Comment, CommentStatus
from shared.pagination import decode_cursor, encode_cursor

S = CommentStatus
#: statuses that still occupy a place in the thread when they have approved replies below
_PLACEHOLDER = (S.DELETED, S.REMOVED)


class Sort(StrEnum):
    MOST_VOTED = "most_voted"
    NEWEST = "newest"
    OLDEST = "oldest"


def _visible():
    return or_(Comment.status == S.APPROVED,
               Comment.status.in_(_PLACEHOLDER) & (Comment.approved_descendants > 0))


def _order_and_cursor(q, sort: Sort, cursor: str | None):
    if sort == Sort.MOST_VOTED:
        if cursor:
            score, ident = decode_cursor(cursor, 2)
            q = q.where(or_(Comment.score < score, (Comment.score == score) & (Comment.id < ident)))
        return q.order_by(Comment.score.desc(), Comment.id.desc())
    if sort == Sort.NEWEST:
        if cursor:
            (ident,) = decode_cursor(cursor, 1)
            q = q.where(Comment.id < ident)
        return q.order_by(Comment.id.desc())
    if cursor:
        (ident,) = decode_cursor(cursor, 1)
        q = q.where(Comment.id > ident)
    return q.order_by(Comment.id.asc())


def _cursor_of(c: Comment, sort: Sort) -> str:
    return encode_cursor([c.score, c.id] if sort == Sort.MOST_VOTED else [c.id])


def public_view(c) -> dict:
    """The public fields of a comment (a ``Comment`` or a row of ``_COLUMNS``)."""
    placeholder = c.status in _PLACEHOLDER
    return {
        "id": c.id, "parent_id": c.parent_id, "depth": c.depth,
        "author_name": "" if placeholder else c.author_name,
        "body_html": f"<p>[{c.status}]</p>" if placeholder else c.body_html,
        "status": str(c.status), "created_at": c.created_at, "edited_at": c.edited_at,
        "score": c.score, "upvotes": c.upvotes, "downvotes": c.downvotes,
        "anchor": {"paragraph_id": c.anchor_paragraph, "quote": c.anchor_quote} if c.anchor_paragraph else None,
        "replies": [],
    }


#: what a public read needs of a comment: plain rows, not ORM objects (a 200-comment page
#: loads about twice as fast); ``public_view`` reads them by attribute like a ``Comment``
_COLUMNS = (Comment.id, Comment.parent_id, Comment.root_id, Comment.depth, Comment.author_name, Comment.body_html,
            Comment.status, Comment.created_at, Comment.edited_at, Comment.score, Comment.upvotes,
            Comment.downvotes, Comment.anchor_paragraph, Comment.anchor_quote, Comment.approved_descendants)


def read_thread(s: Session, article: str, sort: Sort, cursor: str | None, limit: int,
                replies_per_thread: int) -> dict:
    q = select(*_COLUMNS).where(Comment.article == article, Comment.parent_id.is_(None), _visible())
    roots = list(s.execute(_order_and_cursor(q, sort, cursor).limit(limit + 1)))
    more = len(roots) > limit
    roots = roots[:limit]
    items = [public_view(c) for c in roots]
    by_id = {item["id"]: item for item in items}
    if roots:
        replies = s.execute(
            select(*_COLUMNS).where(Comment.root_id.in_(list(by_id)), _visible()).order_by(Comment.id)
            .limit(len(roots) * replies_per_thread)
        )
        shown: dict[int, int] = {}
        for r in replies:  # ids ascend, so a parent is always placed before its replies
            if shown.get(r.root_id, 0) >= replies_per_thread or r.parent_id not in by_id:
                continue
            shown[r.root_id] = shown.get(r.root_id, 0) + 1
            view = public_view(r)
            by_id[r.parent_id]["replies"].append(view)
            by_id[r.id] = view
    for root, item in zip(roots, items):
        item["reply_count"] = root.approved_descendants
    return {"items": items, "next_cursor": _cursor_of(roots[-1], sort) if more and roots else None}
