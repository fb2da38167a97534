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

Reported speech (2024.06-8): a passage in double quotation marks attributed, in the
words around it, to someone in the story ("the foreman's text message, \"work or
starve\"", "\"...\" - a company director said that on record") is what that person
said, not what the commenter says. It needs a speaker (`context.reported_speakers`:
foreman, owner, director, recruiter, ...) next to a reporting word
(`context.reported_verbs`: said, told, quote, message, ...) within the same sentence
before or after the quotation, and no endorsing word there (`context.endorsing_words`:
"the owner was right: \"...\"" is the commenter's view). Reported speech is blanked
before the classifier and the learned model read the text; the attack check still
sees it, with its findings softened twice (see checks.attacks), so a reported threat
is not the commenter's threat, but a commenter's own words next to it still count.
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


_AROUND = 100  # characters looked at on each side of a quotation for its attribution
_BOUNDARY = re.compile(r"[.!?\n]")


@functools.lru_cache(maxsize=8)
def _attribution(speakers: tuple[str, ...], verbs: tuple[str, ...],
                 endorsing: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    def alternation(entries: tuple[str, ...]) -> str:
        return "|".join(r"\s+".join(map(re.escape, fold(e).split())) for e in sorted(entries, key=len, reverse=True))

    speaker = r"(?:%s)(?:'s|s'|s)?" % alternation(speakers)
    verb = r"(?:%s)" % alternation(verbs)
    attribution = re.compile(
        r"\b(?:the|a|an|their|his|her|that|this|one|our)(?:\s+[\w-]+){0,2}?\s+%s(?:\s+[\w-]+){0,4}?\s+%s\b"
        r"|\b%s(?:\s+[\w-]+){0,3}?\s+(?:the|a|an|their|his|her|that|this|one)(?:\s+[\w-]+){0,2}?\s+%s\b"
        % (speaker, verb, verb, speaker))
    return attribution, re.compile(r"\b(?:%s)\b" % alternation(endorsing) if endorsing else r"(?!)")


def reported_regions(folded: str, speakers: tuple[str, ...], verbs: tuple[str, ...],
                     endorsing: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Quotations attributed to someone in the story: see the module's docstring."""
    if not speakers or not verbs or '"' not in folded:
        return ()
    attribution, endorsement = _attribution(speakers, verbs, endorsing)
    regions = []
    for quotation in _QUOTATION.finditer(folded):
        start, end = quotation.span()
        before = folded[max(0, start - _AROUND):start]
        cut = None
        for cut in _BOUNDARY.finditer(before):
            pass
        if cut is not None:
            before = before[cut.end():]
        after = folded[end:end + _AROUND]
        stop = _BOUNDARY.search(after)
        if stop is not None:
            after = after[:stop.start()]
        around = before + " ~ " + after
        if attribution.search(around) and not endorsement.search(around):
            regions.append((start, end))
    return tuple(regions)


@functools.lru_cache(maxsize=8)
def _denouncing(words: tuple[str, ...]) -> re.Pattern:
    from .attacks import _entry_regex  # the lexicon syntax has one reader

    return re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join(_entry_regex(fold(w)) for w in words))


def denounced_regions(folded: str, denouncing: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Quotations in a comment that condemns them (2024.07-1): when a denouncing word
    ("racist", "disgusting", "should apologise", policy `attacks.denouncing`) stands outside
    every quotation, the quotations are the hate being denounced, not the commenter's own
    words: `Shouting "send them home" at a march is racist.`"""
    if not denouncing or ('"' not in folded and "'" not in folded):
        return ()
    regions = quotation_regions(folded)
    if not regions:
        return ()
    outside, last = [], 0
    for start, end in regions:
        outside.append(folded[last:start])
        last = end
    outside.append(folded[last:])
    return regions if _denouncing(denouncing).search(" ~ ".join(outside)) else ()


# A single quotation mark opens a passage after a space, bracket or colon and before a
# letter ('go back ...'), and closes one after a letter, punctuation or a masking asterisk
# ("w****'") and before a space, punctuation or the end; an apostrophe inside a word
# ("manager's", "don't") does neither. Also used by the attack check's softener.
SINGLE_OPEN = re.compile(r"(?:^|(?<=[\s(\[:]))'(?=\w)")
SINGLE_CLOSE = re.compile(r"(?<=[\w.,!?*])'(?=[\s.,;:!?)\]]|$)")


def quotation_regions(folded: str) -> tuple[tuple[int, int], ...]:
    """Passages in double or single quotation marks, attributed to someone or not.

    Double marks are paired in order (first with second, third with fourth; an odd last one
    opens nothing), so the text between two quotations is never taken for one; a single
    opening mark pairs with the next single closing mark (2024.06-10: "the recruiter told
    them 'nobody will believe a w****'" was a quotation only in double marks). A passage
    covering half the comment or more is not counted: wrapping one's own insult in quotation
    marks does not make it a quote."""
    marks = [i for i, ch in enumerate(folded) if ch == '"']
    pairs = list(zip(marks[::2], marks[1::2]))
    position = 0
    while (opened := SINGLE_OPEN.search(folded, position)) is not None:
        closed = SINGLE_CLOSE.search(folded, opened.end())
        if closed is None:
            break
        pairs.append((opened.start(), closed.start()))
        position = closed.end()
    limit = len(folded.strip()) / 2
    return tuple(sorted((a, b + 1) for a, b in pairs if 3 <= b - a - 1 and b + 1 - a < limit))


def merge_regions(regions: list[tuple[int, int]], folded: str) -> tuple[tuple[int, int], ...]:
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
