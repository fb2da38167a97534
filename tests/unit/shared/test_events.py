"""The event contract: producers cannot write bad events, consumers reject them with a reason."""
import pytest

from shared.events import EventType, InvalidEvent, decode, new_event


def _ok():
    return new_event(EventType.COMMENT_FLAGGED, 1, {"comment_id": 1, "article": "a", "reason": "spam",
                                                    "flag_count": 2}, "comments")


def test_an_event_round_trips_through_json():
    ev = _ok()
    back = decode(ev.to_json())
    assert (back.id, back.type, back.key, back.data) == (ev.id, ev.type, "1", ev.data)


def test_event_ids_sort_in_creation_order():
    ids = [_ok().id for _ in range(50)]
    assert ids == sorted(ids) and len(set(ids)) == 50


def test_a_producer_cannot_build_an_event_missing_a_field():
    with pytest.raises(InvalidEvent):
        new_event(EventType.COMMENT_FLAGGED, 1, {"comment_id": 1}, "comments")


@pytest.mark.parametrize("raw, reason", [
    (b"\xff\xfe", "not JSON"),
    ("[]", "not an object"),
    ('{"id": "x"}', "lacks"),
    ('{"id":"x","type":"nope","version":1,"occurred_at":"2020-01-01T00:00:00","producer":"p","key":"k","data":{}}',
     "unknown event type"),
    ('{"id":"x","type":"comment.flagged","version":2,"occurred_at":"2020-01-01T00:00:00","producer":"p",'
     '"key":"k","data":{}}', "unknown version"),
    ('{"id":"x","type":"comment.flagged","version":1,"occurred_at":"2020-01-01T00:00:00","producer":"p",'
     '"key":"k","data":{"comment_id":"x"}}', "invalid"),
    ('{"id":"x","type":"comment.flagged","version":1,"occurred_at":"yesterday","producer":"p",'
     '"key":"k","data":{}}', "invalid"),
])
def test_a_consumer_rejects_bad_entries_with_a_reason(raw, reason):
    with pytest.raises(InvalidEvent) as exc:
        decode(raw)
    assert reason in exc.value.reason


def test_events_carry_no_email_address():
    from shared.events import CATALOGUE

    for schema in CATALOGUE.values():
        assert not any("email" in name for name in schema.fields)
