"""The Redis memory of recent texts that every moderation worker shares, on a real Redis."""
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
