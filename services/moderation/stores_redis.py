"""Redis-backed memories for screening, shared by every moderation worker process.

Author history: a sorted set of rejection times per author key. Recent texts: a sorted set
per MinHash band key of serialised postings, scored by time. Both are trimmed to the policy's
window on write; a band also keeps only its newest ``max_per_band`` postings (as the
in-memory store does), so a wave of copies costs each screening a bounded read instead of
one that grows with the wave.
"""
from __future__ import annotations

import json

import redis

from services.moderation.screening import Decision, Fingerprint, Posting

WINDOW_SECONDS = 7 * 86400


class RedisAuthorHistory:
    def __init__(self, client: redis.Redis, namespace: str):
        self.client, self.prefix = client, f"{namespace}:moderation:rejections:"

    def recent_rejections(self, author_key: str, since: float) -> int:
        return self.client.zcount(self.prefix + author_key, since, "+inf")

    def record_verdict(self, author_key: str, decision: Decision, at: float) -> None:
        if decision is not Decision.REJECT or not author_key:
            return
        key = self.prefix + author_key
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(key, {repr(at): at})  # same event, same time: a redelivery adds nothing
        pipe.zremrangebyscore(key, "-inf", at - WINDOW_SECONDS)
        pipe.expire(key, WINDOW_SECONDS)
        pipe.execute()


class RedisRecentTexts:
    def __init__(self, client: redis.Redis, namespace: str, window_seconds: int = 86400, max_per_band: int = 64):
        self.client, self.prefix, self.window = client, f"{namespace}:moderation:texts:", window_seconds
        self.max_per_band = max_per_band

    def matches(self, fingerprint: Fingerprint, since: float) -> list[Posting]:
        pipe = self.client.pipeline(transaction=False)
        for band in fingerprint.bands:
            pipe.zrevrangebyscore(self.prefix + band, "+inf", since, start=0, num=self.max_per_band)
        unique = dict.fromkeys(raw for members in pipe.execute() for raw in members)  # once per posting
        return [Posting(**json.loads(raw)) for raw in unique]

    def record(self, fingerprint: Fingerprint, posting: Posting) -> None:
        member = json.dumps(posting.__dict__, separators=(",", ":"))
        pipe = self.client.pipeline(transaction=False)
        for band in fingerprint.bands:
            key = self.prefix + band
            pipe.zadd(key, {member: posting.at})
            pipe.zremrangebyscore(key, "-inf", posting.at - self.window)
            pipe.zremrangebyrank(key, 0, -self.max_per_band - 1)
            pipe.expire(key, self.window)
        pipe.execute()
