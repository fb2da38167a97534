"""Celery tasks of the notify worker: thin wrappers that call the sender."""
from __future__ import annotations

from celery import shared_task

from services.notify.container import worker_sender
from services.notify.mail import TransientMailError

SEND_DELIVERIES = "notify.send_deliveries"
SEND_DIGEST = "notify.send_digest"
SEND_CONFIRMATION = "notify.send_confirmation"


@shared_task(name=SEND_DELIVERIES)
def send_deliveries(ids: list[int]) -> dict:
    """Retries are scheduled on each delivery row, not by Celery: see delivery.py."""
    return dict(worker_sender().send_deliveries([int(i) for i in ids]))


@shared_task(name=SEND_DIGEST)
def send_digest(address_id: int) -> str:
    return worker_sender().send_digest(int(address_id))


@shared_task(name=SEND_CONFIRMATION, bind=True, autoretry_for=(TransientMailError,), retry_backoff=30,
             retry_backoff_max=1800, max_retries=8)
def send_confirmation(self, subscription_id: int) -> str:
    return worker_sender().send_confirmation(int(subscription_id))
