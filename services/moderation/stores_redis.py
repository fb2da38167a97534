"""Redis-backed memories for screening, shared by every moderation worker process.

Author history: a sorted set of rejection times per author key. Recent texts: a sorted set
per MinHash band key of serialised postings, scored by time. Both are trimmed to the policy's
window on write; a band also keeps only its newest ``max_per_band`` postings (as the
in-memory store does), so a wave of copies costs each screening a bounded read instead of
one that grows with the wave.

Bands are read and written by two server-side scripts, one call each however many bands:
a batch of screening (`RecentTextsBatch`) reads every band it needs at once and writes its
postings at once; a batch of 200 comments touches about 2,400 band keys, and as single
commands in a pipeline their replies cost the worker more time to parse than the
screening itself.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

import redis

from services.moderation.screening import Decision, Fingerprint, Posting

WINDOW_SECONDS = 7 * 86400

# KEYS: band keys; ARGV[1]: postings per band. The newest postings of each band, newest first.
_READ_BANDS = """
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('ZREVRANGEBYSCORE', key, '+inf', '-inf', 'LIMIT', 0, ARGV[1])
end
return out
"""

# KEYS: band keys; ARGV: window seconds, postings per band, then per key: the cutoff time
# (postings this old or older go), the number n of postings to add, then n (score, member) pairs.
_WRITE_BANDS = """
local window, keep, i = ARGV[1], tonumber(ARGV[2]), 3
for _, key in ipairs(KEYS) do
  local cutoff, n = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  for _ = 1, n do
    redis.call('ZADD', key, ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
  redis.call('ZREMRANGEBYRANK', key, 0, -keep - 1)
  redis.call('EXPIRE', key, window)
end
return #KEYS
"""


class RedisAuthorHistory:
    def __init__(self, client: redis.Redis, namespace: str):
        self.client, self.prefix = client, f"{namespace}:moderation:rejections:"

    def recent_rejections(self, author_key: str, since: float) -> int:
        return self.client.zcount(self.prefix + author_key, since, "+inf")

    def record_verdict(self, author_key: str, decision: Decision, at: float) -> None:
        if decision is not Decision.REJECT or not author_key:
            return
        pipe = self.client.pipeline(transaction=False)
        self._add_rejection(pipe, author_key, at)
        pipe.execute()

    def _add_rejection(self, pipe, author_key: str, at: float) -> None:
        key = self.prefix + author_key
        pipe.zadd(key, {repr(at): at})  # same event, same time: a redelivery adds nothing
        pipe.zremrangebyscore(key, "-inf", at - WINDOW_SECONDS)
        pipe.expire(key, WINDOW_SECONDS)

    def batch(self, author_keys: Iterable[str], since: float) -> "AuthorHistoryBatch":
        """A view for screening one batch: see `AuthorHistoryBatch`."""
        return AuthorHistoryBatch(self, author_keys, since)


class AuthorHistoryBatch:
    """The history as one batch of screening sees it: the rejections since `since` of
    every author in the batch, read in one round trip; a rejection made inside the batch
    counts for the author's later comments in it (as one comment at a time) and is
    written with the others by `flush`. A moderator's rejection recorded meanwhile counts
    from the next batch."""

    def __init__(self, store: RedisAuthorHistory, author_keys: Iterable[str], since: float) -> None:
        self._store, self._writes = store, []
        keys = list(author_keys)
        pipe = store.client.pipeline(transaction=False)
        for key in keys:
            pipe.zrangebyscore(store.prefix + key, since, "+inf", withscores=True)
        self._times = {key: [at for _, at in found] for key, found in zip(keys, pipe.execute())}

    def recent_rejections(self, author_key: str, since: float) -> int:
        if author_key not in self._times:  # not announced to the batch: ask the store
            return self._store.recent_rejections(author_key, since)
        return sum(1 for at in self._times[author_key] if at >= since)

    def record_verdict(self, author_key: str, decision: Decision, at: float) -> None:
        if decision is not Decision.REJECT or not author_key:
            return
        if author_key not in self._times:  # not announced to the batch: straight to the store
            self._store.record_verdict(author_key, decision, at)
            return
        self._times[author_key].append(at)
        self._writes.append((author_key, at))

    def flush(self) -> None:
        if not self._writes:
            return
        pipe = self._store.client.pipeline(transaction=False)
        for author_key, at in self._writes:
            self._store._add_rejection(pipe, author_key, at)
        pipe.execute()
        self._writes.clear()


class RedisRecentTexts:
    def __init__(self, client: redis.Redis, namespace: str, window_seconds: int = 86400, max_per_band: int = 64):
        self.client, self.prefix, self.window = client, f"{namespace}:moderation:texts:", window_seconds
        self.max_per_band = max_per_band
        self._read_bands = client.register_script(_READ_BANDS)  # sent on first use, not here
        self._write_bands = client.register_script(_WRITE_BANDS)

    def matches(self, fingerprint: Fingerprint, since: float) -> list[Posting]:
        unique = dict.fromkeys(raw for members in self._read(fingerprint.bands) for raw in members)
        postings = (Posting(**json.loads(raw)) for raw in unique)  # once per posting
        return [p for p in postings if p.at >= since]

    def record(self, fingerprint: Fingerprint, posting: Posting) -> None:
        member = _member(posting)
        self._write({band: [(member, posting.at)] for band in fingerprint.bands})

    def _read(self, bands: Iterable[str]) -> list[list[bytes]]:
        """The newest `max_per_band` postings of each band, newest first, whatever their age."""
        return self._read_bands(keys=[self.prefix + band for band in bands], args=[self.max_per_band])

    def _write(self, postings: dict[str, list[tuple[str, float]]]) -> None:
        """Add (member, time) postings per band, then trim each band by age and by count."""
        args: list = [self.window, self.max_per_band]
        for added in postings.values():
            args += [repr(max(at for _, at in added) - self.window), len(added)]
            for member, at in added:
                args += [repr(at), member]
        self._write_bands(keys=[self.prefix + band for band in postings], args=args)

    def batch(self, bands: Iterable[str]) -> "RecentTextsBatch":
        """A view for screening one batch: see `RecentTextsBatch`."""
        return RecentTextsBatch(self, bands)


class RecentTextsBatch:
    """The store as one batch of screening sees it, in two round trips instead of two
    per comment: every band the batch will look up is read at the start (the newest
    `max_per_band` postings each, whatever their age; `matches` applies the window), the
    batch's own postings are added to that copy as they are recorded, so a repeat inside
    the batch is caught as it would be one comment at a time, and they are written to
    Redis together by `flush`. Another worker's postings made during the batch are seen
    by the next batch, not this one (as with any two workers screening at once)."""

    def __init__(self, store: RedisRecentTexts, bands: Iterable[str]) -> None:
        self._store = store
        self._bands: dict[str, list[tuple[str, Posting]]] = {}  # band -> (member, posting), newest first
        self._writes: list[tuple[Fingerprint, str, Posting]] = []
        self._fetch(bands)

    def _fetch(self, bands: Iterable[str]) -> None:
        missing = list(dict.fromkeys(b for b in bands if b not in self._bands))
        if not missing:
            return
        replies = self._store._read(missing)
        parsed: dict[bytes, Posting] = {}
        for band, members in zip(missing, replies):
            entries = []
            for raw in members:
                posting = parsed.get(raw)
                if posting is None:
                    posting = parsed[raw] = Posting(**json.loads(raw))
                entries.append((raw.decode() if isinstance(raw, bytes) else raw, posting))
            self._bands[band] = entries

    def matches(self, fingerprint: Fingerprint, since: float) -> list[Posting]:
        self._fetch(fingerprint.bands)
        unique = {member: posting for band in fingerprint.bands for member, posting in self._bands[band]
                  if posting.at >= since}
        return list(unique.values())

    def record(self, fingerprint: Fingerprint, posting: Posting) -> None:
        self._fetch(fingerprint.bands)
        member = _member(posting)
        keep = self._store.max_per_band
        for band in fingerprint.bands:
            entries = [(member, posting)] + [e for e in self._bands[band] if e[0] != member]
            entries.sort(key=lambda e: -e[1].at)
            self._bands[band] = entries[:keep]
        self._writes.append((fingerprint, member, posting))

    def flush(self) -> None:
        """Write the batch's postings, then trim each band touched once."""
        if not self._writes:
            return
        postings: dict[str, list[tuple[str, float]]] = {}
        for fingerprint, member, posting in self._writes:
            for band in fingerprint.bands:
                postings.setdefault(band, []).append((member, posting.at))
        self._store._write(postings)
        self._writes.clear()


def _member(posting: Posting) -> str:
    return json.dumps(posting.__dict__, separators=(",", ":"))
