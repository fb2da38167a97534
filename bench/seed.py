"""Benchmark data: a 200-comment thread, an article to post to, one to fan out from."""
from __future__ import annotations

import random

from services.articles import app as articles_app, handlers as ah
from services.comments import app as comments_app, handlers as ch
from services.comments.models import ProcessedEvent
from services.articles.models import Outbox as ArticleOutbox
from shared.consumer import apply_once
from shared.events import decode
from sqlalchemy import select


def main() -> None:
    a_rt, c_rt = articles_app.bootstrap(), comments_app.bootstrap()
    with a_rt.db.session() as s:
        for slug in ("bench-thread", "bench-post", "bench-pipe", "bench-fanout", "bench-backlog"):
            ah.publish(s, ah.create_article(s, {"title": slug, "slug": slug, "body": "<p>Benchmark.</p>"}))
    with a_rt.db.read_session() as s:
        events = [decode(r.payload) for r in s.scalars(select(ArticleOutbox).order_by(ArticleOutbox.id))]
    deps = c_rt.extra["deps"]
    for ev in events:
        apply_once(c_rt.db, ProcessedEvent, "comments", ev, lambda s, e: ch.project_article(s, e, deps))
    rng = random.Random(1)
    with c_rt.db.session() as s:
        roots: list[int] = []
        for n in range(200):
            parent = rng.choice(roots) if roots and n % 3 == 0 else None
            c, _ = ch.submit_comment(s, {"article": "bench-thread", "parent_id": parent, "author_name": f"Reader {n}",
                                         "author_email": f"r{n}@example.org",
                                         "body": f"Comment {n}: " + "a considered remark " * 8}, deps)
            ch.decide(s, c.id, ch.Decision.APPROVE, "bench", "bench")
            c.score = rng.randint(-3, 20)
            if parent is None:
                roots.append(c.id)


if __name__ == "__main__":
    main()
