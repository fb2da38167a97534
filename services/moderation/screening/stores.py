"""What screening remembers between comments, behind two small interfaces.

The screener only needs two questions answered: "how many of this author's
comments were rejected since T?" and "who posted text like this since T?".
The worker answers them from Redis; the CLI and the unit tests use the in-memory
versions below. Both interfaces take times explicitly (epoch seconds) so the window
is the policy's business and a store never reads the clock.

A Redis implementation needs, per interface:
- AuthorHistory: a sorted set per author of rejection times (ZADD on record,
  ZCOUNT since..+inf on read, trim old members now and then);
- RecentTexts: a sorted set per band key of serialised `Posting`s scored by time
  (ZADD on record, ZRANGEBYSCORE since..+inf on read for each band, concatenated,
  trim now and then).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from .text import Fingerprint
from .verdicts import Decision


@dataclass(frozen=True)
class Posting:
    """One screened submission, as remembered for the duplicate check."""

    submission_id: str
    author_key: str | None
    article: str | None
    at: float


class AuthorHistory(Protocol):
    def recent_rejections(self, author_key: str, since: float) -> int:
        """Number of this author's submissions rejected at or after `since`."""
        ...

    def record_verdict(self, author_key: str, decision: Decision, at: float) -> None:
        """Remember a decision about this author's submission (only rejections count;
        the worker should also record rejections made later by a moderator)."""
        ...


class RecentTexts(Protocol):
    def matches(self, fingerprint: Fingerprint, since: float) -> list[Posting]:
        """Postings at or after `since` filed under any of the fingerprint's band keys
        (returning a posting once or once per shared key are both fine)."""
        ...

    def record(self, fingerprint: Fingerprint, posting: Posting) -> None: ...

    # A store may also offer `batch(bands)`, returning a view with the same two methods
    # plus `flush()`, which the screener uses for a batch of several comments (see
    # stores_redis.RecentTextsBatch); the in-memory store has no need of one. An
    # AuthorHistory may likewise offer `batch(author_keys, since)` (AuthorHistoryBatch).


class InMemoryAuthorHistory:
    def __init__(self) -> None:
        self._rejections: dict[str, list[float]] = defaultdict(list)

    def recent_rejections(self, author_key: str, since: float) -> int:
        return sum(1 for at in self._rejections.get(author_key, ()) if at >= since)

    def record_verdict(self, author_key: str, decision: Decision, at: float) -> None:
        if decision is Decision.REJECT:
            self._rejections[author_key].append(at)


class InMemoryRecentTexts:
    """Postings per band key, oldest first (screening records them in time order)."""

    def __init__(self, max_per_band: int = 64) -> None:
        # Only the newest postings per band are kept: a band with more than a few
        # dozen recent copies is a spam wave whatever the older entries say.
        self._by_band: dict[str, list[Posting]] = defaultdict(list)
        self._max_per_band = max_per_band

    def matches(self, fingerprint: Fingerprint, since: float) -> list[Posting]:
        found: list[Posting] = []
        for band in fingerprint.bands:
            for posting in reversed(self._by_band.get(band, ())):  # newest first
                if posting.at < since:
                    break
                found.append(posting)
        return found

    def record(self, fingerprint: Fingerprint, posting: Posting) -> None:
        for band in fingerprint.bands:
            postings = self._by_band[band]
            postings.append(posting)
            if len(postings) > self._max_per_band:
                del postings[: len(postings) - self._max_per_band]
