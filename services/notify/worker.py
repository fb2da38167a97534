"""Entry point of the notify Celery worker: ``celery -A services.notify.worker worker``."""
from services.notify.container import create_celery

app = create_celery()
