"""Reading a discussion: a page of top-level comments, each with its reply tree.

Two queries per page whatever its size (top-level page, then every visible reply of those
roots), so a thread read never turns into one query per comment.
"""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import bindparam, or_, select
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


_C = Comment.__table__.c


def _visible():
    return or_(_C.status == S.APPROVED, _C.status.in_(_PLACEHOLDER) & (_C.approved_descendants > 0))


def _cursor_filter(sort: Sort):
    """The page-after-cursor condition of ``sort``, on bound parameters ``b_score``/``b_id``."""
    if sort == Sort.MOST_VOTED:
        return or_(_C.score < bindparam("b_score"), (_C.score == bindparam("b_score")) & (_C.id < bindparam("b_id")))
    return _C.id < bindparam("b_id") if sort == Sort.NEWEST else _C.id > bindparam("b_id")


_ORDER = {Sort.MOST_VOTED: (_C.score.desc(), _C.id.desc()), Sort.NEWEST: (_C.id.desc(),),
          Sort.OLDEST: (_C.id.asc(),)}


def _cursor_params(sort: Sort, cursor: str) -> dict:
    if sort == Sort.MOST_VOTED:
        score, ident = decode_cursor(cursor, 2)
        return {"b_score": score, "b_id": ident}
    (ident,) = decode_cursor(cursor, 1)
    return {"b_id": ident}


def _cursor_of(c, sort: Sort) -> str:
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
_COLUMNS = (_C.id, _C.parent_id, _C.root_id, _C.depth, _C.author_name, _C.body_html, _C.status, _C.created_at,
            _C.edited_at, _C.score, _C.upvotes, _C.downvotes, _C.anchor_paragraph, _C.anchor_quote,
            _C.approved_descendants)
#: The page's two statements, built once per sort (and with or without a cursor) on bound
#: parameters and run as Core on the session's connection: building a statement and the
#: ORM's handling of its rows cost as much as the queries themselves, at every cache miss.
_ROOTS = {(sort, with_cursor): select(*_COLUMNS).where(
    _C.article == bindparam("b_article"), _C.parent_id.is_(None), _visible(),
    *((_cursor_filter(sort),) if with_cursor else ())).order_by(*_ORDER[sort]).limit(bindparam("b_limit"))
    for sort in Sort for with_cursor in (False, True)}
_REPLIES = (select(*_COLUMNS).where(_C.root_id.in_(bindparam("b_roots", expanding=True)), _visible())
            .order_by(_C.id).limit(bindparam("b_limit")))


def read_thread(s: Session, article: str, sort: Sort, cursor: str | None, limit: int,
                replies_per_thread: int) -> dict:
    conn = s.connection()
    params = {"b_article": article, "b_limit": limit + 1, **(_cursor_params(sort, cursor) if cursor else {})}
    roots = conn.execute(_ROOTS[sort, cursor is not None], params).all()
    more = len(roots) > limit
    roots = roots[:limit]
    items = [public_view(c) for c in roots]
    by_id = {item["id"]: item for item in items}
    if roots:
        replies = conn.execute(_REPLIES, {"b_roots": list(by_id), "b_limit": len(roots) * replies_per_thread})
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
