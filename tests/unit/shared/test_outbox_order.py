"""The outbox keeps a transaction's events in the order it wrote them, whichever way it wrote them."""
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase

from shared.db import Database, OutboxMixin
from shared.events import EventType, new_event
from shared.outbox import add_events, insert_events


class Base(DeclarativeBase):
    pass


class Outbox(OutboxMixin, Base):
    pass


def _event(n: int):
    return new_event(EventType.COMMENT_APPROVED, n, {
        "comment_id": n, "article": "story", "author_key": "k", "previous_status": "pending",
        "status": "approved", "revision": 1}, "comments")


def test_events_added_to_the_session_stay_before_those_inserted_after_them(tmp_path):
    # insert_events writes on the session's connection, past the ORM: without flushing what
    # the session holds first, the added event would be written at commit, after the later ones
    db = Database(f"sqlite:///{tmp_path / 'o.db'}")
    Base.metadata.create_all(db.engine)
    first, second, third = _event(1), _event(2), _event(3)
    with db.session() as s:
        add_events(s, Outbox, [first])
        insert_events(s, Outbox, [second, third])
    with db.read_session() as s:
        assert list(s.scalars(select(Outbox.event_id).order_by(Outbox.id))) == [first.id, second.id, third.id]
