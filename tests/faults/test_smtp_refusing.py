"""The SMTP server refuses everything for 30 s: mail waits and then goes out, once each."""
from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import insert, select

from tests.smtp_server import SmtpStage
from tests.e2e.conftest import start_worker, wait_until

SUBSCRIBERS = 30
from tests.faults.conftest import summary


def test_mail_refused_for_30_seconds_is_delivered_once_afterwards(service_env, tmp_path):
    from tests.smtp_server import CapturingSmtpServer

    smtp = CapturingSmtpServer().start()
    for key, value in {"SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port), "MAIL_BACKEND": "smtp",
                       "NOTIFY_RETRY_BASE_SECONDS": "2", "PUBLIC_BASE_URL": "http://parley.test"}.items():
        service_env.setenv(key, value)
    from services.notify.models import Address, Delivery, Subscription
    from tests.stack import Stack

    stack = Stack(services=("articles", "comments", "notify"))
    stack.publish_article()
    with stack.runtimes["notify"].db.session() as s:
        s.execute(insert(Address), [{"email": f"r{n}@example.org", "email_key": f"k{n}"} for n in range(SUBSCRIBERS)])
        ids = list(s.scalars(select(Address.id)))
        s.execute(insert(Subscription), [{"address_id": i, "kind": "article", "article": "story",
                                          "comment_id": 0, "status": "confirmed"} for i in ids])
    smtp.respond_with(421, "Service not available, try later", stage=SmtpStage.MAIL)
    worker = start_worker("notify", "--pool=solo", log_path=tmp_path / "worker.log")
    try:
        stack.decide(stack.post_comment(body="Refused for a while.").get_json()["id"])
        refused_until = time.monotonic() + 30

        def retried():
            with stack.runtimes["notify"].db.read_session() as s:
                return all(d.attempts >= 1 for d in s.scalars(select(Delivery)))

        wait_until(stack, retried)
        while time.monotonic() < refused_until:
            stack.pump()
            time.sleep(0.2)
        assert smtp.messages == []
        smtp.accept()
        accepted_at = time.monotonic()
        wait_until(stack, lambda: len(smtp.messages) >= SUBSCRIBERS, timeout=90)
        time.sleep(1)
        stack.pump()
    finally:
        worker.terminate()
        worker.wait(15)
        smtp.stop()
    counts = Counter(m["To"] for m in smtp.messages)
    assert len(counts) == SUBSCRIBERS and set(counts.values()) == {1}
    with stack.runtimes["notify"].db.read_session() as s:
        attempts = [d.attempts for d in s.scalars(select(Delivery))]
    summary(f"SMTP refusing for 30 s: {SUBSCRIBERS} emails held back, then each delivered once "
          f"{time.monotonic() - accepted_at:.1f} s after the server recovered (up to {max(attempts)} attempts)")
