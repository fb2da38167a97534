"""Restart PostgreSQL during a burst of comments (CI's server pass, where it is a real server).

Requests that arrive while the database is down get a 503 in the error shape (never a 500),
and every comment that was accepted is stored, screened once and shown."""
from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import BACKEND
from tests.faults.conftest import publish_article, summary, wait_for

pytestmark = pytest.mark.skipif(BACKEND != "server", reason="needs the PostgreSQL server (CI's server pass)")


def _restart_postgres() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True, timeout=60)


def test_a_postgres_restart_during_a_burst_loses_no_accepted_comment(process_stack):
    process_stack.up()
    publish_article(process_stack)
    outcomes: list[tuple[int, dict]] = []
    stop = threading.Event()

    def post():
        n = 0
        while not stop.is_set():
            status, body = process_stack.call("POST", "/api/comments", {
                "article": "story", "author_name": "Reader", "author_email": f"r{n}@example.org",
                "body": f"A civil question number {n} about the inspections at the shipyard."})
            outcomes.append((status, body))
            n += 1
            time.sleep(0.02)

    poster = threading.Thread(target=post)
    poster.start()
    time.sleep(2)
    _restart_postgres()
    time.sleep(3)
    stop.set()
    poster.join()
    statuses = {status for status, _ in outcomes}
    accepted = [body["id"] for status, body in outcomes if status in (201, 202)]
    unavailable = sum(1 for status, _ in outcomes if status == 503)
    assert statuses <= {202, 503}, statuses

    def all_shown():
        status, thread = process_stack.call("GET", "/api/comments?article=story&sort=newest&limit=200")
        return status == 200 and thread["total"] == len(accepted)

    wait_for(all_shown, timeout=120)
    from services.moderation.app import bootstrap as moderation
    from services.moderation.models import VerdictRecord

    with moderation().db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(VerdictRecord)) == len(accepted)
    summary(f"PostgreSQL restarted during a burst: {len(accepted)} accepted, {unavailable} answered 503 "
          f"while it was down, every accepted comment stored, screened once and shown")
