"""Entry point of the moderation Celery worker: ``celery -A services.moderation.worker worker``."""
from services.moderation.app import create_celery

app = create_celery()
