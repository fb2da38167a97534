"""The consumer's batch handler: one transaction per batch; savepoints only when an event fails."""
from sqlalchemy import Integer, String, event as sa_event, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.consumer import inline_batch_handler
from shared.db import Database, ProcessedEventMixin
from shared.events import EventType, new_event


class Base(DeclarativeBase):
    pass


class Processed(ProcessedEventMixin, Base):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(20))


def _events(*keys):
    return [new_event(EventType.COMMENT_APPROVED, key, {
        "comment_id": int(key), "article": "story", "author_key": "k", "previous_status": "pending",
        "status": "approved", "revision": 1}, "comments") for key in keys]


def _setup(tmp_path, **kw):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    Base.metadata.create_all(db.engine)
    commits = []
    sa_event.listen(db.engine, "commit", lambda conn: commits.append(1))

    def effect(s, ev, deps):
        s.add(Row(key=ev.key))
        s.flush()
        if ev.key == "2":
            raise RuntimeError("handler bug")

    return db, commits, inline_batch_handler(db, Processed, "test", {EventType.COMMENT_APPROVED: [effect]}, None,
                                             **kw)


def _keys(db):
    with db.read_session() as s:
        return sorted(s.scalars(select(Row.key))), s.scalar(select(func.count()).select_from(Processed))


def test_a_failing_event_is_rolled_back_alone_and_the_batch_commits_once(tmp_path):
    db, commits, handle = _setup(tmp_path)
    batch = _events("1", "2", "3")
    assert handle(batch) == {batch[1].id}
    assert len(commits) == 1  # one write transaction for the three events
    assert _keys(db) == (["1", "3"], 2)  # nothing of event 2, not even its first row
    assert handle(batch) == {batch[1].id}  # redelivered: the applied ones change nothing
    assert _keys(db) == (["1", "3"], 2)


def test_a_batch_of_one_still_reports_its_failure(tmp_path):
    db, _, handle = _setup(tmp_path)
    [bad] = _events("2")
    assert handle([bad]) == {bad.id}
    assert handle(_events("4")) == set()
    assert _keys(db) == (["4"], 1)


def _statements(db):
    seen = []
    sa_event.listen(db.engine, "before_cursor_execute", lambda conn, cur, stmt, *a: seen.append(stmt))
    return seen


def test_a_clean_batch_is_one_plain_transaction_prepared_once_and_announced_after_its_commit(tmp_path):
    prepared, announced = [], []
    db, commits, handle = _setup(tmp_path, prepare=lambda s, evs, deps: prepared.append([e.key for e in evs]),
                                 after_commit=lambda: announced.append(len(commits)))
    first = _events("1")
    assert handle(first) == set()
    statements = _statements(db)
    batch = first + _events("3", "4")
    assert handle(batch) == set()
    assert not [s for s in statements if "SAVEPOINT" in s]
    assert prepared == [["3", "4"]]  # only the events not applied yet (the batch of one needs none)
    assert announced == [1, 2]  # each call after its commit
    assert _keys(db) == (["1", "3", "4"], 3)


def test_nothing_is_announced_when_nothing_was_committed(tmp_path):
    announced = []
    db, commits, handle = _setup(tmp_path, after_commit=lambda: announced.append(1))
    batch = _events("2", "2")
    assert handle(batch) == {ev.id for ev in batch}
    assert announced == []


def test_commit_hooks_run_once_after_the_outer_commit_not_at_each_savepoint(tmp_path):
    db, commits, handle = _setup(tmp_path)
    seen_by_others = []
    db.on_commit(lambda s: seen_by_others.append(_keys(db)[0]))
    batch = _events("1", "2", "3")  # event 2 fails: the batch is applied again with savepoints
    handle(batch)
    assert seen_by_others == [["1", "3"]]  # once, and the rows were visible to other connections
