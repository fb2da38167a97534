"""The moderation intake under a backlog: comments wait in the stream while screening tasks
wait for a worker, then go to the worker as one big batch (real Redis, real Celery queue,
no worker running: the test plays the worker taking a task)."""
from __future__ import annotations

import base64
import json

from shared.celery import waiting_tasks


def _queued_batches(client, namespace) -> list[int]:
    """Comments per screening task waiting in the Celery queue, oldest first."""
    messages = client.lrange(f"{namespace}:celery:moderation", 0, -1)
    return [len(json.loads(base64.b64decode(json.loads(m)["body"]))[0][0]) for m in reversed(messages)]


def test_new_comments_wait_in_the_stream_while_tasks_wait_then_go_as_one_batch(service_env):
    """Up to MODERATION_QUEUED_BATCHES (default 2, one per worker process of the default
    worker) tasks wait in the queue; beyond that the comments wait in the stream."""
    from tests.stack import Stack

    stack = Stack(services=("articles", "comments", "moderation"))
    stack.publish_article()
    rt, intake = stack.runtimes["moderation"], stack.consumers["moderation"]
    assert rt.extra["settings"].queued_batches == 2

    def post(n: int, tag: str) -> None:
        for i in range(n):
            response = stack.post_comment(body=f"A civil remark, {tag} number {i}.", email=f"r{i}@example.org")
            assert response.status_code == 202
        for relay in stack.relays.values():
            relay.publish_pending()

    post(3, "first")
    intake.run_once(block_ms=0)
    assert _queued_batches(rt.redis, rt.namespace) == [3]
    post(4, "second")  # one task waits: a second worker process would take the next at once
    intake.run_once(block_ms=0)
    assert _queued_batches(rt.redis, rt.namespace) == [3, 4]

    post(5, "third")  # the workers are busy: two tasks wait, so these stay in the stream
    for _ in range(3):
        intake.run_once(block_ms=0)
    assert _queued_batches(rt.redis, rt.namespace) == [3, 4]
    stream = f"{rt.namespace}:events:comments"
    assert intake.client.xpending(stream, "moderation")["pending"] == 0  # read by nobody, acked by nobody

    rt.redis.rpop(f"{rt.namespace}:celery:moderation")  # a worker takes the oldest waiting task
    assert waiting_tasks(rt.redis, rt.namespace, "moderation") == 1
    intake.run_once(block_ms=0)
    assert _queued_batches(rt.redis, rt.namespace) == [4, 5]  # all five in one task
