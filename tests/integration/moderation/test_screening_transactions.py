"""Batch screening and the moderation database: a batch is screened outside any write
transaction, so worker processes screen side by side, and what another worker wrote
meanwhile is checked again before writing (real database, real Redis stores, the real
screener wrapped to act in the middle of a screening)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from services.moderation.handlers import Deps, screen_comments
from services.moderation.models import Outbox, ProcessedEvent, VerdictRecord
from shared.events import decode


def _submitted(stack, n: int):
    from services.comments.models import Outbox as CommentsOutbox

    stack.publish_article()
    for i in range(n):
        assert stack.post_comment(body=f"A civil remark about the report, number {i}.",
                                  email=f"r{i}@example.org").status_code == 202
    with stack.runtimes["comments"].db.read_session() as s:
        return [decode(r.payload) for r in s.scalars(select(CommentsOutbox).order_by(CommentsOutbox.id))
                if r.event_type == "comment.submitted"]


class _Meanwhile:
    """The real screener, running ``during()`` in the middle of each batch."""

    def __init__(self, real, during):
        self.real, self.during = real, during

    def screen_batch(self, items):
        self.during()
        return self.real.screen_batch(items)


def _count(db, model) -> int:
    with db.read_session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_another_writer_is_not_kept_waiting_while_a_batch_is_screened(service_env):
    from tests.stack import Stack

    stack = Stack(services=("articles", "comments", "moderation"))
    events = _submitted(stack, 3)
    rt = stack.runtimes["moderation"]
    wrote = threading.Event()

    def another_worker_writes() -> None:
        def write() -> None:
            with rt.db.session() as s:
                s.add(ProcessedEvent(event_id="01J00000000000000000000000", consumer="elsewhere"))
            wrote.set()

        t = threading.Thread(target=write)
        t.start()
        t.join(5)  # with the write transaction held across screening this would wait for ever

    real = rt.extra["deps"]
    deps = Deps(history=real.history, screener=lambda: _Meanwhile(real.screener(), another_worker_writes))
    assert screen_comments(rt.db, events, deps) == 3
    assert wrote.is_set()
    assert _count(rt.db, VerdictRecord) == 3


def test_a_verdict_written_by_another_worker_meanwhile_is_not_written_twice(service_env):
    from tests.stack import Stack

    stack = Stack(services=("articles", "comments", "moderation"))
    events = _submitted(stack, 2)
    rt = stack.runtimes["moderation"]
    first = events[0].data

    def another_worker_answers_the_first() -> None:  # the same batch, redelivered and faster
        with rt.db.session() as s:
            s.add(VerdictRecord(comment_id=first["comment_id"], revision=first["revision"], article=first["article"],
                                author_key=first["author_key"], decision="approve", category=None, reasons=[],
                                scores={}, policy_version="other", event_id="01J00000000000000000000001"))

    real = rt.extra["deps"]
    deps = Deps(history=real.history, screener=lambda: _Meanwhile(real.screener(), another_worker_answers_the_first))
    assert screen_comments(rt.db, events, deps) == 1
    with rt.db.read_session() as s:
        verdicts = s.execute(select(VerdictRecord.comment_id, VerdictRecord.policy_version)).all()
        processed = set(s.scalars(select(ProcessedEvent.event_id)))
    assert sorted(verdicts) == sorted([(first["comment_id"], "other"),
                                       (events[1].data["comment_id"], real.screener().version)])
    assert {e.id for e in events} <= processed  # both answered: neither is screened again
    assert _count(rt.db, Outbox) == 1  # one comment.moderated from this worker, for the second only
