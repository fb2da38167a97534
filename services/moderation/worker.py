"""Entry point of the moderation Celery worker: ``celery -A services.moderation.worker worker``."""
import logging

from celery.signals import worker_process_init

from services.moderation.app import create_celery, worker_runtime

app = create_celery()


@worker_process_init.connect
def load_screener(**_kw) -> None:
    """Load the policy and the classifier (a few seconds) as each pool process starts, not on
    its first task: otherwise the first comments after a start or a restart wait for it."""
    try:
        worker_runtime().extra["deps"].screener()
    except Exception:  # a broken policy file: logged here, and each task fails on it visibly
        logging.getLogger(__name__).exception("could not load the screening policy")
