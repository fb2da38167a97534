"""Celery task of the moderation worker: decode a batch and call the handler."""
from __future__ import annotations

import logging

from celery import shared_task

from services.moderation.container import worker_runtime
from services.moderation.handlers import screen_comments
from shared.bus import dead_letter
from shared.celery import attempts_exceeded, forget_attempts
from shared.events import InvalidEvent, decode

log = logging.getLogger(__name__)
SCREEN_BATCH = "moderation.screen_batch"


@shared_task(name=SCREEN_BATCH, bind=True, autoretry_for=(Exception,), retry_backoff=True,
             retry_backoff_max=60, max_retries=8)
def screen_batch(self, payloads: list[str]) -> int:
    rt = worker_runtime()
    settings = rt.settings
    task_id = self.request.id or "eager"
    if attempts_exceeded(rt.redis, rt.namespace, task_id, settings.task_attempts + 8):
        for raw in payloads:
            dead_letter(rt.redis, rt.namespace, stream="celery:moderation", entry_id=task_id,
                        group="moderation-worker", reason="screening task kept failing", payload=raw)
        return 0
    events = []
    for raw in payloads:
        try:
            events.append(decode(raw))
        except InvalidEvent as exc:  # the consumer validated these; a bad one is dead-lettered
            dead_letter(rt.redis, rt.namespace, stream="celery:moderation", entry_id=task_id,
                        group="moderation-worker", reason=exc.reason, payload=raw)
    written = screen_comments(rt.db, events, rt.deps)
    rt.wake_relay()
    forget_attempts(rt.redis, rt.namespace, task_id)
    return written
