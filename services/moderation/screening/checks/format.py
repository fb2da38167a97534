"""Format: empty, too long, shouting, character floods and text pasted over and over."""

from __future__ import annotations

import functools
import re

from ..document import Document
from ..policy import FormatSettings
from ..text import JOINER
from ..verdicts import Category, Check, Reason, span_of

_BLANK = " \n" + JOINER


def is_empty(doc: Document) -> bool:
    return not doc.folded.strip(_BLANK)


def check_format(doc: Document, settings: FormatSettings) -> list[Reason]:
    text = doc.text
    if is_empty(doc):
        return [_reason("The comment is empty", (), settings.empty_score, text)]
    reasons = []
    length = len(doc.submission.text)
    if length > settings.max_chars:
        reasons.append(_reason(
            f"The comment is {length} characters long; the limit is {settings.max_chars}",
            ((settings.max_chars, min(length, len(text))),), settings.too_long_score, text,
        ))
    if _shouting(text, settings):
        reasons.append(_reason("Written in capitals (shouting)", (), settings.caps_score, text))
    floods = [
        m.span() for m in _flood(settings.flood_run).finditer(doc.folded) if m.group(1) != JOINER
    ]
    if floods:
        reasons.append(_reason(
            "The same character repeated many times", floods[:5], settings.flood_score, text
        ))
    words = doc.folded.split()
    if len(words) >= settings.repeat_min_words:
        if len(set(words)) / len(words) < settings.repeat_unique_ratio:
            reasons.append(_reason(
                "The same words repeated over and over", (), settings.repeat_score, text
            ))
    return reasons


def _shouting(text: str, settings: FormatSettings) -> bool:
    lower_ascii = len(_LOWER_ASCII.findall(text))
    if lower_ascii > len(text) * (1 - settings.caps_ratio):
        return False  # the common case, decided without a Python-level loop
    cased = [c for c in text if c.isupper() or c.islower()]
    if len(cased) < settings.caps_min_letters:
        return False
    return sum(1 for c in cased if c.isupper()) / len(cased) >= settings.caps_ratio


_LOWER_ASCII = re.compile(r"[a-z]")


@functools.lru_cache(maxsize=8)
def _flood(run: int) -> re.Pattern:
    return re.compile(r"(\S)\1{%d,}" % (max(run, 2) - 1))


def _reason(message: str, spans, score: float, text: str) -> Reason:
    return Reason(
        check=Check.FORMAT,
        category=Category.FORMAT,
        message=message,
        spans=tuple(span_of(text, start, end) for start, end in spans),
        score=score,
    )
