"""Real labelled comments from `../shared/corpora/`, cleaned and split once, for ever.

Why a fixed split: what the learned model is trained on and what its thresholds are chosen
on must never be what its quality is reported on. Every row of a corpus goes to exactly one
of three parts, decided by a hash of the corpus name and the row's own id (not by its
position or by a random generator), inside strata of class and annotator agreement, so the
same row lands in the same part on every machine and after any re-ordering of the file:

- ``train`` (70%): the model learns from it;
- ``dev`` (10%): thresholds and model choices are tuned on it;
- ``test`` (20%): reported by ``parley moderation eval``, never looked at while tuning.

The folder beside the checkout is not shipped: a fresh clone without it trains from the
shipped model file and evaluates on the other sets (``corpus_dir()`` returns None).
"""

from __future__ import annotations

import csv
import hashlib
import html
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[3]
DAVIDSON = "davidson-2017"


class Part(StrEnum):
    TRAIN = "train"
    DEV = "dev"
    TEST = "test"


class Truth(StrEnum):
    """What annotators said a comment is, in the site's terms."""

    CIVIL = "civil"  # no hate, no profanity
    PROFANE = "profane"  # offensive language, not hate
    HATEFUL = "hateful"


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    truth: Truth  # the majority class
    votes: int  # annotators
    uncivil_share: float  # share of annotators who called it hateful or offensive
    agreement: str  # "unanimous" or "majority"
    part: Part


def corpus_dir() -> Path | None:
    """`PARLEY_CORPORA` or `../shared/corpora` beside the checkout, if it exists."""
    configured = os.environ.get("PARLEY_CORPORA")
    path = Path(configured) if configured else _ROOT.parent / "shared" / "corpora"
    return path if (path / DAVIDSON).is_dir() else None


_RETWEET = re.compile(r"^(?:[^\w@]*)(?:rt\s+)?@\w+:?\s*", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+:?")
_RT = re.compile(r"\bRT\b:?")
_URL = re.compile(r"https?://\S+|\bwww\.\S+")
_SPACES = re.compile(r"\s+")


def clean_tweet(text: str) -> str:
    """A tweet as a comment: entities decoded, retweet markers, @-handles and links
    dropped (they are the register of the platform, not what the writer said)."""
    text = html.unescape(html.unescape(text))
    text = _URL.sub(" ", text)
    text = _RT.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" :")


def _key(corpus: str, row_id: str) -> str:
    return hashlib.sha256(f"{corpus}:{row_id}".encode()).hexdigest()


def _assign(ids: list[str], corpus: str) -> dict[str, Part]:
    """Within one stratum: rows ordered by their hash, the first 20% test, the next 10% dev."""
    ranked = sorted(ids, key=lambda i: _key(corpus, i))
    n = len(ranked)
    n_test, n_dev = round(n * 0.2), round(n * 0.1)
    out = {}
    for position, row_id in enumerate(ranked):
        out[row_id] = Part.TEST if position < n_test else Part.DEV if position < n_test + n_dev else Part.TRAIN
    return out


_CLASSES = {"0": Truth.HATEFUL, "1": Truth.PROFANE, "2": Truth.CIVIL}


def davidson(root: Path) -> list[Row]:
    """Davidson et al. 2017 (MIT): 24,783 tweets with three annotators or more each."""
    raw = []
    with (root / DAVIDSON / "labeled_data.csv").open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            count = int(record["count"])
            hate, offensive, neither = (int(record[k]) for k in ("hate_speech", "offensive_language", "neither"))
            agreement = "unanimous" if max(hate, offensive, neither) == count else "majority"
            raw.append((record[""], clean_tweet(record["tweet"]), _CLASSES[record["class"]], count,
                        (hate + offensive) / count, agreement))
    strata: dict[str, list[str]] = {}
    for row_id, _, truth, _, _, agreement in raw:
        strata.setdefault(f"{truth.value}/{agreement}", []).append(row_id)
    parts: dict[str, Part] = {}
    for ids in strata.values():
        parts.update(_assign(ids, DAVIDSON))
    return [Row(row_id, text, truth, count, share, agreement, parts[row_id])
            for row_id, text, truth, count, share, agreement in raw if text]


def rows(part: Part, root: Path | None = None) -> Iterator[Row]:
    root = root or corpus_dir()
    if root is None:
        return iter(())
    return (row for row in davidson(root) if row.part is part)
