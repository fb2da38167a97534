"""Stop Redis for 10 s while readers are posting: nothing accepted is lost, all of it is screened."""
from __future__ import annotations

import os
import threading
import time

import redis
from sqlalchemy import func, select

from shared import embedded_redis
from tests.faults.conftest import publish_article, summary, wait_for


def test_comments_posted_through_a_redis_outage_are_all_screened_and_shown(process_stack, service_env, tmp_path):
    port = embedded_redis.free_port()
    data = tmp_path / "redis-data"
    service_env.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    service_env.setenv("CELERY_VISIBILITY_TIMEOUT", "5")
    server = embedded_redis.start(port, data)  # AOF on: what Redis acknowledged survives the stop
    try:
        process_stack.up()
        publish_article(process_stack)
        accepted, refused = [], []
        stop = threading.Event()

        def post():
            n = 0
            while not stop.is_set():
                status, body = process_stack.call("POST", "/api/comments", {
                    "article": "story", "author_name": "Reader", "author_email": f"r{n}@example.org",
                    "body": f"A calm question number {n}: who audits the contracts at the shipyard?"})
                (accepted if status in (201, 202) else refused).append(body.get("id", status))
                n += 1
                time.sleep(0.05)

        poster = threading.Thread(target=post)
        poster.start()
        time.sleep(3)
        server.terminate()
        server.wait(10)
        outage_started = len(accepted)
        time.sleep(10)
        server = embedded_redis.start(port, data)
        time.sleep(3)
        stop.set()
        poster.join()
        during_outage = len(accepted) - outage_started

        def all_shown():
            status, thread = process_stack.call("GET", "/api/comments?article=story&sort=newest&limit=200")
            return status == 200 and thread["total"] == len(accepted)

        client = redis.Redis(port=port)
        ns = os.environ["PARLEY_NAMESPACE"]

        def nothing_pending():
            return sum(client.xpending(f"{ns}:events:{p}", g)["pending"]
                       for p, g in (("comments", "moderation"), ("moderation", "comments"),
                                    ("comments", "articles"), ("articles", "comments"))) == 0

        wait_for(all_shown, timeout=120)
        wait_for(nothing_pending, timeout=30)  # the other groups (counts) finish their last entries
        from services.moderation.app import bootstrap as moderation
        from services.moderation.models import VerdictRecord

        with moderation().db.read_session() as s:
            verdicts = s.scalar(select(func.count()).select_from(VerdictRecord))
        assert refused == []
        assert verdicts == len(accepted)
        assert client.xlen(f"{ns}:events:dead-letter") == 0
        summary(f"Redis stopped 10 s during posting: {len(accepted)} accepted ({during_outage} during the "
              f"outage), 0 refused, all screened once and shown, nothing pending, no dead letters")
    finally:
        server.terminate()
        server.wait(10)
