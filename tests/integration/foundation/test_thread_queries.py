"""A thread read costs a fixed number of queries, however many comments and replies it has."""
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def count_queries(engine):
    seen = []

    def before(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _thread_of(stack, roots, replies_each):
    for r in range(roots):
        root = stack.post_comment(body=f"root {r}").get_json()["id"]
        stack.decide(root)
        parent = root
        for n in range(replies_each):
            parent_id = parent if n % 2 else root
            cid = stack.post_comment(body=f"reply {r}.{n}", parent_id=parent_id).get_json()["id"]
            stack.decide(cid)
            parent = cid


def test_thread_read_needs_the_same_few_queries_for_small_and_large_threads(stack):
    engine = stack.runtimes["comments"].db.engine
    stack.publish_article(slug="small")
    stack.publish_article()
    _thread_of(stack, roots=1, replies_each=1)
    with count_queries(engine) as small:
        stack.thread()
    _thread_of(stack, roots=15, replies_each=6)
    with count_queries(engine) as large:
        page = stack.thread(limit=20)
    assert len(page["items"]) == 16 and sum(len(i["replies"]) for i in page["items"]) > 15
    assert len(large) == len(small) <= 3, large


def test_a_repeated_thread_read_is_served_from_the_cache_and_a_decision_invalidates_it(stack):
    engine = stack.runtimes["comments"].db.engine
    stack.publish_article()
    first = stack.post_comment(body="first").get_json()["id"]
    stack.decide(first)
    stack.thread()
    with count_queries(engine) as cached:
        assert [c["id"] for c in stack.thread()["items"]] == [first]
    assert cached == []
    second = stack.post_comment(body="second").get_json()["id"]
    stack.decide(second)  # committed by the moderator API: the cached page must not survive it
    assert {c["id"] for c in stack.thread()["items"]} == {first, second}
    from shared.events import EventType, new_event
    from shared.bus import Publisher

    third = stack.post_comment(body="third").get_json()["id"]
    verdict = new_event(EventType.COMMENT_MODERATED, third, {
        "comment_id": third, "revision": 1, "verdict": "approve", "reasons": [], "scores": {},
        "policy_version": "t"}, "moderation")
    Publisher(stack.runtimes["comments"].redis, stack.runtimes["comments"].namespace).publish(verdict)
    stack.pump()  # applied by the consumer process, not the API
    assert {c["id"] for c in stack.thread()["items"]} == {first, second, third}


def _verdicts(stack, ids):
    from shared.bus import Publisher
    from shared.events import EventType, new_event

    rt = stack.runtimes["comments"]
    publisher = Publisher(rt.redis, rt.namespace)
    for cid in ids:
        publisher.publish(new_event(EventType.COMMENT_MODERATED, cid, {
            "comment_id": cid, "revision": 1, "verdict": "approve" if cid % 3 else "hold",
            "category": None if cid % 3 else "prejudice", "reasons": [], "scores": {}, "policy_version": "t"},
            "moderation"))


def test_a_batch_of_verdicts_costs_the_same_few_queries_for_3_comments_and_for_30(stack):
    engine = stack.runtimes["comments"].db.engine
    consumer = stack.consumers["comments"]
    stack.publish_article()
    stack.pump()
    counts = []
    for n in (3, 30):
        ids = [stack.post_comment(body=f"comment {i}").get_json()["id"] for i in range(n)]
        _verdicts(stack, ids)
        with count_queries(engine) as seen:
            consumer.run_once(block_ms=0)  # one read, one batch
        updates = [q for q in seen if q.startswith("UPDATE")]
        counts.append((len([q for q in seen if q.startswith("SELECT")]),  # processed ids, comments, articles
                       len([q for q in updates if q.startswith("UPDATE articles")]),  # the summed counters
                       len([q for q in updates if "(comments.id, comments.revision) IN" in q])))  # the claim
        assert {c["id"] for c in stack.thread(limit=100)["items"]} >= {i for i in ids if i % 3}
    # (the ORM's flush of the changed comments is one UPDATE per comment on top of these)
    assert counts[0] == counts[1] and counts[0][0] <= 4 and counts[0][1:] == (1, 1), counts
