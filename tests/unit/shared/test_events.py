"""The event contract: producers cannot write bad events, consumers reject them with a reason."""
import json

import pytest

from shared.events import EventType, InvalidEvent, decode, new_event


def _ok():
    return new_event(EventType.COMMENT_FLAGGED, 1, {"comment_id": 1, "article": "a", "reason": "spam",
                                                    "flag_count": 2}, "comments")


def test_an_event_round_trips_through_json():
    ev = _ok()
    back = decode(ev.to_json())
    assert (back.id, back.type, back.key, back.data) == (ev.id, ev.type, "1", ev.data)


def test_a_decoded_event_is_handed_on_as_received_without_serialising_its_payload_again(monkeypatch):
    from shared import events

    raw = _ok().to_json()
    back = decode(raw)
    monkeypatch.setattr(events.CATALOGUE[(EventType.COMMENT_FLAGGED, 1)], "dump",
                        lambda *a, **k: pytest.fail("serialised again"))
    assert json.loads(back.to_json()) == json.loads(raw)


def test_decoding_for_other_types_checks_only_the_envelope():
    from shared.events import decode_if_wanted

    doc = json.loads(_ok().to_json())
    doc["data"] = {"comment_id": "not a number"}
    assert decode_if_wanted(json.dumps(doc), [EventType.COMMENT_APPROVED]) is None
    with pytest.raises(InvalidEvent, match="invalid comment.flagged payload"):
        decode_if_wanted(json.dumps(doc), [EventType.COMMENT_FLAGGED])
    doc["version"] = 7
    with pytest.raises(InvalidEvent, match="unknown version"):
        decode_if_wanted(json.dumps(doc), [EventType.COMMENT_APPROVED])


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


def _verdict(spans):
    return {"comment_id": 1, "revision": 1, "verdict": "hold", "category": "prejudice", "policy_version": "p",
            "scores": {"attacks": 0.5}, "reasons": [{"check": "attacks", "category": "prejudice",
                                                     "message": "m", "score": 0.5, "spans": spans}]}


def test_a_verdict_s_spans_round_trip():
    ev = new_event(EventType.COMMENT_MODERATED, 1, _verdict([{"start": 0, "end": 4, "text": "abcd"},
                                                             {"start": 6, "end": 9}]), "moderation")
    spans = decode(ev.to_json()).data["reasons"][0]["spans"]
    assert spans == [{"start": 0, "end": 4, "text": "abcd"}, {"start": 6, "end": 9, "text": ""}]


@pytest.mark.parametrize("span", [{"start": "0", "end": 4}, {"start": 0}, {"start": 0, "end": 4, "text": 5},
                                  {"start": 0, "end": 4, "colour": "red"}, {"start": True, "end": 4}, [0, 4], None])
def test_a_bad_span_is_refused_by_producer_and_consumer(span):
    if isinstance(span, dict) and "colour" in span:  # a producer drops undeclared keys, as every schema's dump does
        assert new_event(EventType.COMMENT_MODERATED, 1, _verdict([span]), "moderation").data["reasons"][0][
            "spans"] == [{"start": 0, "end": 4, "text": ""}]
    else:
        with pytest.raises(InvalidEvent, match="spans"):
            new_event(EventType.COMMENT_MODERATED, 1, _verdict([span]), "moderation")
    good = new_event(EventType.COMMENT_MODERATED, 1, _verdict([]), "moderation").to_json()
    with pytest.raises(InvalidEvent, match="spans"):
        decode(good.replace('"spans":[]', '"spans":[' + __import__("json").dumps(span) + "]"))


def test_a_verdict_round_trips_with_its_scores_and_reasons():
    data = _verdict([{"start": 0, "end": 4, "text": "abcd"}])
    data["scores"] = {"attacks": 0.5, "learned": 1, "toxicity": __import__("numpy").float64(0.25)}  # a model's float
    data["reasons"].append({"check": "words", "category": "profanity", "message": "m2"})  # score, spans default
    loaded = decode(new_event(EventType.COMMENT_MODERATED, 1, data, "moderation").to_json()).data
    assert loaded["scores"] == {"attacks": 0.5, "learned": 1.0, "toxicity": 0.25}
    assert type(loaded["scores"]["learned"]) is float
    assert loaded["reasons"][1] == {"check": "words", "category": "profanity", "message": "m2", "score": 0.0,
                                    "spans": []}


@pytest.mark.parametrize("scores", [{"attacks": True}, {"attacks": "0.5"}, {"attacks": float("nan")},
                                    {"attacks": float("inf")}, {"attacks": None}, {1: 0.5}, [0.5], "high"])
def test_bad_scores_are_refused_by_producer_and_consumer(scores):
    data = _verdict([])
    with pytest.raises(InvalidEvent, match="scores"):
        new_event(EventType.COMMENT_MODERATED, 1, {**data, "scores": scores}, "moderation")
    good = new_event(EventType.COMMENT_MODERATED, 1, data, "moderation").to_json()
    bad = json.dumps(scores) if not (isinstance(scores, dict) and 1 in scores) else '{"1": "x"}'
    if "nan" in bad.lower() or "infinity" in bad.lower():
        bad = '{"attacks": "NaN"}'
    with pytest.raises(InvalidEvent, match="scores"):
        decode(good.replace('"scores":{"attacks":0.5}', '"scores":' + bad))


@pytest.mark.parametrize("change, key", [
    ({"message": None}, "message"), ({"check": 3}, "check"), ({"score": "high"}, "score"),
    ({"score": False}, "score"), ({"spans": "0-4"}, "spans"), ({"colour": "red"}, "colour"),
])
def test_a_bad_reason_is_refused_by_the_consumer_naming_its_key(change, key):
    reason = {"check": "attacks", "category": "prejudice", "message": "m", "score": 0.5, "spans": [], **change}
    good = new_event(EventType.COMMENT_MODERATED, 1, _verdict([]), "moderation")
    doc = json.loads(good.to_json())
    doc["data"]["reasons"] = [reason]
    with pytest.raises(InvalidEvent, match=key):
        decode(json.dumps(doc))
    missing = {k: v for k, v in reason.items() if k != "category"}
    doc["data"]["reasons"] = [missing]
    with pytest.raises(InvalidEvent, match="category"):
        decode(json.dumps(doc))
