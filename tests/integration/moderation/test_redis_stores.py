"""The Redis memory of recent texts that every moderation worker shares, on a real Redis."""
from services.moderation.benchmark import _comments
from services.moderation.screening import (
    InMemoryAuthorHistory, InMemoryRecentTexts, ProfanityCheckClassifier, Screener, load_policy,
)
from services.moderation.screening.learned import load_model
from services.moderation.screening.stores import Posting
from services.moderation.screening.text import fingerprint
from services.moderation.stores_redis import RedisAuthorHistory, RedisRecentTexts

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
    """Realistic traffic with verbatim repeats and near-copies, and authors with earlier
    rejections, inside and across batches: batches on the shared Redis stores give exactly
    the verdicts of the in-memory stores screened one comment at a time, and each batch
    reads from Redis twice and writes at most twice."""
    policy = load_policy()
    comments = _comments(400, seed=3)
    classifier, learned = ProfanityCheckClassifier(), load_model(policy)
    one_by_one = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier,
                          learned=learned)
    expected = [one_by_one.screen(c) for c in comments]
    assert any("Same or nearly the same text" in r.message for v in expected for r in v.reasons)
    assert any("rejected in the last" in r.message for v in expected for r in v.reasons)

    round_trips = []
    real_pipeline, real_command = redis_client.pipeline, redis_client.execute_command

    def counting_pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        execute = pipe.execute
        pipe.execute = lambda *a, **k: (round_trips.append("pipeline"), execute(*a, **k))[1]
        return pipe

    def counting_command(*args, **kwargs):
        round_trips.append(args[0])
        return real_command(*args, **kwargs)

    redis_client.pipeline, redis_client.execute_command = counting_pipeline, counting_command
    batched = Screener(policy, RedisAuthorHistory(redis_client, namespace), RedisRecentTexts(redis_client, namespace),
                       classifier=classifier, learned=learned)
    got = []
    for n, batch in enumerate(_batches(comments, 64)):
        before = len(round_trips)
        got += batched.screen_batch(batch)
        if n:  # (the first batch also sends the two scripts to the server)
            # bands read, histories read, bands written, rejections written (if any)
            assert round_trips[before:before + 3] == ["EVALSHA", "pipeline", "EVALSHA"]
            assert round_trips[before + 3:] in ([], ["pipeline"])
    assert [(v.decision, sorted(r.message for r in v.reasons)) for v in got] == \
           [(v.decision, sorted(r.message for r in v.reasons)) for v in expected]


def test_a_batch_write_trims_each_band_by_count_and_by_age(redis_client, namespace):
    """The batch path keeps the store's bounds: at most `max_per_band` postings per band,
    none older than the window, and keys that expire."""
    store = RedisRecentTexts(redis_client, namespace, window_seconds=1000, max_per_band=10)
    fp = fingerprint(TEXT, 6)
    store.record(fp, Posting("ancient", "z", "story", 10.0))  # outside the window of what follows
    keys = [store.prefix + band for band in fp.bands]

    batch = store.batch(fp.bands)
    for n in range(5):
        batch.record(fp, Posting(f"c{n}", f"author{n}", "story", 5000.0 + n))
    batch.flush()
    assert all(redis_client.zcard(key) == 5 for key in keys)  # "ancient" aged out, 5 < 10 kept

    batch = store.batch(fp.bands)
    for n in range(5, 30):
        batch.record(fp, Posting(f"c{n}", f"author{n}", "story", 5000.0 + n))
    batch.flush()
    assert all(redis_client.zcard(key) == 10 for key in keys)
    assert all(0 < redis_client.ttl(key) <= 1000 for key in keys)
    fresh = RedisRecentTexts(redis_client, namespace, window_seconds=1000, max_per_band=10).batch(fp.bands)
    assert sorted(int(p.submission_id[1:]) for p in fresh.matches(fp, since=0)) == list(range(20, 30))
