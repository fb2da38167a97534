"""Celery for the workers, configured for at-least-once work.

* ``task_acks_late``: a message is acknowledged after the task returns, so a worker that dies
  mid-task leaves it to be delivered again (handlers are idempotent, so that is safe);
* ``task_reject_on_worker_lost``: when a pool process is killed the message is requeued at
  once instead of being acknowledged as failed;
* ``worker_prefetch_multiplier = 1``: a worker reserves one message per process, so a slow
  task never sits on a queue of others that an idle worker could take;
* ``visibility_timeout`` (CELERY_VISIBILITY_TIMEOUT, default 900 s) is longer than the longest
  task (a screening batch takes well under a second, an email send at most the SMTP timeout
  times the retries inside one attempt), so Redis never hands a running task to a second
  worker; after a whole worker is killed its reserved messages come back after this long
  (plus at most a sweep interval, a third of it);
* poison tasks: :func:`attempts_exceeded` counts deliveries per task id in Redis, so a task
  that keeps killing its worker is dead-lettered after ``limit`` tries instead of looping.

Celery's broadcast does not work on Redis and events never travel through Celery: events are
on Redis Streams, Celery only carries work handed over by a stream consumer.
"""
from __future__ import annotations

from celery import Celery

import redis


def make_celery(name: str, broker_url: str, namespace: str, *, visibility_timeout: int = 900,
                include: list[str] | None = None) -> Celery:
    app = Celery(name, broker=broker_url, include=include or [])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=name,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "global_keyprefix": f"{namespace}:celery:",
            # sweep for tasks abandoned by a killed worker often enough that they come back
            # soon after their visibility timeout, not minutes later
            "unacked_restore_interval": max(1, min(60, visibility_timeout // 3)),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
        task_send_sent_event=True,
        enable_utc=True,
    )
    return app


def attempts_exceeded(client: redis.Redis, namespace: str, task_id: str, limit: int) -> bool:
    """Count one more delivery of ``task_id``; True once it has been tried ``limit`` times."""
    key = f"{namespace}:task-attempts:{task_id}"
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.expire(key, 86400)
    count = pipe.execute()[0]
    return count > limit


def forget_attempts(client: redis.Redis, namespace: str, task_id: str) -> None:
    client.delete(f"{namespace}:task-attempts:{task_id}")


def waiting_tasks(client: redis.Redis, namespace: str, queue: str) -> int:
    """Tasks in ``queue`` that no worker has taken yet (with the Redis transport a queue is a
    list under the app's key prefix; reserved tasks have left it for the unacked set)."""
    return client.llen(f"{namespace}:celery:{queue}")
