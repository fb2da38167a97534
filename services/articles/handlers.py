"""Article commands and the comment-event projection. Plain functions: session in, effect out.

Every change bumps the article's revision and writes the full article state as an event in
the same transaction, so consumers can keep a projection by applying the highest revision.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from services.articles.errors import SlugFixed, SlugTaken
from services.articles.models import (Article, ArticleStatus, Category, CommentStatus, ModerationMode,
                                      Outbox)
from shared.db import utcnow
from shared.events import Event, EventType, new_event
from shared.outbox import add_events
from shared.text import sanitize_html, slugify

PRODUCER = "articles"

BODY_TAGS = {"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "a", "strong", "em", "b", "i",
             "br", "hr", "figure", "figcaption", "img", "code", "pre", "q", "cite", "sup", "sub"}
BODY_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "p": {"id"},
              "h2": {"id"}, "h3": {"id"}, "blockquote": {"id"}, "li": {"id"}}
_BARE_P = re.compile(r"<p>")


@dataclass
class Deps:
    """What handlers need besides the session (kept tiny so unit tests build one easily)."""

    email_hmac_key: str = ""


def sanitize_body(html: str) -> str:
    """Allow-listed HTML, with an id on every paragraph so readers can comment on a passage."""
    clean = sanitize_html(html, BODY_TAGS, BODY_ATTRS)
    counter = iter(range(1, 100_000))
    return _BARE_P.sub(lambda _m: f'<p id="p{next(counter)}">', clean)


def _unique_slug(s: Session, wanted: str, article_id: int | None = None) -> str:
    base, n, slug = wanted, 1, wanted
    while True:
        existing = s.scalar(select(Article.id).where(Article.slug == slug))
        if existing is None or existing == article_id:
            return slug
        n += 1
        slug = f"{base}-{n}"


def _categories(s: Session, names: list[str]) -> list[Category]:
    out = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        cat = s.scalar(select(Category).where(Category.name == name))
        if cat is None:
            cat = Category(name=name, slug=slugify(name))
            s.add(cat)
        out.append(cat)
    return out


def _state_event(a: Article, etype: EventType) -> Event:
    return new_event(etype, a.slug, {
        "slug": a.slug, "title": a.title, "summary": a.summary, "body_html": a.body_html,
        "status": str(a.status), "comment_status": str(a.comment_status),
        "moderation_mode": str(a.moderation_mode), "published_at": a.published_at, "revision": a.revision,
    }, PRODUCER)


def _apply_fields(s: Session, a: Article, data: dict) -> None:
    simple = ("title", "summary", "hero_image_url", "hero_image_alt", "source_name", "source_url", "author")
    for key in simple:
        if key in data:
            setattr(a, key, data[key])
    if "body" in data:
        a.body_html = sanitize_body(data["body"])
    if "comment_status" in data:
        a.comment_status = CommentStatus(data["comment_status"])
    if "moderation_mode" in data:
        a.moderation_mode = ModerationMode(data["moderation_mode"])
    if "categories" in data:
        a.categories = _categories(s, data["categories"])


def create_article(s: Session, data: dict) -> Article:
    if data.get("slug") and s.scalar(select(Article.id).where(Article.slug == data["slug"])) is not None:
        raise SlugTaken()
    a = Article(slug=data.get("slug") or _unique_slug(s, slugify(data["title"])), title=data["title"], categories=[])
    s.add(a)
    _apply_fields(s, a, data)
    s.flush()
    add_events(s, Outbox, [_state_event(a, EventType.ARTICLE_UPDATED)])
    return a


def update_article(s: Session, a: Article, data: dict) -> Article:
    if data.get("slug") and data["slug"] != a.slug:
        raise SlugFixed()
    _apply_fields(s, a, data)
    _touch(a)
    add_events(s, Outbox, [_state_event(a, EventType.ARTICLE_UPDATED)])
    return a


def publish(s: Session, a: Article, when: datetime | None = None) -> Article:
    a.status = ArticleStatus.PUBLISHED
    a.published_at = when or a.published_at or utcnow()
    _touch(a)
    add_events(s, Outbox, [_state_event(a, EventType.ARTICLE_PUBLISHED)])
    return a


def unpublish(s: Session, a: Article) -> Article:
    a.status = ArticleStatus.UNPUBLISHED
    _touch(a)
    add_events(s, Outbox, [_state_event(a, EventType.ARTICLE_UNPUBLISHED)])
    return a


def delete(s: Session, a: Article) -> None:
    add_events(s, Outbox, [new_event(EventType.ARTICLE_DELETED, a.slug,
                                     {"slug": a.slug, "revision": a.revision + 1}, PRODUCER)])
    s.delete(a)


def _touch(a: Article) -> None:
    a.revision += 1
    a.updated_at = utcnow()


# -- event handlers --------------------------------------------------------------------------

# Only this handler writes the counter, in SQL so concurrent consumers add up; nothing in a
# batch reads it back, so the statement neither flushes the session first nor updates loaded
# objects (the ORM's defaults, which cost more than the statement itself)
_COUNT_APPROVED = (update(Article).where(Article.slug == bindparam("b_slug"))
                   .values(approved_comment_count=Article.approved_comment_count + bindparam("b_delta"))
                   .execution_options(synchronize_session=False, autoflush=False))


def count_approved_comments(s: Session, event: Event, deps: Deps) -> None:
    """Keep the approved count from status changes; increments commute, so order is irrelevant."""
    d = event.data
    delta = (d["status"] == "approved") - (d["previous_status"] == "approved")
    if delta:
        s.execute(_COUNT_APPROVED, {"b_slug": d["article"], "b_delta": delta})


EVENT_HANDLERS = {
    EventType.COMMENT_APPROVED: [count_approved_comments],
    EventType.COMMENT_REJECTED: [count_approved_comments],
    EventType.COMMENT_REMOVED: [count_approved_comments],
    EventType.COMMENT_DELETED: [count_approved_comments],
}
