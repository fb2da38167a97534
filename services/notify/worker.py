"""Entry point of the notify Celery worker: ``celery -A services.notify.worker worker``."""
from services.notify.app import create_celery

app = create_celery()
