"""A submission prepared once for every check: folded text, article quotes, words."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .checks.context import (
    denounced_regions, merge_regions, quotation_regions, quoted_regions, reported_regions,
)
from .policy import Policy
from .text import Fingerprint, fingerprint, fold, words_of
from .verdicts import Submission


_SENTENCE_END = re.compile(r"[.!?\n]+")


@dataclass(frozen=True)
class Document:
    submission: Submission
    text: str  # the analysed part of the submitted text: all of it unless huge
    folded: str  # fold(text): same length, so offsets in it are offsets in the submission
    quoted: tuple[tuple[int, int], ...]  # regions quoting the article (see checks.context)
    words: frozenset[str]  # folded words, to skip patterns that cannot match
    # passages in double quotation marks attributed to someone in the story (2024.06-8,
    # see checks.context): not the commenter's own words, but unlike article quotes the
    # attack check still sees them, softened
    reported: tuple[tuple[int, int], ...] = ()
    # quotations in a comment that condemns them (2024.07-1, checks.context): the hate being
    # denounced, blanked for the classifiers like reported speech
    denounced: tuple[tuple[int, int], ...] = ()

    @functools.cached_property
    def sentences(self) -> tuple[tuple[int, int, frozenset[str]], ...]:
        """(start, end, words) per sentence; a sentence starts at the previous one's
        full stop, so patterns anchored on "[.!?] " still see it."""
        spans, start = [], 0
        for end in _SENTENCE_END.finditer(self.folded):
            spans.append((start, end.end()))
            start = end.start()
        spans.append((start, len(self.folded)))
        return tuple((a, b, frozenset(words_of(self.folded[a:b]))) for a, b in spans if b > a)

    def fingerprint(self, min_words: int) -> Fingerprint | None:
        """The near-duplicate fingerprint (`text.fingerprint`), computed once: the batch
        looks up its bands before screening and the duplicate check uses it again."""
        cache = self.__dict__.setdefault("_fingerprints", {})
        if min_words not in cache:
            cache[min_words] = fingerprint(self.folded, min_words)
        return cache[min_words]

    def has_words(self, required: tuple[frozenset[str], ...]) -> bool:
        """True if the text has at least one word of every set in `required`."""
        words = self.words
        for group in required:  # a plain loop: this runs ~60 times per comment
            if words.isdisjoint(group):
                return False
        return True

    def is_quoted(self, start: int, end: int) -> bool:
        return any(q_start <= start and end <= q_end for q_start, q_end in self.quoted)

    def is_reported(self, start: int, end: int) -> bool:
        return any(r_start <= start and end <= r_end for r_start, r_end in self.reported)

    @functools.cached_property
    def quotations(self) -> tuple[tuple[int, int], ...]:
        return quotation_regions(self.folded)

    def in_quotation(self, start: int, end: int) -> bool:
        """Inside a passage in quotation marks (someone's words, quoted; `quotation_regions`)."""
        return any(q_start <= start and end <= q_end for q_start, q_end in self.quotations)

    @functools.cached_property
    def blanked(self) -> tuple[tuple[int, int], ...]:
        """Article quotes, reported speech and denounced quotations, merged: what the
        classifiers do not read."""
        if not self.reported and not self.denounced:
            return self.quoted
        return merge_regions(list(self.quoted) + list(self.reported) + list(self.denounced), self.folded)

    def own_text(self) -> str:
        """The commenter's own words: the text with article quotes and reported speech
        blanked out."""
        return self.blank(self.text)

    def blank(self, same_length: str) -> str:
        """`same_length` (the text or its folded form) with the `blanked` regions turned
        to spaces, so offsets in it are still offsets in the submission."""
        if not self.blanked:
            return same_length
        parts, last = [], 0
        for start, end in self.blanked:
            parts.extend((same_length[last:start], " " * (end - start)))
            last = end
        parts.append(same_length[last:])
        return "".join(parts)


def prepare(submission: Submission, policy: Policy) -> Document:
    # A megabyte comment is held for being too long anyway; analysing only a
    # prefix keeps one hostile submission from stalling the worker.
    text = submission.text[: policy.format.analyse_chars]
    folded = fold(text)
    return Document(
        submission=submission,
        text=text,
        folded=folded,
        quoted=quoted_regions(folded, submission.article_body, policy.min_quote_words),
        reported=reported_regions(folded, policy.reported_speakers, policy.reported_verbs,
                                  policy.endorsing_words),
        denounced=denounced_regions(folded, policy.attacks.denouncing),
        words=frozenset(words_of(folded)),
    )
