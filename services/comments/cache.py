"""Rendered threads cached in Redis, invalidated by every committed change to the thread.

Each article has a version counter in Redis, bumped after every commit that touched its thread
(the handlers list the articles they touched in ``session.info["threads"]``). A reader reads
the counter *before* reading the database and stores what it rendered under that version, so
a rendering that raced with a change is filed under a version nobody asks for any more. The
entries also expire after ``ttl`` seconds: if the bump after a commit is lost (Redis
unreachable at that instant), a stale page lives at most that long. Any Redis error makes the
cache a miss, never a failed read.
"""
from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)


class ThreadCache:
    def __init__(self, client: redis.Redis, namespace: str, ttl: int = 30):
        self.client, self.prefix, self.ttl = client, f"{namespace}:threads:", ttl

    def version(self, slug: str) -> int | None:
        try:
            return int(self.client.get(f"{self.prefix}v:{slug}") or 0)
        except redis.RedisError:
            return None

    def get(self, slug: str, version: int, variant: str) -> tuple[str, bytes] | None:
        try:
            etag, body = self.client.hmget(f"{self.prefix}{slug}:{version}:{variant}", "etag", "body")
        except redis.RedisError:
            return None
        return (etag.decode(), body) if etag is not None and body is not None else None

    def put(self, slug: str, version: int, variant: str, etag: str, body: bytes) -> None:
        key = f"{self.prefix}{slug}:{version}:{variant}"
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hset(key, mapping={"etag": etag, "body": body})
            pipe.expire(key, self.ttl)
            pipe.execute()
        except redis.RedisError:
            pass

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
