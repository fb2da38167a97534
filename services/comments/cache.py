"""Rendered threads cached in Redis, invalidated by every committed change to the thread.

Each article has a version counter in Redis, bumped after every commit that touched its thread
(the handlers note the articles they touched with :func:`touched`, in the session's ``info``:
each write transaction has its own session, and the after-commit hook gets it). A reader reads
the counter *before* reading the database and stores what it rendered under that version, so
a rendering that raced with a change is filed under a version nobody asks for any more. The
entries also expire after ``ttl`` seconds: if the bump after a commit is lost (Redis
unreachable at that instant), a stale page lives at most that long. Any Redis error makes the
cache a miss, never a failed read.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict

import redis

log = logging.getLogger(__name__)


class ThreadCache:
    """Redis holds the entries and the versions; each process also keeps the entries it served
    last (``local_entries`` of them, each until its Redis TTL runs out), so a hot thread costs
    one plain GET of its version instead of its whole body per read. The version is still read
    from Redis on every request, so the local copy is never staler than Redis's."""

    def __init__(self, client: redis.Redis, namespace: str, ttl: int = 30, local_entries: int = 256):
        self.client, self.prefix, self.ttl = client, f"{namespace}:threads:", ttl
        self.local: OrderedDict[tuple[str, str], tuple[int, float, str, bytes]] = OrderedDict()
        self.local_entries = local_entries
        self.queries: OrderedDict[bytes, tuple[str, str]] = OrderedDict()

    def remember_query(self, query: bytes, slug: str, variant: str) -> None:
        """Note that ``query`` passed validation and names ``(slug, variant)``."""
        self.queries[query] = (slug, variant)
        self.queries.move_to_end(query)
        while len(self.queries) > 4 * max(self.local_entries, 1):
            self.queries.popitem(last=False)

    def known_query(self, query: bytes) -> tuple[str, str] | None:
        return self.queries.get(query)

    def lookup(self, slug: str, variant: str) -> tuple[int | None, tuple[str, bytes] | None]:
        """``(version, (etag, body) or None)``; ``(None, None)`` when Redis cannot answer."""
        try:
            version = int(self.client.get(f"{self.prefix}v:{slug}") or 0)
            held = self.local.get((slug, variant))
            if held is not None and held[0] == version and held[1] > time.monotonic():
                self.local.move_to_end((slug, variant))
                return version, (held[2], held[3])
            key = f"{self.prefix}{slug}:{version}:{variant}"
            pipe = self.client.pipeline(transaction=False)
            pipe.hmget(key, "etag", "body")
            pipe.pttl(key)
            (etag, body), pttl = pipe.execute()
        except redis.RedisError:
            return None, None
        if etag is None or body is None:
            return version, None
        self._hold(slug, variant, version, etag.decode(), body, pttl / 1000)
        return version, (etag.decode(), body)

    def _hold(self, slug: str, variant: str, version: int, etag: str, body: bytes, ttl: float) -> None:
        if self.local_entries <= 0 or ttl <= 0:
            return
        self.local[slug, variant] = (version, time.monotonic() + ttl, etag, body)
        self.local.move_to_end((slug, variant))
        while len(self.local) > self.local_entries:
            self.local.popitem(last=False)

    def put(self, slug: str, version: int, variant: str, etag: str, body: bytes) -> None:
        key = f"{self.prefix}{slug}:{version}:{variant}"
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hset(key, mapping={"etag": etag, "body": body})
            pipe.expire(key, self.ttl)
            pipe.execute()
        except redis.RedisError:
            return
        self._hold(slug, variant, version, etag, body, self.ttl)

    def invalidate(self, slugs) -> None:
        for attempt in (1, 2):
            try:
                pipe = self.client.pipeline(transaction=False)
                for slug in slugs:
                    pipe.incr(f"{self.prefix}v:{slug}")
                    pipe.expire(f"{self.prefix}v:{slug}", 86400)
                pipe.execute()
                return
            except redis.RedisError as exc:
                if attempt == 2:
                    log.warning("thread cache not invalidated for %s: %s (stale for <= %ss)", slugs, exc, self.ttl)


def touched(session, slug: str) -> None:
    """Note that this transaction changed what readers see of ``slug``'s thread."""
    session.info.setdefault("threads", set()).add(slug)


def invalidate_after_commit(cache: ThreadCache):
    def after_commit(session) -> None:
        slugs = session.info.pop("threads", None)
        if slugs:
            cache.invalidate(slugs)

    return after_commit
