"""Reply notifications end to end: real Redis, a real SMTP server, the real notify worker."""
from __future__ import annotations

import re
import time

from tests.e2e.conftest import wait_until

ARTICLE = "story"


def _path(url: str) -> str:
    return url.replace("http://parley.test", "")


def _approved_comment(stack, body, email, parent_id=None, name="Reader"):
    cid = stack.post_comment(body=body, email=email, parent_id=parent_id, name=name).get_json()["id"]
    stack.decide(cid)
    return cid


def _subscribe(stack, **body):
    return stack.clients["notify"].post("/api/subscriptions", json={"article": ARTICLE, **body})


def _confirm_from_mail(stack, smtp, count):
    mail = wait_until(stack, lambda: len(smtp.messages) >= count and smtp.messages[count - 1])
    text = mail.get_body(("plain",)).get_content()
    url = re.search(r"http://parley\.test/api/subscriptions/confirm/\S+", text).group(0)
    page = stack.clients["notify"].get(_path(url))
    assert page.status_code == 200 and b"<form" in page.data  # a scanner's GET confirms nothing
    done = stack.clients["notify"].post(_path(url))
    assert done.status_code == 200


def _mails_to(smtp, address):
    return [m for m in smtp.messages if m["To"] == address and m["X-Parley-Comment-Id"]]


def test_subscribe_confirm_reply_notify_then_one_click_unsubscribe(notify_stack, smtp_server, notify_worker):
    stack, smtp = notify_stack, smtp_server
    stack.publish_article(ARTICLE)
    mine = _approved_comment(stack, "My first thought.", "alice@example.org", name="Alice")
    assert _subscribe(stack, email="alice@example.org", kind="replies", comment_id=mine).status_code == 202
    _confirm_from_mail(stack, smtp, 1)

    reply = _approved_comment(stack, "Interesting point, Alice.", "bob@example.org", parent_id=mine, name="Bob")
    [mail] = wait_until(stack, lambda: _mails_to(smtp, "alice@example.org"))
    assert mail["X-Parley-Comment-Id"] == str(reply)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] == "auto-generated" and mail["List-Id"] and mail["Message-ID"]
    assert "Bob" in mail["Subject"] and "Story story" in mail["Subject"]
    unsubscribe_url = re.search(r"<(https?://[^>]+)>", mail["List-Unsubscribe"]).group(1)

    r = stack.clients["notify"].post(_path(unsubscribe_url), data="List-Unsubscribe=One-Click",
                                     content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200
    _approved_comment(stack, "Another reply.", "carol@example.org", parent_id=mine, name="Carol")
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        stack.pump()
        time.sleep(0.2)
    assert len(_mails_to(smtp, "alice@example.org")) == 1


def test_no_mail_for_rejected_or_pending_replies_nor_to_the_replier_and_one_for_two_matches(
        notify_stack, smtp_server, notify_worker):
    stack, smtp = notify_stack, smtp_server
    stack.publish_article(ARTICLE)
    mine = _approved_comment(stack, "Root comment.", "alice@example.org")
    _subscribe(stack, email="alice@example.org", kind="replies", comment_id=mine)
    _confirm_from_mail(stack, smtp, 1)
    _subscribe(stack, email="alice@example.org", kind="article")  # a second matching subscription
    _confirm_from_mail(stack, smtp, 2)

    rejected = stack.post_comment(body="spammy", email="x@example.org", parent_id=mine).get_json()["id"]
    stack.decide(rejected, "reject")
    stack.post_comment(body="still pending", email="y@example.org", parent_id=mine)  # never approved
    _approved_comment(stack, "Replying to myself.", "alice@example.org", parent_id=mine)
    due = _approved_comment(stack, "A real reply.", "z@example.org", parent_id=mine)
    wait_until(stack, lambda: _mails_to(smtp, "alice@example.org"))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        stack.pump()
        time.sleep(0.2)
    assert [m["X-Parley-Comment-Id"] for m in _mails_to(smtp, "alice@example.org")] == [str(due)]


def test_subscribe_answers_identically_for_new_pending_and_confirmed_addresses(notify_stack, smtp_server):
    stack = notify_stack
    stack.publish_article(ARTICLE)
    answers = []
    for _ in range(3):  # new, then pending, then (after confirming) confirmed
        r = _subscribe(stack, email="dana@example.org", kind="article")
        answers.append((r.status_code, r.get_json()))
        if len(answers) == 2:
            from services.notify.models import Subscription

            with stack.runtimes["notify"].db.session() as s:
                s.query(Subscription).update({"status": "confirmed"})
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202


def test_a_batch_that_makes_deliveries_hands_them_to_the_workers_at_once(notify_stack):
    """The dispatcher's period is no floor on a reply's email: the consumer hurries it after
    committing a batch. Here the period is an hour, so only the hurry can dispatch the email."""
    from services.notify.app import Dispatcher, create_consumer
    from services.notify.models import Address, Subscription
    from services.notify.tasks import SEND_DELIVERIES
    from shared.db import utcnow

    class Recorder:
        def __init__(self):
            self.sent = []

        def send_task(self, name, args, queue):
            self.sent.append((name, args))

    stack, celery = notify_stack, Recorder()
    rt = stack.runtimes["notify"]
    tick = Dispatcher(rt, celery, every=3600)
    stack.consumers["notify"] = create_consumer(rt, celery=celery, tick=tick, block_ms=0)
    stack.publish_article(ARTICLE)
    parent = _approved_comment(stack, "Who audits the agencies?", "alice@example.org", name="Alice")
    stack.pump()  # the first tick has run; the next one is an hour away
    with rt.db.session() as s:
        address = Address(email="alice@example.org", email_key="k-alice", confirmed_at=utcnow())
        s.add(address)
        s.flush()
        s.add(Subscription(address_id=address.id, kind="replies", article=ARTICLE, comment_id=parent,
                           status="confirmed"))
    celery.sent.clear()
    _approved_comment(stack, "The inspectorate, in theory.", "bob@example.org", parent_id=parent, name="Bob")
    stack.pump()
    assert [name for name, _ in celery.sent] == [SEND_DELIVERIES]
