"""Notify service settings, read from the environment once by the factory.

With no SMTP settings, mail goes to the development sink that ``make run`` starts
(``parley mail sink`` on 127.0.0.1:8025, messages under var/mail/).
"""
from __future__ import annotations

from dataclasses import dataclass

from services.notify.mail import SmtpConfig, SmtpSecurity
from shared.settings import CommonSettings, common, database_url, env


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    database_url: str
    cors_origins: tuple[str, ...]
    mail_backend: str
    smtp: SmtpConfig
    mail_from: str
    site_name: str
    list_id_domain: str
    hourly_cap: int
    max_attempts: int
    retry_base_seconds: int
    send_lease_seconds: int
    send_batch: int
    confirm_max_age_days: int
    visibility_timeout: int


def load() -> Settings:
    e = env()
    c = common(e)
    return Settings(
        common=c,
        database_url=database_url(e, "notify", c.var_dir),
        cors_origins=tuple(e.list("CORS_ORIGINS", ["http://127.0.0.1:8000", "http://localhost:8000"])),
        mail_backend=e.str("MAIL_BACKEND", "smtp"),
        smtp=SmtpConfig(
            host=e.str("SMTP_HOST", "127.0.0.1"), port=e.int("SMTP_PORT", 8025),
            username=e.str("SMTP_USERNAME", "") or None, password=e.str("SMTP_PASSWORD", "") or None,
            security=SmtpSecurity(e.str("SMTP_SECURITY", "none")), timeout=e.float("SMTP_TIMEOUT", 30.0),
        ),
        mail_from=e.str("MAIL_FROM", "Parley <notifications@parley.example>"),
        site_name=e.str("SITE_NAME", "Parley"),
        list_id_domain=e.str("LIST_ID_DOMAIN", "comments.parley.example"),
        hourly_cap=e.int("NOTIFY_HOURLY_CAP", 10),
        max_attempts=e.int("NOTIFY_MAX_ATTEMPTS", 8),
        retry_base_seconds=e.int("NOTIFY_RETRY_BASE_SECONDS", 30),
        send_lease_seconds=e.int("NOTIFY_SEND_LEASE_SECONDS", 300),
        send_batch=e.int("NOTIFY_SEND_BATCH", 50),
        confirm_max_age_days=e.int("NOTIFY_CONFIRM_MAX_AGE_DAYS", 7),
        visibility_timeout=e.int("CELERY_VISIBILITY_TIMEOUT", 900),
    )
