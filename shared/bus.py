"""Redis Streams as the event bus: stream names, publishing and the dead-letter stream.

One stream per producing service (``<ns>:events:<producer>``), so each stream has one
writer (that service's outbox relay) and keeps that service's commit order. Streams are
capped by length on every write and by age by the relay's periodic trim.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import redis

from shared.events import Event

def stream_name(namespace: str, producer: str) -> str:
    return f"{namespace}:events:{producer}"


def dead_letter_stream(namespace: str) -> str:
    return f"{namespace}:events:dead-letter"


def relay_wake_key(namespace: str, producer: str) -> str:
    return f"{namespace}:relay-wake:{producer}"


class Publisher:
    """Appends serialized events to their producer's stream."""

    def __init__(self, client: redis.Redis, namespace: str, maxlen: int = 1_000_000):
        self.client = client
        self.namespace = namespace
        self.maxlen = maxlen

    def publish_raw(self, producer: str, payloads: list[str]) -> list[str]:
        """XADD each payload in one round trip; returns the stream entry ids."""
        pipe = self.client.pipeline(transaction=False)
        for payload in payloads:
            pipe.xadd(stream_name(self.namespace, producer), {"event": payload}, maxlen=self.maxlen, approximate=True)
        return [i.decode() if isinstance(i, bytes) else i for i in pipe.execute()]

    def publish(self, event: Event) -> str:
        return self.publish_raw(event.producer, [event.to_json()])[0]

    def trim_older_than(self, producer: str, max_age_days: int) -> int:
        cutoff_ms = int((time.time() - max_age_days * 86400) * 1000)
        return self.client.xtrim(stream_name(self.namespace, producer), minid=f"{cutoff_ms}-0", approximate=True)


def dead_letter(client: redis.Redis, namespace: str, *, stream: str, entry_id: str, group: str,
                reason: str, payload: str | bytes | None) -> None:
    """Park an entry that cannot be processed, with why, where it came from and when."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    client.xadd(
        dead_letter_stream(namespace),
        {
            "stream": stream,
            "entry_id": entry_id,
            "group": group,
            "reason": reason[:2000],
            "payload": payload if payload is not None else "",
            "at": datetime.now(timezone.utc).isoformat(),
        },
        maxlen=100_000,
        approximate=True,
    )


def read_dead_letters(client: redis.Redis, namespace: str, count: int = 100) -> list[dict]:
    rows = client.xrange(dead_letter_stream(namespace), count=count)
    out = []
    for entry_id, fields in rows:
        doc = {k.decode(): v.decode() for k, v in fields.items()}
        doc["id"] = entry_id.decode()
        out.append(doc)
    return out


def connect(url: str, *, blocking: bool = False) -> redis.Redis:
    """A Redis client. Request paths get a short timeout so a Redis outage cannot hang them;
    blocking readers (consumers, relays) must wait longer than their BLOCK time."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=None if blocking else 2,
        health_check_interval=30,
    )
