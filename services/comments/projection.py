"""The comments service's copy of each article (title, status, moderation mode), from article events."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from services.comments.cache import touched
from services.comments.models import ArticleProjection
from shared.events import Event, EventType

if TYPE_CHECKING:
    from services.comments.commands import Deps

ARTICLE_EVENTS = (EventType.ARTICLE_PUBLISHED, EventType.ARTICLE_UPDATED, EventType.ARTICLE_UNPUBLISHED,
                  EventType.ARTICLE_DELETED)


def project_article(s: Session, event: Event, deps: Deps, batch: object = None) -> None:
    """Keep the local article projection; the highest revision wins, whatever the order.
    (``batch``: what ``verdicts.prepare_batch`` found, unused here.)"""
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

