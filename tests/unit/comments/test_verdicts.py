"""How screening verdicts land on comments (handlers only, on a throwaway SQLite database)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from services.comments import commands, handlers, verdicts
from services.comments.models import ArticleProjection, Base, Comment, Decision, Outbox
from shared.db import Database
from shared.events import EventType, decode, new_event


@pytest.fixture
def db(tmp_path):
    d = Database(f"sqlite:///{tmp_path / 'c.db'}")
    Base.metadata.create_all(d.engine)
    with d.session() as s:
        s.add(ArticleProjection(slug="a", title="A", status="published", comment_status="open",
                                moderation_mode="pre", revision=1))
    return d


@pytest.fixture
def deps():
    return commands.Deps(secret="s", email_hmac_key="k")


def _submit(db, deps, **kw):
    with db.session() as s:
        c, _ = commands.submit_comment(s, {"article": "a", "author_name": "N", "author_email": "n@example.org",
                                           "body": "hi", **kw}, deps)
        return c.id


def _verdict(comment_id, verdict, revision=1, category=None):
    return new_event(EventType.COMMENT_MODERATED, comment_id, {
        "comment_id": comment_id, "revision": revision, "verdict": verdict, "category": category,
        "reasons": [{"check": "words", "category": "profanity", "message": "blocked word", "score": 1.0,
                     "spans": [{"start": 0, "end": 2, "text": "hi"}]}],
        "scores": {"toxicity": 0.9}, "policy_version": "2026.1"}, "moderation")


def _apply(db, deps, event):
    with db.session() as s:
        verdicts.apply_verdict(s, event, deps)
        return s.get(Comment, event.data["comment_id"])


def test_approve_verdict_makes_a_pending_comment_public_and_announces_it(db, deps):
    cid = _submit(db, deps)
    c = _apply(db, deps, _verdict(cid, "approve"))
    assert c.status == "approved" and c.screened
    with db.read_session() as s:
        types = [r.event_type for r in s.scalars(select(Outbox).order_by(Outbox.id))]
    assert types == ["comment.submitted", "comment.approved"]


def test_hold_verdict_puts_the_comment_in_the_queue_with_its_reasons(db, deps):
    cid = _submit(db, deps)
    c = _apply(db, deps, _verdict(cid, "hold"))
    assert c.status == "pending" and c.held
    assert c.verdict_reasons[0]["spans"][0]["text"] == "hi"
    assert c.policy_version == "2026.1"


def test_reject_verdict_for_spam_marks_the_comment_as_spam(db, deps):
    cid = _submit(db, deps)
    assert _apply(db, deps, _verdict(cid, "reject", category="spam")).status == "spam"


def test_a_verdict_for_an_older_revision_is_ignored(db, deps):
    cid = _submit(db, deps)
    with db.session() as s:
        s.get(Comment, cid).revision = 2
    assert _apply(db, deps, _verdict(cid, "approve", revision=1)).status == "pending"


def test_a_moderator_decision_wins_over_a_late_verdict(db, deps):
    cid = _submit(db, deps)
    with db.session() as s:
        commands.decide(s, cid, Decision.REJECT, "no", "mod")
    assert _apply(db, deps, _verdict(cid, "approve")).status == "rejected"


def test_post_moderation_comment_is_approved_unscreened_then_screened(db, deps):
    with db.session() as s:
        s.get(ArticleProjection, "a").moderation_mode = "post"
    cid = _submit(db, deps)
    _apply(db, deps, _verdict(cid, "approve"))
    with db.read_session() as s:
        approvals = [decode(r.payload).data for r in s.scalars(select(Outbox).order_by(Outbox.id))
                     if r.event_type == "comment.approved"]
    assert [(a["screened"], a["first_approval"]) for a in approvals] == [(False, False), (True, True)]


def test_post_moderation_comment_flagged_by_screening_leaves_public_view(db, deps):
    with db.session() as s:
        s.get(ArticleProjection, "a").moderation_mode = "post"
    cid = _submit(db, deps)
    c = _apply(db, deps, _verdict(cid, "hold"))
    assert c.status == "pending" and c.held
    with db.read_session() as s:
        assert s.get(ArticleProjection, "a").approved_count == 0


def test_a_verdict_is_decided_on_the_row_as_it_is_now_not_as_the_batch_loaded_it(db, deps):
    """On PostgreSQL a batch reads its comments first; a moderator may decide in between."""
    from sqlalchemy import update

    cid = _submit(db, deps)
    with db.session() as s:
        loaded = s.get(Comment, cid)  # what the batch loaded
        s.execute(update(Comment).where(Comment.id == cid).values(moderator_decided=True, status="removed")
                  .execution_options(synchronize_session=False))  # decided since, elsewhere
        assert loaded.moderator_decided is False
        verdicts.apply_verdict(s, _verdict(cid, "approve"), deps)
    with db.read_session() as s:
        assert s.get(Comment, cid).status == "removed"
        assert not s.scalars(select(Outbox.event_type).where(Outbox.event_type == "comment.approved")).all()


def test_a_verdict_and_an_article_update_in_one_batch_both_move_the_thread_version(db, deps):
    cid = _submit(db, deps)
    with db.read_session() as s:
        before = s.get(ArticleProjection, "a").thread_version
    article = new_event(EventType.ARTICLE_UPDATED, "a", {
        "slug": "a", "title": "A, revised", "status": "published", "comment_status": "open",
        "moderation_mode": "pre", "revision": 2}, "articles")
    batch = [_verdict(cid, "approve"), article]
    _as_a_batch(db, deps, batch)
    with db.read_session() as s:
        assert s.get(ArticleProjection, "a").thread_version == before + 2


def _as_a_batch(db, deps, batch, before=lambda s: None) -> None:
    """As the consumer applies a batch: prepared, each handler, then what prepare deferred."""
    with db.session() as s:
        before(s)
        prepared = verdicts.prepare_batch(s, batch, deps)
        for ev in batch:
            for fn in handlers.EVENT_HANDLERS[ev.type]:
                fn(s, ev, deps, prepared)
        if prepared is not None:
            prepared.finish()


def test_a_batch_claims_its_comments_on_the_rows_as_they_are_now(db, deps):
    """A batch claims every comment in one statement; one decided by a moderator after the
    batch loaded it is not claimed, so the decision stands."""
    from sqlalchemy import update

    decided, other = _submit(db, deps), _submit(db, deps, body="Another civil remark.")

    def loaded_then_decided_elsewhere(s):
        assert s.get(Comment, decided).moderator_decided is False  # what the batch loaded
        s.execute(update(Comment).where(Comment.id == decided).values(moderator_decided=True, status="removed")
                  .execution_options(synchronize_session=False))

    _as_a_batch(db, deps, [_verdict(decided, "approve"), _verdict(other, "approve")],
                before=loaded_then_decided_elsewhere)
    with db.read_session() as s:
        assert (s.get(Comment, decided).status, s.get(Comment, other).status) == ("removed", "approved")
        assert s.get(ArticleProjection, "a").approved_count == 1
        approved = [json.loads(p)["data"]["comment_id"] for p in s.scalars(
            select(Outbox.payload).where(Outbox.event_type == "comment.approved"))]
    assert approved == [other]


def test_a_batch_sums_its_counter_changes_to_what_one_at_a_time_gives(db, deps):
    """Approvals and a rejection of replies in one batch: the article's approved count and each
    ancestor's approved-descendants count end where one verdict at a time leaves them."""
    root = _submit(db, deps)
    _apply(db, deps, _verdict(root, "approve"))
    child = _submit(db, deps, body="A reply.", parent_id=root)
    _apply(db, deps, _verdict(child, "approve"))
    replies = [_submit(db, deps, body=f"Reply {i}.", parent_id=child) for i in range(3)]
    _as_a_batch(db, deps, [_verdict(replies[0], "approve"), _verdict(replies[1], "approve"),
                           _verdict(replies[2], "reject")])
    with db.read_session() as s:
        assert s.get(ArticleProjection, "a").approved_count == 4
        assert (s.get(Comment, root).approved_descendants, s.get(Comment, child).approved_descendants) == (3, 2)


@pytest.mark.parametrize("path", ["one", "batch"])
def test_a_verdict_on_a_comment_its_author_deleted_meanwhile_leaves_it_deleted(db, deps, path):
    """Screening may answer after the author deleted the comment: it must not come back (it
    did, as an approved comment with an empty body, announced to the subscribers)."""
    cid = _submit(db, deps)
    with db.session() as s:
        commands.delete_comment(s, s.get(Comment, cid), deps)
    if path == "one":
        _apply(db, deps, _verdict(cid, "approve"))
    else:
        _as_a_batch(db, deps, [_verdict(cid, "approve"), _verdict(_submit(db, deps, body="Another."), "approve")])
    with db.read_session() as s:
        assert str(s.get(Comment, cid).status) == "deleted"
        approved = [json.loads(p)["data"]["comment_id"] for p in s.scalars(
            select(Outbox.payload).where(Outbox.event_type == "comment.approved"))]
    assert cid not in approved


def test_a_new_comment_is_in_its_session_so_later_changes_in_the_transaction_are_written(db, deps):
    # the post path inserts the row as a Core statement; the object it returns must still be
    # the session's (the seed scripts set a comment's score and date right after posting it)
    with db.session() as s:
        c, _ = commands.submit_comment(s, {"article": "a", "author_name": "N", "author_email": "n@example.org",
                                           "body": "hi"}, deps)
        assert s.get(Comment, c.id) is c
        c.score = 7
    with db.read_session() as s:
        assert s.get(Comment, c.id).score == 7
