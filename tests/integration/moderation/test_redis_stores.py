"""The Redis memory of recent texts that every moderation worker shares, on a real Redis."""
from services.moderation.benchmark import _comments
from services.moderation.screening import (
    InMemoryAuthorHistory, InMemoryRecentTexts, ProfanityCheckClassifier, Screener, load_policy,
)
from services.moderation.screening.learned import load_model
from services.moderation.screening.stores import Posting
from services.moderation.screening.text import fingerprint
from services.moderation.stores_redis import RedisRecentTexts

TEXT = "buy cheap followers today at the best price on the whole internet"


def test_repeats_are_found_once_each_within_the_window(redis_client, namespace):
    store = RedisRecentTexts(redis_client, namespace)
    fp = fingerprint(TEXT, 6)
    store.record(fp, Posting("old", "a", "story", 100.0))
    store.record(fp, Posting("c1", "a", "story", 1000.0))
    store.record(fp, Posting("c2", "b", "other", 1001.0))
    found = store.matches(fp, since=500.0)
    assert sorted(p.submission_id for p in found) == ["c1", "c2"]  # each once, though it shares 12 bands
    assert store.matches(fingerprint("a completely different remark about labour inspections in ports", 6),
                         since=0) == []


def test_a_wave_of_copies_keeps_only_the_newest_per_band(redis_client, namespace):
    store = RedisRecentTexts(redis_client, namespace, max_per_band=10)
    fp = fingerprint(TEXT, 6)
    for n in range(50):
        store.record(fp, Posting(f"c{n}", f"author{n}", "story", 1000.0 + n))
    found = store.matches(fp, since=0)
    assert sorted(int(p.submission_id[1:]) for p in found) == list(range(40, 50))
    assert all(redis_client.zcard(key) == 10 for key in redis_client.scan_iter(f"{namespace}:moderation:texts:*"))


def _batches(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def test_a_batch_sees_what_one_comment_at_a_time_would_in_two_round_trips(redis_client, namespace):
    """Realistic traffic with verbatim repeats and near-copies, inside and across batches:
    batches on the shared Redis store give exactly the verdicts of the in-memory store
    screened one comment at a time, and each batch talks to Redis twice."""
    policy = load_policy()
    comments = _comments(400, seed=3)
    classifier, learned = ProfanityCheckClassifier(), load_model(policy)
    one_by_one = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier,
                          learned=learned)
    expected = [one_by_one.screen(c) for c in comments]
    assert any("Same or nearly the same text" in r.message for v in expected for r in v.reasons)

    executes = []
    real_pipeline = redis_client.pipeline

    def counting_pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        execute = pipe.execute
        pipe.execute = lambda *a, **k: (executes.append(1), execute(*a, **k))[1]
        return pipe

    redis_client.pipeline = counting_pipeline
    batched = Screener(policy, InMemoryAuthorHistory(), RedisRecentTexts(redis_client, namespace),
                       classifier=classifier, learned=learned)
    got = []
    for batch in _batches(comments, 64):
        before = len(executes)
        got += batched.screen_batch(batch)
        assert len(executes) - before == 2
    assert [(v.decision, sorted(r.message for r in v.reasons)) for v in got] == \
           [(v.decision, sorted(r.message for r in v.reasons)) for v in expected]
