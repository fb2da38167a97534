"""What every notify process builds first: the runtime, the Celery app and the sender.

Nothing here imports Flask, so the Celery worker (``services/notify/worker.py``) and its
tasks start without the web stack; ``app.py`` adds the API and the consumer on top.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from services.notify import delivery, handlers
from services.notify import settings as settings_mod
from services.notify.links import SignedLinks
from services.notify.mail import make_mailer
from services.notify.messages import SiteConfig
from shared.bus import connect
from shared.celery import make_celery
from shared.db import Database
from shared.runtime import Runtime

NAME = "notify"


def _not_wired(subscription_id: int) -> object:
    raise RuntimeError("no Celery app to send the confirmation with: create_app wires one")


@dataclass
class NotifyRuntime(Runtime):
    settings: settings_mod.Settings
    deps: handlers.Deps
    #: hands a subscription's confirmation email to the workers; create_app sets it, since
    #: the API process is the one that has a Celery app to send tasks with
    enqueue_confirmation: Callable[[int], object] = _not_wired


def bootstrap(settings: settings_mod.Settings | None = None) -> NotifyRuntime:
    s = settings or settings_mod.load()
    deps = handlers.Deps(
        email_hmac_key=s.common.email_hmac_key,
        links=SignedLinks(s.common.secret_key, s.common.public_base_url,
                          confirm_max_age=timedelta(days=s.confirm_max_age_days)),
        site=SiteConfig(name=s.site_name, mail_from=s.mail_from, list_id_domain=s.list_id_domain,
                        public_base_url=s.common.public_base_url),
        hourly_cap=s.hourly_cap,
    )
    return NotifyRuntime(name=NAME, common=s.common, db=Database(s.database_url), redis=connect(s.common.redis_url),
                         settings=s, deps=deps)


def create_celery(runtime: NotifyRuntime | None = None):
    s = runtime.settings if runtime else settings_mod.load()
    return make_celery(NAME, s.common.redis_url, s.common.namespace, visibility_timeout=s.visibility_timeout,
                       include=["services.notify.tasks"])


def create_sender(runtime: NotifyRuntime) -> delivery.Sender:
    s = runtime.settings
    mailer = functools.cache(lambda: make_mailer(s.mail_backend, s.smtp))
    return delivery.Sender(runtime.db, mailer, runtime.deps, max_attempts=s.max_attempts,
                           lease=timedelta(seconds=s.send_lease_seconds), retry_base=s.retry_base_seconds)


@functools.cache
def worker_sender() -> delivery.Sender:
    """The sender of a worker process, made on its first task (never at import)."""
    return create_sender(bootstrap())
