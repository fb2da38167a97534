"""Moderation handlers: article text for context, and screening of submitted comments.

Screening runs in batches: the Celery task hands a whole batch of ``comment.submitted`` and
``comment.edited`` events to :func:`screen_comments`, which screens them with one classifier
call and writes every verdict, its ``comment.moderated`` event and the processed-event marks
in one transaction. A verdict is keyed by (comment, revision), so a redelivered batch, a
retried task or a second worker racing on the same entry never produces a second verdict.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services.moderation.models import ArticleText, Outbox, ProcessedEvent, VerdictRecord
from services.moderation.screening import (AuthorHistory, Category, Decision, ModerationMode, Screener,
                                           Submission, Verdict)
from shared.db import Database, insert_rows, processed_ids
from shared.events import Event, EventType, new_event
from shared.outbox import insert_events
from shared.text import html_to_text

log = logging.getLogger(__name__)
PRODUCER = CONSUMER = "moderation"
SCREENED_TYPES = (EventType.COMMENT_SUBMITTED, EventType.COMMENT_EDITED)


@dataclass
class Deps:
    history: AuthorHistory
    screener: Callable[[], Screener]  # built lazily: loading the model takes a second or two


# -- inline handlers (run by the consumer) ---------------------------------------------------


def remember_article(s: Session, event: Event, deps: Deps) -> None:
    d = event.data
    row = s.get(ArticleText, d["slug"])
    if row is not None and row.revision >= d["revision"]:
        return
    if event.type == EventType.ARTICLE_DELETED:
        if row is not None:
            s.delete(row)
        return
    if row is None:
        row = ArticleText(slug=d["slug"], revision=d["revision"])
        s.add(row)
    row.revision, row.text = d["revision"], html_to_text(d["body_html"])


def remember_moderator_rejection(s: Session, event: Event, deps: Deps) -> None:
    """A moderator's rejection counts in the author's history just like screening's."""
    d = event.data
    if not d["actor"].startswith("screening") and d["status"] in ("rejected", "spam", "removed"):
        deps.history.record_verdict(d["author_key"], Decision.REJECT, event.occurred_at.timestamp())


EVENT_HANDLERS = {
    EventType.ARTICLE_PUBLISHED: [remember_article],
    EventType.ARTICLE_UPDATED: [remember_article],
    EventType.ARTICLE_UNPUBLISHED: [remember_article],
    EventType.ARTICLE_DELETED: [remember_article],
    EventType.COMMENT_REJECTED: [remember_moderator_rejection],
    EventType.COMMENT_REMOVED: [remember_moderator_rejection],
}


# -- batch screening (run by the Celery task) -------------------------------------------------


def _category(v: Verdict) -> str | None:
    if v.decision == Decision.APPROVE or not v.reasons:
        return None
    if any(r.category == Category.SPAM for r in v.reasons) and v.decision == Decision.REJECT:
        return str(Category.SPAM)
    return str(max(v.reasons, key=lambda r: r.score).category)


def screen_comments(db: Database, events: Sequence[Event], deps: Deps) -> int:
    """Screen every not-yet-screened event of the batch; returns how many verdicts were written.

    Screening runs outside any transaction: the batch is read (what is already screened, the
    articles' texts), screened, and only then written in one short write transaction, which
    checks again what another worker committed meanwhile (a redelivered batch, say) and
    records only the rest (a verdict still uncommitted elsewhere makes this one fail on the
    unique key, and the task is retried, finding it). So worker processes screen side by
    side instead of queueing for the database (SQLite's one writer, or PostgreSQL row locks)
    for the length of a screening. What the write finds still to record is a part of what
    the read found (verdicts and processed marks are only ever added, together)."""
    events = [e for e in events if e.type in SCREENED_TYPES]
    if not events:
        return 0
    with db.read_session() as s:
        todo, _ = _unscreened(s, events)
        texts = dict(s.execute(select(ArticleText.slug, ArticleText.text).where(
            ArticleText.slug.in_({e.data["article"] for e in todo}))).all()) if todo else {}
    verdicts = dict(zip((_key(e) for e in todo),
                        deps.screener().screen_batch([_submission(e, texts) for e in todo]), strict=True))
    with db.session() as s:
        todo, answered = _unscreened(s, events)
        for e in answered:
            s.add(ProcessedEvent(event_id=e.id, consumer=CONSUMER))
        if todo:
            _record(s, todo, [verdicts[_key(e)] for e in todo])
    return len(todo)


def _key(e: Event) -> tuple[int, int]:
    return e.data["comment_id"], e.data["revision"]


#: the verdicts already recorded for some comments, built once and run as Core (a task asks
#: twice)
_VERDICTS_OF = select(VerdictRecord.__table__.c.comment_id, VerdictRecord.__table__.c.revision).where(
    VerdictRecord.__table__.c.comment_id.in_(bindparam("b_ids", expanding=True)))


def _unscreened(s: Session, events: Sequence[Event]) -> tuple[list[Event], list[Event]]:
    """(events to screen, events whose comment revision already has a verdict); events
    already processed, and repeats of a comment revision within the batch, in neither."""
    done = processed_ids(s, ProcessedEvent, CONSUMER, [e.id for e in events])
    screened = {(comment_id, revision) for comment_id, revision in s.connection().execute(
        _VERDICTS_OF, {"b_ids": sorted({e.data["comment_id"] for e in events})})}
    todo, answered, seen = [], [], set()
    for e in events:
        key = _key(e)
        if e.id in done or key in seen:
            continue
        seen.add(key)
        (answered if key in screened else todo).append(e)
    return todo, answered


def _submission(e: Event, article_texts: dict[str, str]) -> Submission:
    d = e.data
    return Submission(
        id=str(d["comment_id"]), text=d["body"], article_body=article_texts.get(d["article"]),
        author_key=d["author_key"], article=d["article"], mode=ModerationMode(d["moderation_mode"]),
        submitted_at=e.occurred_at.timestamp(),
    )


def _record(s: Session, events: Sequence[Event], verdicts: Sequence[Verdict]) -> None:
    """Each verdict, its ``comment.moderated`` event and the processed mark of the event it
    answers, written as three multi-row inserts (the batch's outbox rows in screening order)."""
    records, outbox, processed = [], [], []
    for e, v in zip(events, verdicts):
        d, doc = e.data, v.to_dict()
        category = _category(v)
        out = new_event(EventType.COMMENT_MODERATED, d["comment_id"], {
            "comment_id": d["comment_id"], "revision": d["revision"], "verdict": doc["decision"],
            "category": category, "reasons": doc["reasons"], "scores": doc["scores"],
            "policy_version": v.policy_version}, PRODUCER)
        records.append({"comment_id": d["comment_id"], "revision": d["revision"], "article": d["article"],
                        "author_key": d["author_key"], "decision": doc["decision"], "category": category,
                        "reasons": doc["reasons"], "scores": doc["scores"], "policy_version": v.policy_version,
                        "event_id": out.id})
        outbox.append(out)
        processed.append({"event_id": e.id, "consumer": CONSUMER})
    insert_rows(s, VerdictRecord, records)
    insert_rows(s, ProcessedEvent, processed)
    insert_events(s, Outbox, outbox)
