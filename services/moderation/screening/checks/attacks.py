"""Attacks on people and groups: what a profanity model misses.

Identity attacks, dehumanisation, xenophobia, discrimination, threats, harassment
and personal attacks are found with a lexicon of groups and targets plus phrase
patterns written in policy.toml, e.g. `{group}{be} {dehumanising}`. Why a lexicon
and not an embedding model: see POLICY.md ("Attacks: why a lexicon"). In short, it
is explainable span by span, cheap, needs no weights and never rejected a civil
comment in our sets; but it only knows the shapes written into it: rules written
from one batch of comments catch few of the next batch's misses (POLICY.md).

Pattern templates: `{name}` is replaced by a lexicon (an alternation of its
entries; "korean(s)" means "korean" or "koreans") or a fragment (a reusable
template); a space means "one or more whitespace characters". Text is folded
(lower case, accents stripped) before matching, so templates are lower case.

Two softeners keep counter-speech from being rejected: a negator right before a
match ("no one should be shot") multiplies its score by `negation_factor`; a
distancing word shortly before it ("it is racist to say Poles are lazy") or an
open quotation mark multiplies it by `mention_factor`. Matches lying entirely in a
passage quoted from the article are ignored; matches lying entirely in reported
speech (a quotation attributed to someone in the story, checks.context) are
multiplied by `mention_factor` once more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..document import Document
from .context import SINGLE_CLOSE, SINGLE_OPEN
from ..policy import AttackSettings, PatternSetting, PolicyError
from ..text import fold, words_of
from ..verdicts import Check, Reason, span_of

_NAME = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_OPTIONAL = re.compile(r"\(([^()]+)\)")
_SENTENCE_END = re.compile(r"[.!?\n]")
_CLAUSE_END = re.compile(r"[,;:()]")
_RHETORICAL = re.compile(r"\bwhy (?:don'?t|dont|do not|not|won'?t|can'?t)\b")  # "why don't you ..." negates nothing
# A match may not start or end inside a word ("ass" in "class"); a pattern that
# starts or ends with punctuation ("(?:^|[.!?] )...") is free to.
_WHOLE_WORDS = r"(?:(?<!\w)|(?!\w))(?:%s)(?:(?!\w)|(?<!\w))"


@dataclass(frozen=True)
class AttackPattern:
    setting: PatternSetting
    regex: re.Pattern
    # The text must contain a word of each set, or the pattern is not tried: a cheap
    # set test that saves running ~40 regular expressions over every comment.
    required: tuple[frozenset[str], ...]
    sentence_scope: bool  # match within one sentence at a time

    @property
    def full_mask(self) -> int:
        return (1 << len(self.required)) - 1


@dataclass(frozen=True)
class AttackRules:
    patterns: tuple[AttackPattern, ...]
    negation: re.Pattern
    distancing: frozenset[str]
    negation_factor: float
    mention_factor: float
    counter_factor: float
    denouncing: re.Pattern  # a word or phrase that condemns what the comment mentions
    hatred_of: re.Pattern  # "hatred of", "abuse aimed at", ... right before a match
    # word -> (pattern index, bit of the requirement group it satisfies): one dict
    # lookup per distinct word of a comment finds the patterns worth trying, instead
    # of a set test per pattern (~90 of them)
    triggers: dict[str, tuple[tuple[int, int], ...]]
    unconditional: frozenset[int]  # patterns with no requirement: always tried


def compile_attacks(settings: AttackSettings) -> AttackRules:
    clash = set(settings.lexicon) & set(settings.fragments)
    if clash:
        raise PolicyError(f"attacks: {sorted(clash)} is both a lexicon and a fragment")
    lexicon = {name: [fold(entry) for entry in entries] for name, entries in settings.lexicon.items()}
    expander = _Expander(lexicon, settings.fragments)
    patterns = []
    for setting in settings.patterns:
        where = f"attacks.patterns {setting.name!r}"
        try:
            regex = re.compile(_WHOLE_WORDS % expander.expand(setting.pattern, where))
        except re.error as error:
            raise PolicyError(f"{where}: {error}") from error
        required = tuple(_words_required(group, lexicon) for group in setting.requires)
        patterns.append(AttackPattern(setting, regex, required, setting.scope == "sentence"))
    negators = "|".join(_entry_regex(fold(n)) for n in settings.negators)
    triggers: dict[str, list[tuple[int, int]]] = {}
    for index, pattern in enumerate(patterns):
        for bit, group in enumerate(pattern.required):
            for word in group:
                triggers.setdefault(word, []).append((index, 1 << bit))
    return AttackRules(
        patterns=tuple(patterns),
        triggers={word: tuple(entries) for word, entries in triggers.items()},
        unconditional=frozenset(i for i, pattern in enumerate(patterns) if not pattern.required),
        negation=re.compile(r"(?<!\w)(?:%s)(?:\W+\w+)?\W*$" % negators) if negators else re.compile(r"(?!)"),
        distancing=frozenset(fold(word) for word in settings.distancing),
        counter_factor=settings.counter_factor,
        denouncing=_phrases(settings.denouncing, r"(?<!\w)(?:%s)(?!\w)"),
        hatred_of=_phrases(settings.hatred_of, r"(?<!\w)(?:%s)\W+(?:\w+\W+){0,2}$"),
        negation_factor=settings.negation_factor,
        mention_factor=settings.mention_factor,
    )


def check_attacks(doc: Document, rules: AttackRules) -> list[Reason]:
    found: dict[str, tuple[AttackPattern, list[tuple[int, int]], float]] = {}
    for pattern in _candidates(doc, rules):
        for match in _matches(pattern, doc):
            start, end = match.span()
            if end <= start or doc.is_quoted(start, end):
                continue
            # a pattern anchored on "[.!?] " starts at the previous sentence's full
            # stop; soften by the sentence the match is really in
            lead = start
            while lead < end - 1 and doc.folded[lead] in ".!? \n":
                lead += 1
            factor = _softening(doc.folded, lead, rules)
            reported = bool(doc.reported) and doc.is_reported(start, end)
            if factor > rules.counter_factor and _counter_speech(doc.folded, lead, end, rules,
                                                                 mentioned=factor < 1.0 or reported):
                factor = rules.counter_factor
            score = pattern.setting.score * factor
            if reported:
                # reported speech (checks.context): someone in the story said it, the
                # commenter quotes it; softened once more than a plain quotation
                score *= rules.mention_factor
            _, spans, best = found.get(pattern.setting.name, (pattern, [], 0.0))
            found[pattern.setting.name] = (pattern, spans + [(start, end)], max(best, score))
    return [
        Reason(
            check=Check.ATTACKS,
            category=pattern.setting.category,
            message=pattern.setting.message,
            spans=tuple(span_of(doc.text, start, end) for start, end in spans[:5]),
            score=score,
        )
        for pattern, spans, score in found.values()
    ]


def _candidates(doc: Document, rules: AttackRules) -> list[AttackPattern]:
    """The patterns whose every requirement group has a word in the text, in policy order."""
    satisfied: dict[int, int] = {}
    triggers = rules.triggers
    for word in doc.words:
        for index, bit in triggers.get(word, ()):
            satisfied[index] = satisfied.get(index, 0) | bit
    patterns = rules.patterns
    ready = {i for i, mask in satisfied.items() if mask == patterns[i].full_mask}
    return [patterns[i] for i in sorted(ready | rules.unconditional)]


def _matches(pattern: AttackPattern, doc: Document):
    """All matches, or for a sentence-scoped pattern only those in sentences that
    hold its required words (far cheaper for co-occurrence patterns)."""
    if not pattern.sentence_scope:
        yield from pattern.regex.finditer(doc.folded)
        return
    for start, end, words in doc.sentences:
        for required in pattern.required:
            if words.isdisjoint(required):
                break
        else:
            yield from pattern.regex.finditer(doc.folded, start, end)


def _softening(folded: str, start: int, rules: AttackRules) -> float:
    prefix = folded[max(0, start - 120):start]
    cut = None
    for cut in _SENTENCE_END.finditer(prefix):
        pass
    sentence = prefix[cut.end():] if cut else prefix
    clause = _CLAUSE_END.split(sentence)[-1]
    if rules.negation.search(clause) and not _RHETORICAL.search(clause):
        return rules.negation_factor
    if (sentence.count('"') % 2 == 1 or _inside_single_quotes(folded, start - len(sentence), start)
            or _distanced(words_of(sentence), rules.distancing)):
        return rules.mention_factor
    return 1.0


def _counter_speech(folded: str, start: int, end: int, rules: AttackRules, mentioned: bool) -> bool:
    """Counter-speech (2024.07-1): the match names a group as the object of hatred
    ("hatred of Poles has no place here", "abuse aimed at migrants"), or it is a mention
    (quoted, distanced, reported) and the rest of the comment condemns it ("saying
    \"X are vermin\" is disgusting"). A condemnation next to the commenter's own
    unquoted words does not count: "X are vermin, disgusting" stays an attack."""
    if rules.hatred_of.search(folded, max(0, start - 40), start):
        return True
    if not mentioned:
        return False
    return bool(rules.denouncing.search(folded[:start]) or rules.denouncing.search(folded, end))


def _phrases(entries: tuple[str, ...], template: str) -> re.Pattern:
    if not entries:
        return re.compile(r"(?!)")
    return re.compile(template % "|".join(_entry_regex(fold(e)) for e in entries))


# A distancing noun that is denied asserts instead: "the statistics don't lie: ...", "it's
# no myth that ...", "not a stereotype, a fact: ..." (2024.06-9). Verbs of saying are left
# alone: "you can't say that Poles are lazy" is still counter-speech.
_DENIABLE = frozenset({"lie", "lies", "myth", "myths", "stereotype", "stereotypes", "propaganda", "rhetoric"})
_DENIAL = frozenset({"no", "not", "never", "t"})  # "t": the tail of don't, isn't, doesn't, can't


def _distanced(words: list[str], distancing: frozenset[str]) -> bool:
    """A distancing word among the last six words of the sentence before a match,
    unless it is one of the deniable nouns and one of the two words before it denies it."""
    start = max(0, len(words) - 6)
    for i in range(start, len(words)):
        if words[i] not in distancing:
            continue
        if words[i] in _DENIABLE and not _DENIAL.isdisjoint(words[max(0, i - 2):i]):
            continue
        return True
    return False


def _inside_single_quotes(folded: str, sentence_start: int, start: int) -> bool:
    """True if a single quotation mark opened in this sentence before `start` (or
    right at it) and was not closed before `start`: "the line was 'go back ...'"."""
    opened = None
    for opened in SINGLE_OPEN.finditer(folded, sentence_start, start + 1):
        pass
    if opened is None:
        return False
    return SINGLE_CLOSE.search(folded, opened.end(), start) is None


class _Expander:
    def __init__(self, lexicon: dict[str, list[str]], fragments: dict[str, str]):
        self._lexicon, self._fragments = lexicon, fragments

    def expand(self, template: str, where: str, seen: tuple[str, ...] = ()) -> str:
        parts, last = [], 0
        for match in _NAME.finditer(template):
            parts.append(template[last:match.start()].replace(" ", r"\s+"))
            parts.append(self._name(match.group(1), where, seen))
            last = match.end()
        parts.append(template[last:].replace(" ", r"\s+"))
        return "".join(parts)

    def _name(self, name: str, where: str, seen: tuple[str, ...]) -> str:
        if name in seen:
            raise PolicyError(f"{where}: fragment {name!r} refers to itself")
        if name in self._lexicon:
            return _lexicon_regex(self._lexicon[name])
        if name in self._fragments:
            return "(?:%s)" % self.expand(self._fragments[name], where, seen + (name,))
        raise PolicyError(f"{where}: unknown lexicon or fragment {{{name}}}")


def _lexicon_regex(entries: list[str]) -> str:
    """An alternation of the entries, longest first, factored by first letter
    (`(?:a(?:fghans?|...)|b(?:...))`): `re` tries every branch of an alternation at
    every position, and the group lexicon has ~300 names. Same matches as the flat
    alternation, since entries with different first letters never compete."""
    by_first: dict[str, list[str]] = {}
    for entry in sorted(entries, key=len, reverse=True):
        regex = _entry_regex(entry)
        by_first.setdefault(regex[0] if regex[:1].isalpha() else "", []).append(regex)
    branches = list(by_first.pop("", []))  # not starting with a letter: left unfactored
    branches += ["%s(?:%s)" % (first, "|".join(regex[1:] for regex in group))
                 for first, group in by_first.items()]
    return "(?:%s)" % "|".join(branches)


def _entry_regex(entry: str) -> str:
    """'asylum seeker(s)' -> asylum\\s+seeker(?:s)?; 'sub-human' -> sub[\\s-]*human."""
    out, last = [], 0
    for match in _OPTIONAL.finditer(entry):
        out.append(_literal(entry[last:match.start()]))
        out.append("(?:%s)?" % _literal(match.group(1)))
        last = match.end()
    out.append(_literal(entry[last:]))
    return "".join(out)


def _literal(text: str) -> str:
    return r"[\s-]*".join(r"\s+".join(re.escape(w) for w in part.split()) for part in text.split("-"))


def _words_required(names: tuple[str, ...], lexicon: dict[str, list[str]]) -> frozenset[str]:
    """A lexicon stands for the last word of each of its entries; anything else is a word."""
    words: set[str] = set()
    for name in names:
        if name in lexicon:
            words |= {_last_word(v) for entry in lexicon[name] for v in _variants(entry)}
        else:
            words |= set(words_of(fold(name)))
    return frozenset(words)


def _variants(entry: str) -> list[str]:
    with_optional = _OPTIONAL.sub(lambda m: m.group(1), entry)
    without = _OPTIONAL.sub("", entry)
    return [with_optional, without]


def _last_word(text: str) -> str:
    found = words_of(text)
    return found[-1] if found else text
