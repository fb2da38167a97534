"""Delivery rows make sending exactly-once in effect: retries, outages, bounces, redelivery."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.notify.models import Address, Delivery, Subscription
from tests.smtp_server import CapturingSmtpServer, SmtpStage
from shared.events import EventType, new_event


class Clock:
    def __init__(self):
        self.t = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += timedelta(seconds=seconds)


@pytest.fixture
def smtp():
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def notify(service_env, smtp):
    service_env.setenv("SMTP_HOST", smtp.host)
    service_env.setenv("SMTP_PORT", str(smtp.port))
    service_env.setenv("SMTP_TIMEOUT", "2")
    from services.notify import app as notify_app
    from shared.db import upgrade

    rt = notify_app.bootstrap()
    upgrade(notify_app.MIGRATIONS, rt.db.url)
    clock = Clock()
    rt.deps.now = clock
    sender = notify_app.create_sender(rt)
    yield rt, sender, clock
    rt.db.dispose()


def _subscriber(rt, email="sub@example.org"):
    from services.notify.models import ArticleInfo

    with rt.db.session() as s:
        if s.get(ArticleInfo, "story") is None:
            s.add(ArticleInfo(slug="story", title="Story", status="published", revision=1))
        a = Address(email=email, email_key="key-" + email)
        s.add(a)
        s.flush()
        s.add(Subscription(address_id=a.id, kind="article", article="story", status="confirmed"))


def _approved(comment_id=1, author_key="someone-else"):
    return new_event(EventType.COMMENT_APPROVED, comment_id, {
        "comment_id": comment_id, "article": "story", "article_title": "Story", "author_key": author_key,
        "author_name": "Bob", "excerpt": "hello", "previous_status": "pending", "status": "approved",
        "revision": 1, "screened": True, "first_approval": True}, "comments")


def _fan_out(rt, event):
    from services.notify import handlers
    from services.notify.models import ProcessedEvent
    from shared.consumer import apply_once

    return apply_once(rt.db, ProcessedEvent, "notify", event,
                      lambda s, e: handlers.fan_out(s, e, rt.deps))


def _send_due(rt, sender):
    from services.notify.delivery import due_deliveries

    return [sender.send_delivery(i) for i in due_deliveries(rt.db, rt.deps, timedelta(minutes=15))]


def _statuses(rt):
    with rt.db.read_session() as s:
        return [str(d.status) for d in s.scalars(select(Delivery).order_by(Delivery.id))]


def test_a_redelivered_event_creates_no_second_delivery(notify, smtp):
    rt, sender, _ = notify
    _subscriber(rt)
    event = _approved()
    assert _fan_out(rt, event) is True
    assert _fan_out(rt, event) is False
    _send_due(rt, sender)
    assert _send_due(rt, sender) == []
    assert len(smtp.messages) == 1


def test_a_task_retried_after_451_sends_once(notify, smtp):
    rt, sender, clock = notify
    _subscriber(rt)
    _fan_out(rt, _approved())
    smtp.respond_with(451, stage=SmtpStage.RCPT, times=1)
    assert _send_due(rt, sender) == ["retry"]
    assert _send_due(rt, sender) == []  # not due yet: backoff
    clock.advance(31)
    assert _send_due(rt, sender) == ["sent"]
    assert sender.send_delivery(1) == "not-pending"  # a duplicate task finds nothing to do
    assert len(smtp.messages) == 1 and _statuses(rt) == ["sent"]


def test_an_smtp_server_down_for_a_minute_delays_mail_but_loses_none(notify, smtp):
    rt, sender, clock = notify
    for n in range(3):
        _subscriber(rt, f"reader{n}@example.org")
    _fan_out(rt, _approved())
    smtp.stop()
    assert _send_due(rt, sender) == ["retry"] * 3
    clock.advance(31)
    assert _send_due(rt, sender) == ["retry"] * 3
    smtp.start()
    clock.advance(61)
    assert _send_due(rt, sender) == ["sent"] * 3
    assert sorted(m["To"] for m in smtp.messages) == [f"reader{n}@example.org" for n in range(3)]


def test_a_permanent_failure_suppresses_the_address_until_it_confirms_again(notify, smtp):
    rt, sender, _ = notify
    _subscriber(rt)
    _fan_out(rt, _approved(1))
    smtp.respond_with(550, stage=SmtpStage.RCPT)
    assert _send_due(rt, sender) == ["suppressed"]
    smtp.accept()
    _fan_out(rt, _approved(2))
    assert _send_due(rt, sender) == []
    assert _statuses(rt) == ["failed"]
    with rt.db.read_session() as s:
        assert s.scalar(select(Address)).suppressed_at is not None


def test_transient_failures_past_the_limit_mark_the_delivery_failed(notify, smtp):
    rt, sender, clock = notify
    sender.max_attempts = 3
    _subscriber(rt)
    _fan_out(rt, _approved())
    smtp.respond_with(421, stage=SmtpStage.RCPT)
    outcomes = []
    for _ in range(4):
        outcomes += _send_due(rt, sender)
        clock.advance(3600)
    assert outcomes == ["retry", "retry", "failed"]
    assert _statuses(rt) == ["failed"]


def test_a_claim_left_by_a_dead_worker_is_released_after_its_lease(notify, smtp):
    from services.notify.delivery import release_stale_claims

    rt, sender, clock = notify
    _subscriber(rt)
    _fan_out(rt, _approved())
    with rt.db.session() as s:
        s.scalar(select(Delivery)).status = "sending"
        s.scalar(select(Delivery)).claimed_at = clock()
    assert release_stale_claims(rt.db, rt.deps, timedelta(minutes=5)) == 0
    clock.advance(301)
    assert release_stale_claims(rt.db, rt.deps, timedelta(minutes=5)) == 1
    assert _send_due(rt, sender) == ["sent"]


def test_mail_over_the_hourly_cap_rolls_into_a_digest(notify, smtp):
    from services.notify.delivery import due_digests

    rt, sender, clock = notify
    rt.deps.hourly_cap = 2
    _subscriber(rt)
    for cid in range(1, 5):
        _fan_out(rt, _approved(cid))
    assert _send_due(rt, sender) == ["sent", "sent"]
    assert _statuses(rt) == ["sent", "sent", "digest", "digest"]
    assert due_digests(rt.db, rt.deps) == []
    clock.advance(3601)
    [address_id] = due_digests(rt.db, rt.deps)
    assert sender.send_digest(address_id) == "sent"
    assert _statuses(rt) == ["sent"] * 4
    assert len(smtp.messages) == 3 and "digest" in smtp.messages[-1]["Subject"].lower()


def test_a_batch_of_approvals_finds_its_subscribers_in_one_query_with_the_same_deliveries(notify):
    """The consumer's batch path loads every subscription a batch can notify at once; what it
    writes is what one approval at a time would write: the author is never told, a reply
    subscription speaks for its address, the hourly cap counts the batch's own deliveries."""
    from sqlalchemy import event as sa_event

    from services.notify import handlers
    from services.notify.models import ArticleInfo, ProcessedEvent
    from shared.consumer import inline_batch_handler

    rt, _, _ = notify
    rt.deps.hourly_cap = 2
    with rt.db.session() as s:
        s.add_all([ArticleInfo(slug=slug, title=slug, status="published", revision=1) for slug in ("story", "other")])
        subs = {"reader": ("article", "story", 0), "replier": ("replies", "story", 10),
                "elsewhere": ("article", "other", 0), "author": ("article", "story", 0)}
        for name, (kind, article, comment_id) in subs.items():
            a = Address(email=f"{name}@example.org", email_key=f"key-{name}")
            s.add(a)
            s.flush()
            s.add(Subscription(address_id=a.id, kind=kind, article=article, comment_id=comment_id, status="confirmed"))
            if name == "replier":  # also subscribed to the whole article: the reply subscription speaks
                s.add(Subscription(address_id=a.id, kind="article", article="story", status="confirmed"))

    def approved(cid, article="story", ancestors=(), author="key-author", first=True):
        return new_event(EventType.COMMENT_APPROVED, cid, {
            "comment_id": cid, "article": article, "article_title": article, "author_key": author,
            "author_name": "Ann", "excerpt": "hi", "previous_status": "pending", "status": "approved",
            "revision": 1, "screened": True, "first_approval": first, "ancestor_ids": list(ancestors),
            "parent_id": ancestors[-1] if ancestors else None}, "comments")

    batch = [approved(11, ancestors=(10,)), approved(12, article="other", author="key-reader"),
             approved(13, first=False), approved(14), approved(15)]
    queries = []

    def count(conn, cursor, statement, *args):
        if "FROM subscriptions" in statement:
            queries.append(statement)

    sa_event.listen(rt.db.engine, "before_cursor_execute", count)
    try:
        handle = inline_batch_handler(rt.db, ProcessedEvent, "notify", handlers.EVENT_HANDLERS, rt.deps,
                                      prepare=handlers.prepare_fan_out)
        assert handle(batch) == set()
    finally:
        sa_event.remove(rt.db.engine, "before_cursor_execute", count)
    assert len(queries) == 1
    with rt.db.read_session() as s:
        rows = s.execute(select(Address.email, Delivery.comment_id, Delivery.kind, Delivery.status)
                         .join(Address, Address.id == Delivery.address_id).order_by(Delivery.id)).all()
    got = sorted((email.split("@")[0], cid, str(kind), str(status)) for email, cid, kind, status in rows)
    assert got == sorted([
        ("reader", 11, "article", "pending"), ("replier", 11, "replies", "pending"),
        ("elsewhere", 12, "article", "pending"),
        ("reader", 14, "article", "pending"), ("replier", 14, "article", "pending"),
        ("reader", 15, "article", "digest"), ("replier", 15, "article", "digest"),  # over the hourly cap of 2
    ])



def test_looking_for_due_deliveries_opens_a_write_transaction_only_when_some_are_due(notify, monkeypatch):
    """The consumer asks after every batch of approvals and nearly always nothing is due; a
    write transaction each time would queue every post behind it (SQLite has one writer)."""
    from services.notify.delivery import due_deliveries

    rt, _, _ = notify
    write, opened = rt.db.session, []

    def counted():
        opened.append(1)
        return write()

    def due():
        with monkeypatch.context() as m:
            m.setattr(rt.db, "session", counted)
            return due_deliveries(rt.db, rt.deps, timedelta(minutes=15))

    assert due() == [] and opened == []
    _subscriber(rt)
    _fan_out(rt, _approved())
    assert len(due()) == 1 and opened == [1]  # marked enqueued, in a write transaction
    assert due() == [] and opened == [1]  # enqueued now: nothing due again
