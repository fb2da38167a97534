"""The screening policy: one versioned TOML file, read into frozen settings.

Why a file and not code: moderators and editors change thresholds and word lists
far more often than engineers change checks, and every verdict must say which
policy produced it. `load_policy` checks the file's shape and types and fails with
a message naming the offending key; the regular expressions in it are compiled
(and so checked) when a `Screener` is built from the policy.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .verdicts import Category, Decision, ModerationMode

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "policy.toml"


class PolicyError(ValueError):
    """The policy file is missing, is not TOML, or has a key of the wrong shape."""


@dataclass(frozen=True)
class Thresholds:
    """Per-category ladder: a score at or above `reject` rejects, at or above `hold`
    holds, and in pre-moderation at or above `doubt` holds too. Omitted = never."""

    reject: float = math.inf
    hold: float = math.inf
    doubt: float = math.inf

    def decide(self, score: float, mode: ModerationMode) -> Decision:
        if score >= self.reject:
            return Decision.REJECT
        if score >= self.hold or (mode is ModerationMode.PRE and score >= self.doubt):
            return Decision.HOLD
        return Decision.APPROVE

    def is_notable(self, score: float) -> bool:
        return score >= min(self.reject, self.hold, self.doubt)


@dataclass(frozen=True)
class FormatSettings:
    max_chars: int
    analyse_chars: int
    empty_score: float
    too_long_score: float
    caps_min_letters: int
    caps_ratio: float
    caps_score: float
    flood_run: int
    flood_score: float
    repeat_min_words: int
    repeat_unique_ratio: float
    repeat_score: float


@dataclass(frozen=True)
class PatternSetting:
    name: str
    message: str
    pattern: str
    score: float
    category: Category = Category.SPAM
    # Words (or, for attack patterns, lexicon names) the text must contain for the
    # pattern to be tried at all; each inner group needs one match ("any of"), and
    # every group must match ("all of").
    requires: tuple[tuple[str, ...], ...] = ()
    scope: str = "text"  # "sentence": the pattern is tried sentence by sentence


@dataclass(frozen=True)
class SpamSettings:
    unknown_link_score: float
    extra_link_score: float
    risky_link_score: float
    denied_link_score: float
    email_score: float
    allowed_domains: tuple[str, ...]
    risky_domains: tuple[str, ...]
    denied_domains: tuple[str, ...]
    patterns: tuple[PatternSetting, ...]
    duplicate_window_seconds: float
    duplicate_min_words: int
    same_author_scores: tuple[float, ...]
    other_article_scores: tuple[float, ...]


@dataclass(frozen=True)
class WordSettings:
    suspect_score: float
    mention_score: float
    blocked: dict[Category, tuple[str, ...]]
    suspect: dict[Category, tuple[str, ...]]


@dataclass(frozen=True)
class AttackSettings:
    mention_factor: float
    negation_factor: float
    negators: tuple[str, ...]
    distancing: tuple[str, ...]
    lexicon: dict[str, tuple[str, ...]]
    fragments: dict[str, str]
    patterns: tuple[PatternSetting, ...]
    # 2024.07-1, counter-speech: a mention of hate that the comment denounces, or a group
    # named as the object of hatred ("hatred of X has no place"), is scored x counter_factor
    counter_factor: float = 1.0
    denouncing: tuple[str, ...] = ()
    hatred_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class LearnedSettings:
    """The learned check (see screening/learned.py). Relative `model` and `training_data`
    paths are relative to `base_dir`, the directory of the policy file that names them.
    Screening reads only `model`, `enabled` and `explain_words`; the rest says how
    `parley moderation train` builds the model file."""

    enabled: bool
    training_data: tuple[str, ...]
    random_state: int
    c: float
    explain_words: int
    base_dir: Path
    char_ngrams: tuple[int, int] = (2, 6)  # character n-gram lengths, within word boundaries
    char_min_df: int = 1  # a character n-gram is a feature if this many training comments have it
    model: str = "model/learned.json.gz"  # the shipped model file
    corpora: tuple[str, ...] = ()  # folders of ../shared/corpora whose train part is training data
    corpus_weight: float = 1.0  # weight of one corpus comment beside one of training_data
    word_min_df: int = 1  # a word feature is kept if this many training comments have it

    def path(self, entry: str) -> Path:
        return Path(entry) if Path(entry).is_absolute() else self.base_dir / entry


@dataclass(frozen=True)
class Policy:
    version: str
    categories: dict[Category, Thresholds]
    format: FormatSettings
    spam: SpamSettings
    words: WordSettings
    attacks: AttackSettings
    min_quote_words: int
    toxicity_explain_words: int
    toxicity_min_vocabulary_share: float
    history_window_seconds: float
    history_rejections_to_hold: int
    history_score: float
    learned: LearnedSettings
    # 2024.06-8: a passage in double quotation marks attributed to someone in the story
    # ("the foreman's text message, \"...\"") is reported speech, not the commenter's words
    reported_speakers: tuple[str, ...] = ()
    reported_verbs: tuple[str, ...] = ()
    endorsing_words: tuple[str, ...] = ()


def load_policy(path: Path | None = None) -> Policy:
    """Read the policy at `path`, or the one shipped beside this package."""
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"cannot read policy file {path}: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"policy file {path} is not valid TOML: {error}") from error
    return policy_from_dict(data, base_dir=path.resolve().parent)


def policy_from_dict(data: dict[str, Any], base_dir: Path = DEFAULT_POLICY_PATH.parent) -> Policy:
    """`base_dir`: where relative paths in the policy point from (the policy file's directory)."""
    root = _Table(data, "")
    categories = root.table("categories")
    thresholds = {}
    for name in categories.keys():
        ladder = categories.table(name)
        thresholds[_category(name, categories.where(name))] = Thresholds(
            **{key: ladder.number(key, math.inf) for key in ("reject", "hold", "doubt")}
        )
    missing = set(Category) - set(thresholds)
    if missing:
        raise PolicyError(f"categories: no thresholds for {sorted(missing)}")
    context, toxicity, history = root.table("context"), root.table("toxicity"), root.table("history")
    return Policy(
        version=root.string("version"),
        categories=thresholds,
        format=_format(root.table("format")),
        spam=_spam(root.table("spam")),
        words=_words(root.table("words")),
        attacks=_attacks(root.table("attacks")),
        min_quote_words=int(context.number("min_quote_words")),
        toxicity_explain_words=int(toxicity.number("explain_words")),
        toxicity_min_vocabulary_share=toxicity.number("min_vocabulary_share"),
        history_window_seconds=history.number("window_seconds"),
        history_rejections_to_hold=int(history.number("rejections_to_hold")),
        history_score=history.number("score"),
        learned=_learned(root.table("learned"), base_dir),
        reported_speakers=context.strings("reported_speakers", ()),
        reported_verbs=context.strings("reported_verbs", ()),
        endorsing_words=context.strings("endorsing_words", ()),
    )


def _learned(table: _Table, base_dir: Path) -> LearnedSettings:
    return LearnedSettings(
        base_dir=base_dir,
        enabled=table.boolean("enabled"),
        training_data=table.strings("training_data"),
        random_state=int(table.number("random_state")),
        c=table.number("c"),
        explain_words=int(table.number("explain_words")),
        char_ngrams=_char_ngrams(table),
        char_min_df=_positive_int(table, "char_min_df", 1),
        word_min_df=_positive_int(table, "word_min_df", 1),
        model=table.string("model"),
        corpora=table.strings("corpora", ()),
        corpus_weight=table.number("corpus_weight", 1.0),
    )


def _positive_int(table: _Table, key: str, default: int) -> int:
    value = table.number(key, default)
    if value < 1 or value != int(value):
        raise PolicyError(f"{table.where(key)}: expected a whole number >= 1")
    return int(value)


def _char_ngrams(table: _Table) -> tuple[int, int]:
    value = table._get("char_ngrams", [2, 6])
    if (not isinstance(value, list) or len(value) != 2 or not all(type(v) is int for v in value)
            or not 1 <= value[0] <= value[1]):
        raise PolicyError(f"{table.where('char_ngrams')}: expected [shortest, longest], 1 <= shortest <= longest")
    return value[0], value[1]


def _format(table: _Table) -> FormatSettings:
    fields = FormatSettings.__dataclass_fields__
    values = {name: table.number(name) for name in fields}
    return FormatSettings(**{
        name: int(value) if fields[name].type == "int" else value for name, value in values.items()
    })


def _spam(table: _Table) -> SpamSettings:
    duplicates = table.table("duplicates")
    return SpamSettings(
        unknown_link_score=table.number("unknown_link_score"),
        extra_link_score=table.number("extra_link_score"),
        risky_link_score=table.number("risky_link_score"),
        denied_link_score=table.number("denied_link_score"),
        email_score=table.number("email_score"),
        allowed_domains=table.strings("allowed_domains"),
        risky_domains=table.strings("risky_domains"),
        denied_domains=table.strings("denied_domains"),
        patterns=tuple(_pattern(item, with_category=False) for item in table.tables("patterns")),
        duplicate_window_seconds=duplicates.number("window_seconds"),
        duplicate_min_words=int(duplicates.number("min_words")),
        same_author_scores=tuple(duplicates.numbers("same_author_scores")),
        other_article_scores=tuple(duplicates.numbers("other_article_scores")),
    )


def _words(table: _Table) -> WordSettings:
    def lists(name: str) -> dict[Category, tuple[str, ...]]:
        sub = table.table(name)
        return {_category(key, sub.where(key)): sub.strings(key) for key in sub.keys()}

    return WordSettings(
        suspect_score=table.number("suspect_score"),
        mention_score=table.number("mention_score"),
        blocked=lists("blocked"),
        suspect=lists("suspect"),
    )


def _attacks(table: _Table) -> AttackSettings:
    lexicon, fragments = table.table("lexicon"), table.table("fragments")
    return AttackSettings(
        mention_factor=table.number("mention_factor"),
        negation_factor=table.number("negation_factor"),
        counter_factor=table.number("counter_factor", 1.0),
        denouncing=table.strings("denouncing", ()),
        hatred_of=table.strings("hatred_of", ()),
        negators=table.strings("negators"),
        distancing=table.strings("distancing"),
        lexicon={name: lexicon.strings(name) for name in lexicon.keys()},
        fragments={name: fragments.string(name) for name in fragments.keys()},
        patterns=tuple(_pattern(item, with_category=True) for item in table.tables("patterns")),
    )


def _pattern(table: _Table, *, with_category: bool) -> PatternSetting:
    category = Category.SPAM
    if with_category:
        category = _category(table.string("category"), table.where("category"))
    return PatternSetting(
        name=table.string("name"),
        message=table.string("message"),
        pattern=table.string("pattern"),
        score=table.number("score"),
        category=category,
        requires=table.requirement("requires"),
        scope=table.choice("scope", ("text", "sentence"), "text"),
    )


def _category(name: str, where: str) -> Category:
    try:
        return Category(name)
    except ValueError:
        raise PolicyError(f"{where}: unknown category {name!r}") from None


_MISSING = object()


class _Table:
    """A TOML table that reports the dotted key of anything wrong with it."""

    def __init__(self, data: Any, path: str):
        if not isinstance(data, dict):
            raise PolicyError(f"{path or 'policy'}: expected a table")
        self._data, self._path = data, path

    def where(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def keys(self) -> list[str]:
        return list(self._data)

    def _get(self, key: str, default: Any) -> Any:
        value = self._data.get(key, default)
        if value is _MISSING:
            raise PolicyError(f"{self.where(key)}: missing")
        return value

    def table(self, key: str) -> _Table:
        return _Table(self._get(key, _MISSING), self.where(key))

    def tables(self, key: str) -> list[_Table]:
        items = self._get(key, [])
        if not isinstance(items, list):
            raise PolicyError(f"{self.where(key)}: expected an array of tables")
        return [_Table(item, f"{self.where(key)}[{i}]") for i, item in enumerate(items)]

    def string(self, key: str) -> str:
        value = self._get(key, _MISSING)
        if not isinstance(value, str) or not value:
            raise PolicyError(f"{self.where(key)}: expected a non-empty string")
        return value

    def strings(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self._get(key, default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise PolicyError(f"{self.where(key)}: expected a list of non-empty strings")
        return tuple(value)

    def boolean(self, key: str) -> bool:
        value = self._get(key, _MISSING)
        if not isinstance(value, bool):
            raise PolicyError(f"{self.where(key)}: expected true or false")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self._get(key, default)
        if value not in allowed:
            raise PolicyError(f"{self.where(key)}: expected one of {list(allowed)}")
        return value

    def requirement(self, key: str) -> tuple[tuple[str, ...], ...]:
        """["a", "b"] (any of) or [["a", "b"], ["c"]] (any of each group)."""
        value = self._get(key, [])
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            return tuple(_Table({key: group}, self._path).strings(key) for group in value)
        return (self.strings(key, ()),) if value else ()

    def number(self, key: str, default: Any = _MISSING) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise PolicyError(f"{self.where(key)}: expected a number >= 0")
        return float(value)

    def numbers(self, key: str) -> list[float]:
        value = self._get(key, _MISSING)
        if not isinstance(value, list) or not value:
            raise PolicyError(f"{self.where(key)}: expected a non-empty list of numbers")
        return [_Table({"item": v}, self.where(key)).number("item") for v in value]
