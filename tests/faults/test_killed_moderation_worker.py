"""kill -9 the moderation worker in the middle of screening: nothing is lost or screened twice."""
from __future__ import annotations

import os
import signal
import time

from sqlalchemy import func, select

from tests.e2e.conftest import start_worker, wait_until
from tests.faults.conftest import summary


def _wait_for_line(path, text, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.02)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_a_worker_killed_mid_screening_loses_nothing_and_screens_once(service_env, tmp_path):
    service_env.setenv("CELERY_VISIBILITY_TIMEOUT", "3")
    from tests.stack import Stack

    stack = Stack(services=("articles", "comments", "moderation"))
    stack.publish_article()
    first_log = tmp_path / "first.log"
    first = start_worker("moderation", "--pool=solo", log_path=first_log)
    created = [stack.post_comment(body=f"A calm and civil remark number {n} about the shipyard story.",
                                  email=f"r{n}@example.org").get_json() for n in range(5)]
    for r in stack.relays.values():
        r.publish_pending()
    stack.consumers["moderation"].run_once(block_ms=0)
    _wait_for_line(first_log, "received")
    os.kill(first.pid, signal.SIGKILL)  # the task is loading the model or screening: unfinished
    first.wait(10)
    killed_at = time.monotonic()

    second = start_worker("moderation", "--pool=solo", log_path=tmp_path / "second.log")
    try:
        def all_public():
            return len(stack.thread()["items"]) == len(created)

        wait_until(stack, all_public, timeout=90)
        recovered_in = time.monotonic() - killed_at
    finally:
        second.terminate()
        second.wait(15)

    from services.comments.models import ModerationLog
    from services.moderation.models import VerdictRecord

    with stack.runtimes["moderation"].db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(VerdictRecord)) == len(created)
    with stack.runtimes["comments"].db.read_session() as s:
        screening_decisions = s.scalar(select(func.count()).select_from(ModerationLog)
                                       .where(ModerationLog.actor.like("screening:%")))
    assert screening_decisions == len(created)
    stream = f"{stack.runtimes['comments'].namespace}:events:comments"
    assert stack.consumers["moderation"].client.xpending(stream, "moderation")["pending"] == 0
    summary(f"kill -9 moderation worker mid-screening: {len(created)} comments screened once each, "
          f"recovered {recovered_in:.1f} s after the kill")
