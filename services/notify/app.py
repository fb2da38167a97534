"""Factories of the notify service: API, consumer (fan-out and dispatch), Celery app, sender."""
from __future__ import annotations

import functools
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask

from services.notify import delivery, handlers, settings as settings_mod
from services.notify.api import blp, limiter
from services.notify.links import SignedLinks
from services.notify.mail import make_mailer
from services.notify.messages import SiteConfig
from services.notify.models import ProcessedEvent
from services.notify.tasks import SEND_CONFIRMATION, SEND_DELIVERIES, SEND_DIGEST
from shared.celery import make_celery
from shared.http import configure_app
from shared.ratelimit import init_limiter
from shared.runtime import Runtime

NAME = "notify"
MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: settings_mod.Settings | None = None) -> Runtime:
    s = settings or settings_mod.load()
    rt = Runtime.build(NAME, s.common, s.database_url)
    rt.extra["settings"] = s
    rt.extra["deps"] = handlers.Deps(
        email_hmac_key=s.common.email_hmac_key,
        links=SignedLinks(s.common.secret_key, s.common.public_base_url,
                          confirm_max_age=timedelta(days=s.confirm_max_age_days)),
        site=SiteConfig(name=s.site_name, mail_from=s.mail_from, list_id_domain=s.list_id_domain,
                        public_base_url=s.common.public_base_url),
        hourly_cap=s.hourly_cap,
    )
    return rt


def create_celery(runtime: Runtime | None = None):
    s = runtime.extra["settings"] if runtime else settings_mod.load()
    return make_celery(NAME, s.common.redis_url, s.common.namespace, visibility_timeout=s.visibility_timeout,
                       include=["services.notify.tasks"])


def create_app(settings: settings_mod.Settings | None = None, runtime: Runtime | None = None,
               celery=None) -> Flask:
    rt = runtime or bootstrap(settings)
    s = rt.extra["settings"]
    app = Flask(__name__)
    api = configure_app(app, title="Parley notifications", max_body_bytes=16 * 1024, cors_origins=s.cors_origins,
                        trusted_proxy_count=s.common.trusted_proxy_count)
    celery = celery or create_celery(rt)
    rt.extra["enqueue_confirmation"] = lambda sub_id: celery.send_task(SEND_CONFIRMATION, args=[sub_id],
                                                                       queue=NAME)
    app.extensions["parley"] = rt
    init_limiter(limiter, app, redis_url=s.common.redis_url, namespace=s.common.namespace,
                 enabled=s.common.ratelimit_enabled)
    api.register_blueprint(blp)
    return app


def create_sender(runtime: Runtime) -> delivery.Sender:
    s = runtime.extra["settings"]
    mailer = functools.cache(lambda: make_mailer(s.mail_backend, s.smtp))
    return delivery.Sender(runtime.db, mailer, runtime.extra["deps"], max_attempts=s.max_attempts,
                           lease=timedelta(seconds=s.send_lease_seconds), retry_base=s.retry_base_seconds)


@functools.cache
def worker_sender() -> delivery.Sender:
    """The sender of a worker process, made on its first task (never at import)."""
    return create_sender(bootstrap())


def dispatcher(rt: Runtime, celery, every: float = 0.5):
    """Periodic work between stream reads: every ``every`` seconds, release stale claims and
    hand due deliveries and digests to the workers. ``tick.hurry()`` (called by the consumer
    after committing a batch, which may have made deliveries) makes the next tick hand due
    deliveries over at once, so a reply's email does not wait for the period."""
    s = rt.extra["settings"]
    deps = rt.extra["deps"]
    lease = timedelta(seconds=s.send_lease_seconds)
    requeue_after = timedelta(seconds=s.visibility_timeout + 60)
    last, hurried = [0.0], [False]

    def dispatch_due() -> None:
        ids = delivery.due_deliveries(rt.db, deps, requeue_after)
        for i in range(0, len(ids), s.send_batch):
            celery.send_task(SEND_DELIVERIES, args=[ids[i:i + s.send_batch]], queue=NAME)

    def tick() -> None:
        periodic = time.monotonic() - last[0] >= every
        if periodic:
            last[0] = time.monotonic()
            delivery.release_stale_claims(rt.db, deps, lease)
        if periodic or hurried[0]:  # once per tick, even when both are due
            hurried[0] = False
            dispatch_due()
        if periodic:
            for address_id in delivery.due_digests(rt.db, deps):
                celery.send_task(SEND_DIGEST, args=[address_id], queue=NAME)

    tick.hurry = lambda: hurried.__setitem__(0, True)
    return tick


def create_consumer(runtime: Runtime | None = None, celery=None, **kw):
    """Reads article events (titles) and approvals (fan-out), and dispatches due mail."""
    rt = runtime or bootstrap()
    celery = celery or create_celery(rt)
    tick = kw.setdefault("tick", dispatcher(rt, celery))
    return rt.inline_consumer(["articles", "comments"], ProcessedEvent, handlers.EVENT_HANDLERS,
                              rt.extra["deps"], prepare=handlers.prepare_fan_out,
                              after_commit=getattr(tick, "hurry", None), **kw)
