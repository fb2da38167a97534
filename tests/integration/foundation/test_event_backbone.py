"""The event backbone's guarantees, on a real Redis server and real databases."""
from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from shared import embedded_redis
from shared.bus import Publisher, read_dead_letters, stream_name
from shared.consumer import StreamConsumer
from shared.events import EventType, new_event


def _approved_event(comment_id=1, article="story"):
    return new_event(EventType.COMMENT_APPROVED, comment_id, {
        "comment_id": comment_id, "article": article, "author_key": "k", "previous_status": "pending",
        "status": "approved", "revision": 1}, "comments")


def test_an_event_delivered_twice_changes_each_consumer_once(stack, redis_client, namespace):
    stack.publish_article()
    event = _approved_event()
    publisher = Publisher(redis_client, namespace)
    publisher.publish(event)
    publisher.publish(event)  # the relay died between XADD and marking the row sent
    stack.pump()
    article = stack.articles.get("/api/articles/story").get_json()
    assert article["approved_comment_count"] == 1


def test_every_consumer_group_gets_each_event(stack, redis_client, namespace):
    seen = []
    extra = StreamConsumer(redis_client, namespace, "audit", ["articles"],
                           lambda evs: seen.extend(e.type for e in evs) or set(), block_ms=0)
    extra.ensure_groups()
    stack.publish_article()
    extra.run_once(block_ms=0)
    assert EventType.ARTICLE_PUBLISHED in seen
    with stack.runtimes["comments"].db.read_session() as s:
        from services.comments.models import ArticleProjection

        assert s.get(ArticleProjection, "story").status == "published"


def test_write_succeeds_while_redis_is_down_and_the_event_arrives_after_restart(service_env, tmp_path):
    port = embedded_redis.free_port()
    data_dir = tmp_path / "own-redis"
    service_env.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    service_env.setenv("RATELIMIT_ENABLED", "true")  # the limiter must not make an outage a 500
    proc = embedded_redis.start(port, data_dir)
    try:
        from tests.stack import Stack

        stack = Stack()
        stack.publish_article()
        proc.terminate()
        proc.wait(10)
        r = stack.post_comment(body="Posted while Redis is down.")
        assert r.status_code == 202
        cid = r.get_json()["id"]
        proc = embedded_redis.start(port, data_dir)
        stack.pump()
        import redis

        entries = redis.Redis(port=port).xrange(stream_name(stack.runtimes["comments"].namespace, "comments"))
        payloads = [fields[b"event"].decode() for _, fields in entries]
        assert any('"comment.submitted"' in p and f'"comment_id":{cid}' in p for p in payloads)
    finally:
        proc.terminate()
        proc.wait(10)


class _Died(BaseException):
    """Stands for a consumer process dying in the middle of a handler."""


def test_an_event_left_pending_by_a_dead_consumer_is_reclaimed_by_another(redis_client, namespace):
    publisher = Publisher(redis_client, namespace)
    handled = []

    def dies(_events):
        raise _Died()

    first = StreamConsumer(redis_client, namespace, "g", ["comments"], dies, name="a", block_ms=0,
                           claim_idle_ms=200)
    first.ensure_groups()
    publisher.publish(_approved_event(7))
    try:
        first.run_once(block_ms=0)
    except _Died:
        pass
    assert redis_client.xpending(stream_name(namespace, "comments"), "g")["pending"] == 1
    second = StreamConsumer(redis_client, namespace, "g", ["comments"],
                            lambda evs: handled.extend(e.key for e in evs) or set(), name="b", block_ms=0,
                            claim_idle_ms=200)
    time.sleep(0.3)
    second.run_once(block_ms=0)
    assert handled == ["7"]
    assert redis_client.xpending(stream_name(namespace, "comments"), "g")["pending"] == 0


def test_a_poison_event_goes_to_the_dead_letter_stream_and_later_events_flow(redis_client, namespace):
    stream = stream_name(namespace, "comments")
    redis_client.xadd(stream, {"event": b"{not json"})
    redis_client.xadd(stream, {"event": b'{"id":"x","type":"comment.approved","version":99,'
                                        b'"occurred_at":"2020-01-01T00:00:00","producer":"p","key":"1","data":{}}'})
    Publisher(redis_client, namespace).publish(_approved_event(3))
    handled = []
    c = StreamConsumer(redis_client, namespace, "g", ["comments"],
                       lambda evs: handled.extend(e.key for e in evs) or set(), block_ms=0)
    c.run_once(block_ms=0)
    assert handled == ["3"]
    letters = read_dead_letters(redis_client, namespace)
    assert len(letters) == 2
    assert "not JSON" in letters[0]["reason"] and "unknown version" in letters[1]["reason"]
    assert redis_client.xpending(stream, "g")["pending"] == 0


def test_a_consumer_validates_only_the_types_it_handles_and_acks_the_rest(redis_client, namespace):
    """Entries of types the consumer does not handle are acknowledged unread past their
    envelope (a payload that breaks its schema does not matter to it); a broken envelope, or a
    broken payload of a handled type, still goes to the dead-letter stream."""
    stream = stream_name(namespace, "comments")

    def raw(etype: str, data: dict) -> bytes:
        return json.dumps({"id": "01J0000000000000000000000X", "type": etype, "version": 1,
                           "occurred_at": "2026-01-01T00:00:00+00:00", "producer": "comments", "key": "9",
                           "data": data}).encode()

    redis_client.xadd(stream, {"event": raw("comment.submitted", {"nonsense": True})})  # not handled here
    redis_client.xadd(stream, {"event": b"{not json"})
    redis_client.xadd(stream, {"event": raw("comment.approved", {"comment_id": "not a number"})})
    Publisher(redis_client, namespace).publish(_approved_event(3))
    handled = []
    c = StreamConsumer(redis_client, namespace, "g", ["comments"],
                       lambda evs: handled.extend((e.type, e.key) for e in evs) or set(), block_ms=0,
                       types=[EventType.COMMENT_APPROVED])
    c.run_once(block_ms=0)
    assert handled == [(EventType.COMMENT_APPROVED, "3")]
    reasons = [letter["reason"] for letter in read_dead_letters(redis_client, namespace)]
    assert len(reasons) == 2 and "not JSON" in reasons[0] and "invalid comment.approved payload" in reasons[1]
    assert redis_client.xpending(stream, "g")["pending"] == 0

    # an entry of an unhandled type alone in a read is acknowledged too, not left pending
    Publisher(redis_client, namespace).publish(new_event(EventType.COMMENT_REJECTED, 4, {
        "comment_id": 4, "article": "story", "author_key": "k", "previous_status": "pending",
        "status": "rejected", "revision": 1}, "comments"))
    assert c.run_once(block_ms=0) == 1
    assert handled == [(EventType.COMMENT_APPROVED, "3")]
    assert redis_client.xpending(stream, "g")["pending"] == 0


def test_an_event_whose_handler_keeps_failing_is_dead_lettered_after_the_attempt_limit(redis_client, namespace):
    publisher = Publisher(redis_client, namespace)
    publisher.publish(_approved_event(1))
    publisher.publish(_approved_event(2))
    handled = []

    def handle(events):
        failed = {e.id for e in events if e.key == "1"}
        handled.extend(e.key for e in events if e.key != "1")
        return failed

    c = StreamConsumer(redis_client, namespace, "g", ["comments"], handle, block_ms=0, claim_idle_ms=50,
                       max_deliveries=3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not read_dead_letters(redis_client, namespace):
        c.run_once(block_ms=0)
        time.sleep(0.06)
    assert handled == ["2"]
    [letter] = read_dead_letters(redis_client, namespace)
    assert "failed 3 times" in letter["reason"]
    assert redis_client.xpending(stream_name(namespace, "comments"), "g")["pending"] == 0


def test_counts_and_projection_converge_after_a_burst(stack):
    import random

    rng = random.Random(4)
    for slug in ("a", "b", "c"):
        stack.publish_article(slug=slug)
    expected = {"a": 0, "b": 0, "c": 0}
    for i in range(60):
        slug = rng.choice("abc")
        cid = stack.post_comment(article=slug, body=f"comment {i}").get_json()["id"]
        decision = rng.choice(["approve", "approve", "reject", "spam"])
        stack.decide(cid, decision)
        if decision == "approve":
            if rng.random() < 0.2:
                stack.decide(cid, "reject")
            else:
                expected[slug] += 1
    stack.articles.patch("/api/articles/b", json={"comment_status": "closed"}, headers=stack.auth(stack.editor))
    stack.articles.post("/api/articles/c/unpublish", headers=stack.auth(stack.editor))
    stack.pump()
    from services.articles.models import Article
    from services.comments.models import ArticleProjection, Comment

    with stack.runtimes["articles"].db.read_session() as s:
        article_side = {a.slug: (a.approved_comment_count, a.revision, str(a.status), str(a.comment_status))
                        for a in s.scalars(select(Article))}
    with stack.runtimes["comments"].db.read_session() as s:
        comment_side = {p.slug: (p.approved_count, p.revision, p.status, p.comment_status)
                        for p in s.scalars(select(ArticleProjection))}
        truth = dict(s.execute(select(Comment.article, func.count()).where(Comment.status == "approved")
                               .group_by(Comment.article)).all())
    assert {k: v[0] for k, v in article_side.items()} == expected == {k: truth.get(k, 0) for k in expected}
    assert article_side == comment_side
    assert stack.post_comment(article="b").status_code == 409
    assert stack.post_comment(article="c").status_code == 409


def test_a_consumer_survives_a_failing_step_and_keeps_consuming(redis_client, namespace):
    import threading

    handled, ticks = [], []

    def tick():
        ticks.append(1)
        if len(ticks) == 1:
            raise RuntimeError("database restarting")

    c = StreamConsumer(redis_client, namespace, "g", ["comments"],
                       lambda evs: handled.extend(e.key for e in evs) or set(), block_ms=50, tick=tick)
    stop = threading.Event()
    runner = threading.Thread(target=c.run, args=(stop,))
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while len(ticks) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        Publisher(redis_client, namespace).publish(_approved_event(9))
        while not handled and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join(5)
    assert handled == ["9"] and len(ticks) >= 2


def test_a_held_consumer_leaves_entries_in_the_stream_and_then_takes_them_in_one_batch(redis_client, namespace):
    """Backpressure: while `hold` says the workers have work waiting, nothing is read (and
    nothing is lost: the entries wait in the stream); released, one read takes them all."""
    batches, busy = [], [True]
    c = StreamConsumer(redis_client, namespace, "g", ["comments"], lambda evs: batches.append(len(evs)) or set(),
                       block_ms=0, hold=lambda: busy[0], hold_ms=1)
    c.ensure_groups()
    publisher = Publisher(redis_client, namespace)
    for n in range(30):
        publisher.publish(_approved_event(comment_id=n + 1))
        c.run_once(block_ms=0)
    assert batches == []
    stream = stream_name(namespace, "comments")
    assert redis_client.xlen(stream) == 30 and redis_client.xpending(stream, "g")["pending"] == 0  # none read
    busy[0] = False
    c.run_once(block_ms=0)
    assert batches == [30]


def test_a_verdict_applied_by_the_consumer_wakes_the_relay_so_the_approval_leaves_at_once(stack):
    """The approval the consumer writes to the outbox is published within moments, not at the
    relay's next poll: replies reach the notify service (and their emails) that much sooner."""
    import threading

    from services.comments.models import Outbox
    from shared.bus import relay_wake_key
    from shared.events import decode

    rt = stack.runtimes["comments"]
    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    stack.pump()
    relay = rt.relay(Outbox)
    relay.poll_interval = 30  # without a wake-up, the approval would wait this long
    rt.redis.delete(relay_wake_key(rt.namespace, "comments"))
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.3)  # the relay is now blocked waiting for a wake-up
        Publisher(rt.redis, rt.namespace).publish(new_event(EventType.COMMENT_MODERATED, cid, {
            "comment_id": cid, "revision": 1, "verdict": "approve", "reasons": [], "scores": {},
            "policy_version": "t"}, "moderation"))
        stack.consumers["comments"].run_once(block_ms=0)
        deadline = time.monotonic() + 5
        approved = []
        while not approved and time.monotonic() < deadline:
            entries = rt.redis.xrange(stream_name(rt.namespace, "comments"))
            approved = [e for _, f in entries if (e := decode(f[b"event"])).type == EventType.COMMENT_APPROVED]
            time.sleep(0.05)
        assert [e.data["comment_id"] for e in approved] == [cid]
    finally:
        stop.set()
        rt.redis.lpush(relay_wake_key(rt.namespace, "comments"), 1)
        thread.join(5)
