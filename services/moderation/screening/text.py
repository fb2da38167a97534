"""Text normalisation that keeps offsets, and fingerprints for near-duplicate text.

`fold` maps every character to exactly one character (lower case, accents and
compatibility forms stripped, look-alike Cyrillic/Greek letters to Latin, curly
quotes and dashes to ASCII, invisible characters to a joiner). Because the folded
text has the same length as the original, an offset found in the folded text *is*
the offset in the submitted text, which is what makes every highlighted span exact
without an offset map.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

JOINER = "\x00"  # stands in for zero-width and combining characters; never a letter or space

_CONFUSABLES = {
    # Cyrillic and Greek letters that look like Latin ones (a common filter dodge)
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "ο": "o", "α": "a", "ι": "i", "κ": "k", "ν": "v",
    "ρ": "p", "τ": "t", "υ": "u", "ı": "i",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "…": ".", "\u00a0": " ", "\r": "\n", "\t": " ",
}


def _fold_char(char: str) -> str:
    if char in _CONFUSABLES:
        return _CONFUSABLES[char]
    category = unicodedata.category(char)
    if category == "Cc":
        return "\n" if char == "\n" else " "
    if category in ("Cs", "Co", "Cn", "Zl", "Zp"):
        return " "
    if category in ("Cf", "Mn", "Me"):
        return JOINER
    if category == "Zs":
        return " "
    lower = char.lower()
    if len(lower) != 1:
        lower = char
    base = [c for c in unicodedata.normalize("NFKD", lower) if not unicodedata.combining(c)]
    if len(base) == 1:
        folded = base[0].lower()
        return folded if len(folded) == 1 else base[0]
    return lower


class _FoldTable(dict):
    """str.translate table that folds each character once and remembers it."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Same-length, comparison-friendly copy of `text` (see the module docstring)."""
    folded = text.translate(_FOLD_TABLE)
    assert len(folded) == len(text)
    return folded


WORD = re.compile(r"[^\W\d_]+")
URL_LIKE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+")


def words_of(folded: str) -> list[str]:
    return WORD.findall(folded)


@dataclass(frozen=True)
class Fingerprint:
    """MinHash band keys of a text's word 3-shingles: two texts share a band key
    with high probability when they are near-identical, and almost never otherwise.
    Keys are stable across processes (no use of Python's salted `hash`)."""

    bands: tuple[str, ...]


# 12 bands of 4 rows; a text is a near-copy of an earlier one when they share a band
# key: word-shingle Jaccard 0.8 -> found 99%, 0.65 (one word changed in a 15-word
# comment) -> 90%, 0.3 -> 9%, 0.2 -> 2%. Unrelated comments share almost no shingles.
_BANDS, _ROWS = 12, 4
MIN_SHARED_BANDS = 1  # a store may return each posting once, however many keys it shares
_rng = np.random.default_rng(20240611)
_MULTIPLIERS = _rng.integers(1, 2**63, size=_BANDS * _ROWS, dtype=np.uint64) | np.uint64(1)
_SEEDS = _rng.integers(0, 2**63, size=_BANDS * _ROWS, dtype=np.uint64)
_W1, _W2 = (np.uint64(v) | np.uint64(1) for v in _rng.integers(1, 2**63, size=2, dtype=np.uint64))


def fingerprint(folded: str, min_words: int) -> Fingerprint | None:
    """Fingerprint of the words of `folded`, ignoring links, digits and punctuation;
    None for texts too short to call a repeat suspicious ("Thank you!")."""
    if "@" in folded or "www." in folded or "http" in folded:
        folded = URL_LIKE.sub(" ", folded)
    words = words_of(folded)
    if len(words) < max(min_words, 1):
        return None
    # a 3-word shingle's hash mixes its words' hashes, so each word is hashed once
    cache = _WORD_HASHES
    if len(cache) > 200_000:
        cache.clear()
    word_hashes = np.fromiter(
        (cache[w] if w in cache else cache.setdefault(w, _hash64(w)) for w in words),
        dtype=np.uint64, count=len(words),
    )
    if len(words) >= 3:
        shingles = word_hashes[:-2] * _W1 + word_hashes[1:-1] * _W2 + word_hashes[2:]
    else:
        shingles = word_hashes
    mixed = (shingles[None, :] ^ _SEEDS[:, None]) * _MULTIPLIERS[:, None]
    mixed ^= mixed >> np.uint64(31)
    minima = mixed.min(axis=1)
    raw = minima.tobytes()
    width = _ROWS * 8
    return Fingerprint(tuple(
        f"{band}:{zlib.crc32(raw[band * width:(band + 1) * width]):08x}" for band in range(_BANDS)
    ))


_WORD_HASHES: dict[str, int] = {}  # words recur; hashing each once is most of the cost


def _hash64(text: str) -> int:
    data = text.encode("utf-8", "surrogatepass")
    return zlib.crc32(data) | (zlib.crc32(data, 0x9E3779B9) << 32)
