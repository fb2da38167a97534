"""Posting each kind of comment through the API, with the real moderation worker running."""
from __future__ import annotations

import time

from tests.e2e.conftest import wait_until


def _status(stack, created):
    r = stack.comments.get(f"/api/comments/{created['id']}", headers={"X-Edit-Token": created["edit_token"]})
    return r.get_json()["status"]


def _queue(stack):
    return stack.comments.get("/api/moderation/queue", headers=stack.auth(stack.moderator)).get_json()["items"]


def test_each_kind_of_comment_gets_the_right_outcome(full_stack, moderation_worker):
    stack = full_stack
    stack.publish_article()
    civil = stack.post_comment(body="The part about the shipyard inspections raises good questions. "
                                    "Who checks these contracts?").get_json()
    hateful = stack.post_comment(body="These migrants are parasites and should all be thrown out of the country.",
                                 email="angry@example.org").get_json()
    spam = stack.post_comment(body="Earn $5000 a week from home with crypto!!! Visit http://quick-cash.example "
                                   "http://quick-cash.example/bonus now", email="spam@example.org").get_json()
    started = time.monotonic()
    wait_until(stack, lambda: _status(stack, civil) == "approved")
    civil_latency = time.monotonic() - started
    assert [c["id"] for c in stack.thread()["items"]] == [civil["id"]]

    wait_until(stack, lambda: _status(stack, spam) in ("spam", "rejected"))
    assert _status(stack, spam) == "spam"

    def hateful_decided():
        held = [i for i in _queue(stack) if i["id"] == hateful["id"]]
        return held or _status(stack, hateful) == "rejected"

    wait_until(stack, hateful_decided)
    log = stack.comments.get("/api/moderation/log", query_string={"comment_id": hateful["id"]},
                             headers=stack.auth(stack.moderator)).get_json()["items"]
    assert log[0]["actor"].startswith("screening:") and log[0]["reason"]
    print(f"civil comment approved {civil_latency * 1000:.0f} ms after posting (includes the model load)")


def test_a_verdict_is_applied_once_even_when_the_batch_is_screened_twice(full_stack, moderation_worker):
    stack = full_stack
    stack.publish_article()
    created = stack.post_comment(body="A perfectly ordinary remark about the report.").get_json()
    wait_until(stack, lambda: _status(stack, created) == "approved")
    from sqlalchemy import func, select

    from services.moderation.handlers import screen_comments
    from services.moderation.models import VerdictRecord
    from shared.events import decode
    from services.comments.models import Outbox

    with stack.runtimes["comments"].db.read_session() as s:
        submitted = [decode(r.payload) for r in s.scalars(select(Outbox)) if r.event_type == "comment.submitted"]
    rt = stack.runtimes["moderation"]
    assert screen_comments(rt.db, submitted, rt.deps) == 0
    with rt.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(VerdictRecord)) == 1
