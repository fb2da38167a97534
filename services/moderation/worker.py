"""Entry point of the moderation Celery worker: ``celery -A services.moderation.worker worker``."""
import logging

from celery.signals import worker_init, worker_process_init

from services.moderation.app import create_celery, worker_runtime

app = create_celery()
log = logging.getLogger(__name__)


@worker_init.connect
def load_screener(**_kw) -> None:
    """Load the policy, the classifier and the shipped learned model (about a second; nothing
    is trained) once, in the worker's main process before it forks its pool: every pool
    process, and every replacement of one that died, starts with the models in memory
    (shared copy-on-write) instead of each loading its own, or the first comments after a
    start waiting for it."""
    try:
        worker_runtime().deps.screener()
    except Exception:  # a broken policy file: logged here, and each task fails on it visibly
        log.exception("could not load the screening policy")


@worker_process_init.connect
def forget_inherited_connections(**_kw) -> None:
    """A pool process must not use the database connections it inherited from the main
    process (Redis clients check the process id themselves and reconnect). Nothing to do if
    the main process could not build the runtime (each task then fails on it visibly)."""
    if worker_runtime.cache_info().currsize:
        worker_runtime().db.engine.dispose(close=False)
