"""kill -9 a stream consumer with entries pending, with a poison event in the stream.

Every event takes effect exactly once (the article's approved count is exact), nothing stays
pending, and the dead-letter stream holds the poison event and nothing else."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select

from shared.bus import Publisher, read_dead_letters, stream_name
from shared.events import EventType, new_event

EVENTS = 600
from tests.faults.conftest import summary


def _approved(comment_id: int):
    return new_event(EventType.COMMENT_APPROVED, comment_id, {
        "comment_id": comment_id, "article": "story", "author_key": "k", "previous_status": "pending",
        "status": "approved", "revision": 1}, "comments")


def _consumer(tmp_path, name):
    return subprocess.Popen([sys.executable, "-m", "services.cli", "consume", "articles"], env=dict(os.environ),
                            stdout=open(tmp_path / f"{name}.log", "ab"), stderr=subprocess.STDOUT)


def test_a_killed_consumer_leaves_nothing_lost_doubled_or_stuck(service_env, tmp_path, redis_client, namespace):
    service_env.setenv("CONSUMER_CLAIM_IDLE_MS", "1000")
    from services.articles.models import Article
    from tests.stack import Stack

    stack = Stack(services=("articles",))
    r = stack.articles.post("/api/articles", json={"title": "Story", "slug": "story"},
                            headers=stack.auth(stack.editor))
    assert r.status_code == 201
    publisher = Publisher(redis_client, namespace)
    stream = stream_name(namespace, "comments")
    for n in range(1, EVENTS + 1):
        publisher.publish(_approved(n))
        if n == EVENTS // 2:
            redis_client.xadd(stream, {"event": b'{"id": "poison", "type": "comment.approved"}'})

    def count():
        with stack.runtimes["articles"].db.read_session() as s:
            return s.scalar(select(Article.approved_comment_count).where(Article.slug == "story"))

    first = _consumer(tmp_path, "first")
    deadline = time.monotonic() + 60
    while count() < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    pending_at_kill = redis_client.xpending(stream, "articles")["pending"]
    counted_at_kill = count()
    second = _consumer(tmp_path, "second")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (count() < EVENTS or redis_client.xpending(stream, "articles")["pending"]):
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    letters = read_dead_letters(redis_client, namespace)
    assert count() == EVENTS
    assert redis_client.xpending(stream, "articles")["pending"] == 0
    assert [letter["group"] for letter in letters] == ["articles"] and "lacks" in letters[0]["reason"]
    summary(f"kill -9 stream consumer: {counted_at_kill} applied and {pending_at_kill} pending at the kill; "
          f"all {EVENTS} applied exactly once after reclaim, 0 pending, dead letters: the poison event only")
