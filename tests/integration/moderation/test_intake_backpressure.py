"""The moderation intake under a backlog: comments wait in the stream while a screening task
waits for a worker, then go to the worker as one big batch (real Redis, real Celery queue,
no worker running: the test plays the worker taking a task)."""
from __future__ import annotations

import base64
import json

from shared.celery import waiting_tasks


def _queued_batches(client, namespace) -> list[int]:
    """Comments per screening task waiting in the Celery queue, oldest first."""
    messages = client.lrange(f"{namespace}:celery:moderation", 0, -1)
    return [len(json.loads(base64.b64decode(json.loads(m)["body"]))[0][0]) for m in reversed(messages)]


def test_new_comments_wait_in_the_stream_while_a_task_waits_then_go_as_one_batch(service_env):
    from tests.stack import Stack

    stack = Stack(services=("articles", "comments", "moderation"))
    stack.publish_article()
    rt, intake = stack.runtimes["moderation"], stack.consumers["moderation"]

    def post(n: int) -> None:
        for i in range(n):
            assert stack.post_comment(body=f"A civil remark, number {i}.", email=f"r{i}@example.org").status_code == 202
        for relay in stack.relays.values():
            relay.publish_pending()

    post(3)
    intake.run_once(block_ms=0)
    assert _queued_batches(rt.redis, rt.namespace) == [3]

    post(5)  # the worker is busy: a task is still waiting, so these stay in the stream
    for _ in range(3):
        intake.run_once(block_ms=0)
    assert _queued_batches(rt.redis, rt.namespace) == [3]
    stream = f"{rt.namespace}:events:comments"
    assert intake.client.xpending(stream, "moderation")["pending"] == 0  # read by nobody, acked by nobody

    rt.redis.rpop(f"{rt.namespace}:celery:moderation")  # a worker takes the waiting task
    assert waiting_tasks(rt.redis, rt.namespace, "moderation") == 0
    intake.run_once(block_ms=0)
    assert _queued_batches(rt.redis, rt.namespace) == [5]  # all five in one task
