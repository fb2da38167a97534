"""A submission prepared once for every check: folded text, article quotes, words."""

from __future__ import annotations

from dataclasses import dataclass

from .checks.context import quoted_regions
from .policy import Policy
from .text import fold, words_of
from .verdicts import Submission


@dataclass(frozen=True)
class Document:
    submission: Submission
    text: str  # the analysed part of the submitted text: all of it unless huge
    folded: str  # fold(text): same length, so offsets in it are offsets in the submission
    quoted: tuple[tuple[int, int], ...]  # regions quoting the article (see checks.context)
    words: frozenset[str]  # folded words, to skip patterns that cannot match

    def has_words(self, required: tuple[frozenset[str], ...]) -> bool:
        """True if the text has at least one word of every set in `required`."""
        return all(not self.words.isdisjoint(words) for words in required)

    def is_quoted(self, start: int, end: int) -> bool:
        return any(q_start <= start and end <= q_end for q_start, q_end in self.quoted)

    def own_text(self) -> str:
        """The commenter's own words: the text with article quotes blanked out."""
        if not self.quoted:
            return self.text
        parts, last = [], 0
        for start, end in self.quoted:
            parts.extend((self.text[last:start], " " * (end - start)))
            last = end
        parts.append(self.text[last:])
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
        words=frozenset(words_of(folded)),
    )
