"""Screening verdicts landing on comments: one on its own, or a batch of them that
:func:`prepare_batch` loads, locks and claims at once and whose counter changes it sums
(the :class:`VerdictBatch` it returns, which the consumer hands to each handler)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.orm import Session

from services.comments.models import Actor, ArticleProjection, Comment, CommentStatus
from services.comments.projection import ARTICLE_EVENTS
from services.comments.status import COUNTER_OPTIONS, Counters, change_status, locked
from shared.events import Event, EventType

if TYPE_CHECKING:
    from services.comments.commands import Deps

S = CommentStatus

#: a comment a screening verdict may still land on (as ``apply_verdict`` checks it in Python)
_AWAITS_VERDICT = (Comment.moderator_decided.is_(False), Comment.screened.is_(False), Comment.status != S.DELETED)
_CLAIM_FOR_VERDICT = (update(Comment)
                      .where(Comment.id == bindparam("b_id"), Comment.revision == bindparam("b_revision"),
                             *_AWAITS_VERDICT)
                      .values(screened=True).execution_options(**COUNTER_OPTIONS))


@dataclass
class VerdictBatch:
    """What :func:`prepare_batch` found and did for a batch of verdicts, handed by the
    consumer to each handler of the batch (``shared.consumer.BatchContext``)."""

    session: Session
    #: the comments whose verdict still applies, claimed (marked screened) in one statement
    claimed: set[int]
    #: the batch's counter changes, summed, written by :meth:`finish`
    counters: Counters
    #: the comments and articles read for the batch: the session holds loaded objects only
    #: weakly, so they are kept here for the length of the transaction
    loaded: tuple[list, list] = field(repr=False)

    def finish(self) -> None:
        self.counters.write(self.session)


def apply_verdict(s: Session, event: Event, deps: Deps, batch: VerdictBatch | None = None) -> None:
    """Apply screening to the revision it screened; a moderator's decision always wins, and a
    comment its author deleted meanwhile stays deleted."""
    d = event.data
    c = s.get(Comment, d["comment_id"])
    if c is None:
        return
    # A batch has locked its articles, read its comments and claimed them in one statement
    # already (prepare_batch); a verdict on its own takes its article's lock first, as every
    # writer does (PostgreSQL), and reads the comment again.
    claimed = batch.claimed if batch is not None else None
    if claimed is None:
        c = locked(s, c)
    if c.revision != d["revision"] or c.moderator_decided or c.screened or c.status == S.DELETED:
        return  # (c.screened also stops a second verdict event for the same revision in a batch)
    # The row as it is now, not as loaded: marking it screened in SQL checks and claims it at
    # once; a decision committed first wins, one still in flight waits and then wins.
    if claimed is not None:
        if c.id not in claimed:
            return
    elif not s.execute(_CLAIM_FOR_VERDICT, {"b_id": c.id, "b_revision": d["revision"]}).rowcount:
        return
    counters = batch.counters if batch is not None else None
    c.verdict, c.verdict_category = d["verdict"], d.get("category")
    c.verdict_reasons, c.verdict_scores, c.policy_version = d["reasons"], d["scores"], d["policy_version"]
    why = "; ".join(r["message"] for r in d["reasons"])[:2000]
    actor = f"{Actor.SCREENING}:{d['policy_version']}"
    if d["verdict"] == "approve":
        change_status(s, c, S.APPROVED, actor=actor, action="approve", reason=why or "clean", counters=counters)
    elif d["verdict"] == "hold":
        c.held = True
        change_status(s, c, S.PENDING, actor=actor, action="hold", reason=why, counters=counters)
    else:
        target = S.SPAM if d.get("category") == "spam" else S.REJECTED
        change_status(s, c, target, actor=actor, action="reject", reason=why, counters=counters)
    c.screened = True


def prepare_batch(s: Session, events, deps: Deps) -> VerdictBatch | None:
    """Load the comments a batch of verdicts is about in one query (the handlers then find
    them in the session instead of querying one by one), claim in one statement those whose
    verdict still applies, and have the batch's counter changes summed (written by the
    returned batch's ``finish``, at the end of the batch)."""
    verdicts = [ev.data for ev in events if ev.type == EventType.COMMENT_MODERATED]
    ids = [d["comment_id"] for d in verdicts]
    slugs = set(s.scalars(select(Comment.article).where(Comment.id.in_(ids)).distinct())) if ids else set()
    slugs.update(ev.data["slug"] for ev in events if ev.type in ARTICLE_EVENTS)
    if not slugs:
        return None
    # On PostgreSQL, lock every article the batch changes before any comment row (the claim
    # below), in slug order: the order every other writer keeps (see lock_article); then
    # read the comments, so what the handlers see is what the writers that held those locks
    # committed (a delete or a report just before). SQLite has one writer anyway.
    articles = s.scalars(select(ArticleProjection).where(ArticleProjection.slug.in_(slugs))
                         .order_by(ArticleProjection.slug).with_for_update()).all()
    comments = s.scalars(select(Comment).where(Comment.id.in_(ids))).all() if ids else []
    claimed: set[int] = set()
    if verdicts:
        pairs = sorted({(d["comment_id"], d["revision"]) for d in verdicts})
        claimed = set(s.scalars(
            update(Comment).where(tuple_(Comment.id, Comment.revision).in_(pairs), *_AWAITS_VERDICT)
            .values(screened=True).returning(Comment.id).execution_options(**COUNTER_OPTIONS)))
    return VerdictBatch(session=s, claimed=claimed, counters=Counters(), loaded=(list(comments), list(articles)))
