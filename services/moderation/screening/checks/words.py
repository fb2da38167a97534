"""Words: blocked and suspect word lists, matched through common obfuscation.

A token is cleaned before lookup: leetspeak undone ("sh1t", "a$$"), punctuation
and invisible characters inside it dropped ("f.u.c.k"), and repeated letters
allowed ("iiiidiot") as long as each run is at least as long as in the listed word
(so "as" never matches "ass"). Asterisks stand for any letter ("f*ck", "f***ing").
In a token that has "*" or "#", every symbol stands for a letter ("f@#k").
Letters spaced out ("a s s h o l e") and words split in two ("sh it") are joined
and looked up again. Each hit keeps the offsets of the token it came from.

A list entry ending in "*" matches any word starting with it ("fuck*"); other
entries also match their plural in -s/-es.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from ..document import Document
from ..policy import WordSettings
from ..text import JOINER, fold
from ..verdicts import Category, Check, Reason, span_of

_TOKEN = re.compile(r"[^\s,;:/()\[\]{}\"?<>]+")
_SPLIT = re.compile(r"[\s,;:/()\[\]{}\"?<>]+")
_EDGE = ".,;:!?\"'()[]{}<>-_~^=+|" + JOINER
_DELEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                         "9": "g", "@": "a", "$": "s", "!": "i", "|": "i", "€": "e", "#": "*"})
_ONE_AS_L = str.maketrans({"1": "l", "|": "l"})
_GRAWLIX = re.compile(r"[@$!|#%&]")
_NOT_LETTER = re.compile(r"[\W\d_]+")
_NOT_LETTER_OR_STAR = re.compile(r"[^\w*]+|[\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
# short real words never joined with a neighbour ("is hit" is not "shit")
_COMMON_SHORT = frozenset(
    "a i an as at be by do go he if in is it me my no of oh ok on or so to up us we am hi ha ah "
    "eh uh mr ms dr st vs tv uk un eu pm la le de el en es et je tu il na ja se si ni ya yo".split()
)


@dataclass(frozen=True)
class Term:
    listed: str
    category: Category
    blocked: bool
    stem: bool
    form: str  # the folded word (or plural form) this entry matches
    runs: tuple[int, ...]


@dataclass(frozen=True)
class WordIndex:
    exact: dict[str, tuple[Term, ...]]  # collapsed form -> terms
    stems: dict[str, tuple[Term, ...]]  # collapsed stem -> terms
    stem_lengths: tuple[int, ...]
    by_first_letter: dict[str, tuple[Term, ...]]
    suspect_score: float
    mention_score: float
    # token -> (cleaned key, term or None): most words recur, so most lookups are one dict hit
    cache: dict[str, tuple[str, Term | None]] = field(default_factory=dict, compare=False)


_CACHE_SIZE = 100_000


def compile_words(settings: WordSettings) -> WordIndex:
    exact, stems, first = {}, {}, {}
    lists = [(True, settings.blocked), (False, settings.suspect)]
    for blocked, by_category in lists:
        for category, entries in by_category.items():
            for entry in entries:
                stem = entry.endswith("*")
                word = _NOT_LETTER.sub("", fold(entry.rstrip("*")))
                if not word:
                    continue
                forms = [word] if stem else [word, word + "s", word + "es"]
                for form in forms:
                    collapsed, runs = _collapse(form)
                    term = Term(entry, category, blocked, stem, form, runs)
                    index = stems if stem else exact
                    index[collapsed] = index.get(collapsed, ()) + (term,)
                    first[form[0]] = first.get(form[0], ()) + (term,)
    return WordIndex(
        exact=exact, stems=stems, stem_lengths=tuple(sorted({len(k) for k in stems})),
        by_first_letter=first, suspect_score=settings.suspect_score,
        mention_score=settings.mention_score,
    )


def check_words(doc: Document, index: WordIndex) -> list[Reason]:
    if not _might_match(doc.folded, index):
        return []
    hits: list[tuple[Term, int, int]] = []
    singles: list[tuple[str, int, int]] = []  # one-letter tokens, for "f u c k"
    previous: tuple[str, int, int, bool] | None = None
    for match in _TOKEN.finditer(doc.folded):
        raw = match.group()
        start = match.start() + (len(raw) - len(raw.lstrip(_EDGE)))
        core = raw.strip(_EDGE)
        end = start + len(core)
        if not core or not _LETTER.search(core):
            previous = None  # but keep `singles`: "f - u - c - k" is still spelt out
            continue
        key, term = _cached_lookup(core, index)
        if term is not None:
            hits.append((term, start, end))
        elif previous is not None and not previous[3] and key:
            joined = _join_pair(previous[0], key, index)
            if joined is not None:
                hits.append((joined, previous[1], end))
        previous = (key, start, end, term is not None)
        if len(key) == 1:
            singles.append((key, start, end))
        else:
            hits.extend(_spaced(singles, index))
            singles = []
    hits.extend(_spaced(singles, index))
    return _reasons(doc, index, hits)


def _might_match(folded: str, index: WordIndex) -> bool:
    """Fast pass over the distinct tokens: is there a hit, or a fragment that could
    join a neighbour? Most comments end here without any offset bookkeeping."""
    singles = 0
    for raw in set(_SPLIT.split(folded)):
        core = raw.strip(_EDGE)
        if not core:
            continue
        key, term = _cached_lookup(core, index)
        if term is not None:
            return True
        if len(key) == 1:
            singles += 1
        if 0 < len(key) <= 2 and key not in _COMMON_SHORT or singles >= 3:
            return True
    return False


def _cached_lookup(core: str, index: WordIndex) -> tuple[str, Term | None]:
    found = index.cache.get(core)
    if found is None:
        if len(index.cache) >= _CACHE_SIZE:
            index.cache.clear()
        found = index.cache[core] = _lookup_token(core, index)
    return found


def _lookup_token(core: str, index: WordIndex) -> tuple[str, Term | None]:
    if "*" in core or "#" in core:  # a grawlix ("f@#k", "sh!#"): every symbol hides a letter
        core = _GRAWLIX.sub("*", core)
    deleeted = core.translate(_DELEET)
    if "*" in deleeted:
        pattern = _NOT_LETTER_OR_STAR.sub("", deleeted)
        return pattern.replace("*", ""), _wildcard(pattern, index)
    key = _NOT_LETTER.sub("", deleeted)
    term = _lookup(key, index)
    if term is None and ("1" in core or "|" in core):
        term = _lookup(_NOT_LETTER.sub("", core.translate(_ONE_AS_L).translate(_DELEET)), index)
    return key, term


def _lookup(key: str, index: WordIndex) -> Term | None:
    if not key:
        return None
    collapsed, runs = _collapse(key)
    found = [t for t in index.exact.get(collapsed, ()) if _runs_cover(runs, t.runs)]
    for length in index.stem_lengths:
        if length > len(collapsed):
            break
        found += [t for t in index.stems.get(collapsed[:length], ()) if _runs_cover(runs, t.runs)]
    return _strongest(found)


def _wildcard(pattern: str, index: WordIndex) -> Term | None:
    """"f*ck", "f***ing", "a**": each * stands for one letter; the first must be real."""
    if len(pattern) < 3 or pattern[0] == "*" or pattern.count("*") == len(pattern):
        return None
    found = []
    for term in index.by_first_letter.get(pattern[0], ()):
        form = term.form
        if term.stem:
            fits = len(pattern) >= len(form) and _fits(pattern[: len(form)], form)
        else:
            fits = len(pattern) == len(form) and _fits(pattern, form)
        if fits:
            found.append(term)
    return _strongest(found)


def _fits(pattern: str, form: str) -> bool:
    return all(p == "*" or p == f for p, f in zip(pattern, form)) and "*" in pattern


def _join_pair(left: str, right: str, index: WordIndex) -> Term | None:
    """"sh it", "f uck": blocked words only, at least four letters, and one piece must
    be a fragment that is not a real short word ("is hit" and "as s" stay apart)."""
    fragments = [p for p in (left, right) if len(p) <= 2 and p not in _COMMON_SHORT]
    if not fragments or len(left + right) < 4:
        return None
    term = _lookup(left + right, index)
    return term if term is not None and term.blocked else None


def _spaced(singles: list[tuple[str, int, int]], index: WordIndex) -> list[tuple[Term, int, int]]:
    """Longest listed words spelt out letter by letter in a run of one-letter tokens."""
    hits, i = [], 0
    while i <= len(singles) - 3:
        for j in range(min(len(singles), i + 16), i + 2, -1):
            term = _lookup("".join(key for key, _, _ in singles[i:j]), index)
            if term is not None:
                hits.append((term, singles[i][1], singles[j - 1][2]))
                i = j - 1
                break
        i += 1
    return hits


def _collapse(word: str) -> tuple[str, tuple[int, ...]]:
    groups = [(letter, len(list(run))) for letter, run in itertools.groupby(word)]
    return "".join(letter for letter, _ in groups), tuple(length for _, length in groups)


def _runs_cover(runs: tuple[int, ...], term_runs: tuple[int, ...]) -> bool:
    return len(runs) >= len(term_runs) and all(r >= t for r, t in zip(runs, term_runs))


def _strongest(terms: list[Term]) -> Term | None:
    blocked = [t for t in terms if t.blocked]
    return (blocked or terms or [None])[0]


def _reasons(doc: Document, index: WordIndex, hits) -> list[Reason]:
    grouped: dict[tuple[bool, Category], list[tuple[int, int, float]]] = {}
    for term, start, end in hits:
        if doc.is_quoted(start, end):
            continue
        score = index.suspect_score
        if term.blocked:
            # a word in quotation marks, alone or in a quoted passage, is someone's word
            # quoted: held for a moderator (who judges whether it is endorsed), never rejected
            mentioned = (start > 0 and doc.folded[start - 1] in "\"'" and doc.folded[end:end + 1] in ("\"", "'")
                         or doc.in_quotation(start, end))
            score = index.mention_score if mentioned else 1.0
        grouped.setdefault((term.blocked, term.category), []).append((start, end, score))
    reasons = []
    for (blocked, category), found in grouped.items():
        spans = tuple(span_of(doc.text, start, end) for start, end, _ in found)
        words = ", ".join(dict.fromkeys(f"“{span.text}”" for span in spans))
        kind = "Blocked" if blocked else "Suspect"
        reasons.append(Reason(
            check=Check.WORDS, category=category, spans=spans,
            message=f"{kind} word ({category.replace('_', ' ')}): {words}",
            score=max(score for _, _, score in found),
        ))
    return reasons
