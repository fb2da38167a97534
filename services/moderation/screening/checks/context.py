"""Context: which parts of a comment quote the article it is posted under.

A reader quoting a victim's harsh words from the story ("they treat us like dogs
here") is not being abusive. Two ways a passage counts as a quote:
- a run of at least `min_quote_words` words that appears verbatim (after folding)
  in the article body;
- a passage in double quotation marks all of whose words occur in the article.
Findings that lie entirely inside a quoted region are ignored by the word and
attack checks, and quoted regions are blanked before the classifier sees the text.
A finding that reaches outside a quote still counts, so "North Korean workers are
vermin" is caught even though "North Korean workers" is in the article.
"""

from __future__ import annotations

import functools
import re

from ..text import fold

_TOKEN = re.compile(r"[^\W_]+")
_QUOTATION = re.compile(r'"([^"\n]{3,600})"')


@functools.lru_cache(maxsize=128)
def _article_index(article_body: str, n: int) -> tuple[frozenset[tuple[str, ...]], frozenset[str]]:
    words = _TOKEN.findall(fold(article_body))
    ngrams = frozenset(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    return ngrams, frozenset(words)


def quoted_regions(folded: str, article_body: str | None, min_words: int) -> tuple[tuple[int, int], ...]:
    if not article_body or min_words < 1:
        return ()
    ngrams, vocabulary = _article_index(article_body, min_words)
    tokens = list(_TOKEN.finditer(folded))
    words = [token.group() for token in tokens]
    marked = [False] * len(tokens)
    for i in range(len(tokens) - min_words + 1):
        if tuple(words[i:i + min_words]) in ngrams:
            marked[i:i + min_words] = [True] * min_words
    regions = [
        (tokens[i].start(), tokens[i].end()) for i, is_marked in enumerate(marked) if is_marked
    ]
    for quotation in _QUOTATION.finditer(folded):
        inner = _TOKEN.findall(quotation.group(1))
        if len(inner) >= min_words and all(word in vocabulary for word in inner):
            regions.append(quotation.span())
    return _merge(regions, folded)


def _merge(regions: list[tuple[int, int]], folded: str) -> tuple[tuple[int, int], ...]:
    """Join regions separated only by spaces and punctuation into one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(regions):
        if merged and not any(c.isalnum() for c in folded[merged[-1][1]:start]):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
