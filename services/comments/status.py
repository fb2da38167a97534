"""The comment status machine: every status change goes through :func:`change_status`, which
keeps the counts, the thread version (ETag and cache key), the moderation log and the outbox
in step, in the caller's transaction; and the article lock every writer takes first.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from services.comments.cache import touched
from services.comments.models import ArticleProjection, Comment, CommentStatus, ModerationLog, Outbox
from services.comments.render import excerpt
from shared.db import utcnow
from shared.events import EventType, new_event
from shared.outbox import add_events

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

#: counter statements (see change_status) neither flush the session first nor sync its objects
COUNTER_OPTIONS = {"synchronize_session": False, "autoflush": False}
COUNT_DESCENDANTS = (update(Comment).where(Comment.id.in_(bindparam("b_ids", expanding=True)))
                     .values(approved_descendants=Comment.approved_descendants + bindparam("b_delta"))
                     .execution_options(**COUNTER_OPTIONS))
COUNT_APPROVED = (update(ArticleProjection).where(ArticleProjection.slug == bindparam("b_slug"))
                  .values(approved_count=ArticleProjection.approved_count + bindparam("b_delta"),
                          thread_version=ArticleProjection.thread_version + 1)
                  .execution_options(**COUNTER_OPTIONS))


class Counters:
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

    def write(self, s: Session) -> None:
        """One statement per article, then one per distinct delta for the ancestor comments
        (articles before comments: the lock order)."""
        for slug in sorted(self.approved):
            s.execute(COUNT_APPROVED, {"b_slug": slug, "b_delta": self.approved[slug]})
        by_delta: dict[int, list[int]] = {}
        for ancestor in sorted(self.descendants):
            if self.descendants[ancestor]:
                by_delta.setdefault(self.descendants[ancestor], []).append(ancestor)
        for delta, ancestors in by_delta.items():
            s.execute(COUNT_DESCENDANTS, {"b_ids": ancestors, "b_delta": delta})


def change_status(s: Session, c: Comment, new: CommentStatus, *, actor: str, action: str,
                  reason: str = "", screened: bool = True, counters: Counters | None = None) -> None:
    """Move ``c`` to ``new``; with ``counters`` (a batch of verdicts, see
    ``verdicts.prepare_batch``) its counter changes are summed there instead of written."""
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
    if counters is not None:
        counters.add(c, delta)
    else:
        if delta and c.ancestor_ids:
            s.execute(COUNT_DESCENDANTS, {"b_ids": c.ancestor_ids, "b_delta": delta})
        s.execute(COUNT_APPROVED, {"b_slug": c.article, "b_delta": delta})
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


def lock_article(s: Session, slug: str) -> None:
    """Take the article's row lock (PostgreSQL; SQLite writers already hold the whole database).

    Lock order: every writer that changes an article's comments takes the article's row first
    and only then comment rows (its own, its ancestors' counters) — a batch of verdicts takes
    its articles in slug order, then its comments. So writers on one discussion queue on the
    article instead of deadlocking on each other's rows."""
    if s.get_bind().dialect.name != "sqlite":
        s.execute(select(ArticleProjection.slug).where(ArticleProjection.slug == slug).with_for_update())


def locked(s: Session, c: Comment) -> Comment:
    """The comment as committed now, read under its article's lock: a writer that loaded it
    while another was changing it (PostgreSQL, read committed) would otherwise act on the
    old status and count an approval twice, or a reader report once for two."""
    if s.get_bind().dialect.name != "sqlite":
        lock_article(s, c.article)
        s.refresh(c)
    return c


def bump_thread(s: Session, slug: str) -> None:
    s.execute(update(ArticleProjection).where(ArticleProjection.slug == slug)
              .values(thread_version=ArticleProjection.thread_version + 1))
    touched(s, slug)

