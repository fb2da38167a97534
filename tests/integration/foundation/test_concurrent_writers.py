"""Writers on one discussion at the same time.

On PostgreSQL (read committed) two transactions can load the same comment before either
commits; every writer therefore takes its article's row lock first and re-reads the comment
under it (`services.comments.status.lock_article`). These tests hold one writer open while a second starts,
then let the first commit. SQLite serialises writers anyway (BEGIN IMMEDIATE), so there the
first two tests pass either way and the lock-order test is skipped; CI's server pass
(PARLEY_TEST_BACKEND=server) runs them all against PostgreSQL.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from services.comments import commands, verdicts
from services.comments.models import ArticleProjection, Comment, Decision, FlagReason, Outbox

DEPS = commands.Deps(secret="test-secret", email_hmac_key="test-secret")


class Second:
    """A write transaction on another thread, started while the test holds the first open."""

    def __init__(self, rt, fn):
        self.rt, self.error = rt, None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn):
        try:
            self.rt.write(fn)
        except Exception as exc:  # reported by finish()
            self.error = exc

    def wait_until_blocked(self, timeout=10.0):
        """Return once the second transaction waits for a lock the first holds."""
        if self.rt.db.is_sqlite:
            time.sleep(0.3)  # it waits for the database's writer lock
            assert self.thread.is_alive()
            return
        deadline = time.monotonic() + timeout
        with self.rt.db.engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE NOT l.granted AND a.datname = current_database()")).scalar()
                conn.rollback()
                if waiting:
                    return
                assert self.thread.is_alive(), f"the second writer did not wait: {self.error!r}"
                time.sleep(0.02)
        raise AssertionError("the second writer never waited for a lock")

    def finish(self):
        self.thread.join(15)
        assert not self.thread.is_alive(), "the second writer is still blocked"
        assert self.error is None, repr(self.error)


def _events(rt, event_type):
    with rt.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Outbox).where(Outbox.event_type == event_type))


def _approved(stack, slug="story", mode="pre"):
    stack.publish_article(slug, mode=mode)
    parent = stack.post_comment(slug).get_json()
    stack.decide(parent["id"])
    reply = stack.post_comment(slug, body="A civil reply.", parent_id=parent["id"]).get_json()
    stack.decide(reply["id"])
    return parent, reply


def test_two_moderators_approving_one_comment_count_it_once(stack):
    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    rt = stack.runtimes["comments"]
    with rt.db.session() as first:
        commands.decide(first, cid, Decision.APPROVE, "fine", "moderator-a")
        first.flush()
        second = Second(rt, lambda s: commands.decide(s, cid, Decision.APPROVE, "fine too", "moderator-b"))
        second.wait_until_blocked()
    second.finish()
    with rt.db.read_session() as s:
        assert s.get(ArticleProjection, "story").approved_count == 1
        assert s.get(Comment, cid).approved_descendants == 0
    assert _events(rt, "comment.approved") == 1
    assert stack.thread()["total"] == 1


def test_reader_reports_at_once_all_count_and_hold_once(stack):
    """Two reports arriving together on a comment with one report already: three reports
    reach the hold threshold; neither report may be lost and the approval is undone once."""
    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    stack.decide(cid)
    rt = stack.runtimes["comments"]
    rt.write(lambda s: commands.flag(s, cid, FlagReason.HATE, "", "10.0.0.1", DEPS))
    with rt.db.session() as first:
        commands.flag(first, cid, FlagReason.HATE, "", "10.0.0.2", DEPS)
        first.flush()
        second = Second(rt, lambda s: commands.flag(s, cid, FlagReason.HATE, "", "10.0.0.3", DEPS))
        second.wait_until_blocked()
    second.finish()
    with rt.db.read_session() as s:
        c = s.get(Comment, cid)
        assert (c.flag_count, str(c.status), c.held) == (3, "pending", True)
        assert s.get(ArticleProjection, "story").approved_count == 0
    assert _events(rt, "comment.removed") == 1


COMMANDS = {
    "vote": lambda parent, reply: lambda s: commands.vote(s, reply["id"], "voter-1", 1, "10.0.0.9", DEPS),
    "decide": lambda parent, reply: lambda s: commands.decide(s, reply["id"], Decision.REJECT, "no", "mod"),
    "flag": lambda parent, reply: lambda s: commands.flag(s, reply["id"], FlagReason.SPAM, "", "10.0.0.9", DEPS),
    "edit": lambda parent, reply: lambda s: commands.edit_comment(
        s, commands.own_comment(s, reply["id"], reply["edit_token"]), "Edited reply.", DEPS),
    "delete": lambda parent, reply: lambda s: commands.delete_comment(
        s, commands.own_comment(s, reply["id"], reply["edit_token"]), DEPS),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_writers_lock_the_article_before_any_comment(stack, command):
    """The order a batch of verdicts takes its locks in (articles, then comments): a writer
    that held a comment row while waiting for the article would deadlock against it."""
    if stack.runtimes["comments"].db.is_sqlite:
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    parent, reply = _approved(stack)
    rt = stack.runtimes["comments"]
    with rt.db.session() as holder:
        holder.execute(select(ArticleProjection).where(ArticleProjection.slug == "story").with_for_update())
        second = Second(rt, COMMANDS[command](parent, reply))
        second.wait_until_blocked()
        # the waiting writer holds no comment row of this discussion
        holder.execute(text("SELECT id FROM comments WHERE id IN (:a, :b) FOR UPDATE NOWAIT"),
                       {"a": parent["id"], "b": reply["id"]})
    second.finish()


def test_a_reply_on_a_post_moderation_article_locks_the_article_first(stack):
    if stack.runtimes["comments"].db.is_sqlite:
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    parent, _ = _approved(stack, "live", mode="post")
    rt = stack.runtimes["comments"]
    data = {"article": "live", "parent_id": parent["id"], "author_name": "R", "author_email": "r@example.org",
            "body": "Another reply."}
    with rt.db.session() as holder:
        holder.execute(select(ArticleProjection).where(ArticleProjection.slug == "live").with_for_update())
        second = Second(rt, lambda s: commands.submit_comment(s, data, DEPS))
        second.wait_until_blocked()
        holder.execute(text("SELECT id FROM comments WHERE id = :a FOR UPDATE NOWAIT"), {"a": parent["id"]})
    second.finish()
    with rt.db.read_session() as s:
        assert s.get(ArticleProjection, "live").approved_count == 3


def test_a_verdict_applied_on_its_own_locks_the_article_before_its_comment(stack):
    """A verdict outside a batch (the usual case when traffic is light) keeps the same lock
    order as every other writer: it used to claim its comment row and then wait for the
    article, which a moderator's decision holds while it waits for the comment."""
    if stack.runtimes["comments"].db.is_sqlite:
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    from shared.events import EventType, new_event

    stack.publish_article()
    cid = stack.post_comment().get_json()["id"]
    verdict = new_event(EventType.COMMENT_MODERATED, cid, {
        "comment_id": cid, "revision": 1, "verdict": "approve", "category": None, "reasons": [], "scores": {},
        "policy_version": "t"}, "moderation")
    rt = stack.runtimes["comments"]
    with rt.db.session() as holder:
        holder.execute(select(ArticleProjection).where(ArticleProjection.slug == "story").with_for_update())
        second = Second(rt, lambda s: verdicts.apply_verdict(s, verdict, DEPS))
        second.wait_until_blocked()
        holder.execute(text("SELECT id FROM comments WHERE id = :a FOR UPDATE NOWAIT"), {"a": cid})
    second.finish()
    with rt.db.read_session() as s:
        assert str(s.get(Comment, cid).status) == "approved"
        assert s.get(ArticleProjection, "story").approved_count == 1


def test_a_batch_of_verdicts_acts_on_the_comments_as_the_lock_holders_left_them(stack):
    """A batch reads its comments only after locking their articles: reader reports that hold
    a post-moderation comment, committed while the batch waited for the article, are what the
    batch acts on, so it ends as a verdict applied after those reports on its own does (it
    read the comment first and acted on "approved")."""
    if stack.runtimes["comments"].db.is_sqlite:
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    from shared.events import EventType, new_event

    stack.publish_article("live", mode="post")
    first, reference, other = (stack.post_comment("live", body=f"A civil remark, {n}.").get_json()["id"]
                               for n in ("first", "reference", "other"))  # shown at once, not yet screened
    rt = stack.runtimes["comments"]

    def report(cid, ip):
        return lambda s: commands.flag(s, cid, FlagReason.HATE, "", ip, DEPS)

    def verdict(cid):
        return new_event(EventType.COMMENT_MODERATED, cid, {
            "comment_id": cid, "revision": 1, "verdict": "approve", "category": None, "reasons": [], "scores": {},
            "policy_version": "t"}, "moderation")

    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # the reference: three reports, then its verdict alone
        rt.write(report(reference, ip))
    rt.write(lambda s: verdicts.apply_verdict(s, verdict(reference), DEPS))
    for ip in ("10.0.0.1", "10.0.0.2"):
        rt.write(report(first, ip))
    batch = [verdict(first), verdict(other)]

    def apply_batch(s):
        prepared = verdicts.prepare_batch(s, batch, DEPS)
        for ev in batch:
            verdicts.apply_verdict(s, ev, DEPS, prepared)
        if prepared is not None:
            prepared.finish()

    with rt.db.session() as holder:  # the third report holds the comment, under the article's lock
        report(first, "10.0.0.3")(holder)
        holder.flush()
        second = Second(rt, apply_batch)
        second.wait_until_blocked()
    second.finish()
    with rt.db.read_session() as s:
        state = {cid: (str(c.status), c.held, c.screened) for cid in (first, reference)
                 for c in [s.get(Comment, cid)]}
        shown = s.scalar(select(func.count()).select_from(Comment).where(Comment.article == "live",
                                                                        Comment.status == "approved"))
        assert state[first] == state[reference]
        assert s.get(ArticleProjection, "live").approved_count == shown
