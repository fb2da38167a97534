"""Spam: links and their domains, money/crypto/casino/dating patterns, repeated posting.

Each signal adds a weight; the spam score is their sum, capped at 1. One weak
signal ("crypto" in a comment about North Korea's hackers) stays below every
threshold; a link to an unknown domain plus "earn $500 a day" does not.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..document import Document
from ..policy import PatternSetting, PolicyError, SpamSettings
from ..stores import Posting, RecentTexts
from ..text import MIN_SHARED_BANDS, Fingerprint, fold, words_of
from ..verdicts import Category, Check, Reason, span_of

# bare "name.tld" counts as a link only for these (".in", ".it", ".me" are too often
# a missing space after a full stop); with http:// or www. any domain is a link
_TLDS = (
    "com|net|org|info|biz|io|xyz|top|club|online|site|website|shop|store|ru|cn|uk|pl|eu|"
    "click|link|live|vip|bet|casino|loan|app|tv|icu|buzz|ly|gov|edu|int|tk|ml|ga|cf|gq"
)
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+"
    r"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:TLDS)(?![\w-])(?:/[^\s<>\"')\]]*)?"
    r"|(?<!\w)[a-z0-9-]{2,}\s*(?:\(dot\)|\[dot\]|\s+dot\s+)\s*(?:TLDS)\b".replace("TLDS", _TLDS)
)
_MAYBE_LINK = re.compile(
    r"https?:|www\.|\((?:dot)\)|\[dot\]|\sdot\s|\.(?:TLDS)\b".replace("TLDS", _TLDS)
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HOST = re.compile(r"^(?:https?://)?([^/:?#\s]+)")


@dataclass(frozen=True)
class SpamRules:
    settings: SpamSettings
    patterns: tuple[tuple[PatternSetting, re.Pattern, tuple[frozenset[str], ...]], ...]


def compile_spam(settings: SpamSettings) -> SpamRules:
    compiled = []
    for pattern in settings.patterns:
        try:
            required = tuple(
                frozenset(w for word in group for w in words_of(fold(word))) for group in pattern.requires
            )
            compiled.append((pattern, re.compile(pattern.pattern), required))
        except re.error as error:
            raise PolicyError(f"spam.patterns {pattern.name!r}: {error}") from error
    return SpamRules(settings, tuple(compiled))


def check_spam(doc: Document, rules: SpamRules) -> list[Reason]:
    reasons = _link_reasons(doc, rules.settings)
    for pattern, regex, required in rules.patterns:
        if not doc.has_words(required):
            continue
        spans = [m.span() for m in regex.finditer(doc.folded) if m.end() > m.start()]
        if spans:
            reasons.append(_reason(doc, pattern.message, spans[:5], pattern.score))
    return reasons


def _link_reasons(doc: Document, settings: SpamSettings) -> list[Reason]:
    reasons, unknown = [], []
    emails = [m.span() for m in _EMAIL.finditer(doc.folded)] if "@" in doc.folded else []
    links = _LINK.finditer(doc.folded) if _MAYBE_LINK.search(doc.folded) else ()
    for match in links:
        if any(start <= match.start() < end for start, end in emails):
            continue
        host = _host(match.group())
        if _listed(host, settings.denied_domains):
            reasons.append(_reason(doc, f"Link to a blocked domain ({host})", [match.span()],
                                   settings.denied_link_score))
        elif _listed(host, settings.risky_domains):
            reasons.append(_reason(doc, f"Link through a shortener or spam-prone domain ({host})",
                                   [match.span()], settings.risky_link_score))
        elif not _listed(host, settings.allowed_domains):
            unknown.append(match.span())
    if unknown:
        score = settings.unknown_link_score + settings.extra_link_score * (len(unknown) - 1)
        reasons.append(_reason(doc, f"{len(unknown)} link(s) to domains not on the allowed list",
                               unknown[:10], score))
    if emails:
        reasons.append(_reason(doc, "Contains an email address", emails[:5], settings.email_score))
    return reasons


def _host(link: str) -> str:
    link = re.sub(r"\s*(?:\(dot\)|\[dot\]|\s+dot\s+)\s*", ".", link)
    match = _HOST.match(link)
    host = match.group(1) if match else link
    return host.removeprefix("www.").rstrip(".")


def _listed(host: str, domains: tuple[str, ...]) -> bool:
    """True if `host` is one of `domains` or under one; an entry starting with a
    dot (".gov") matches a whole top-level domain."""
    for domain in domains:
        if domain.startswith("."):
            if host.endswith(domain):
                return True
        elif host == domain or host.endswith("." + domain):
            return True
    return False


def duplicate_bands(doc: Document, settings: SpamSettings) -> tuple[str, ...]:
    """The band keys `check_duplicates` will look up for this document (none if it
    will not look)."""
    print_ = _fingerprint(doc, settings)
    return print_.bands if print_ is not None else ()


def _fingerprint(doc: Document, settings: SpamSettings) -> Fingerprint | None:
    if doc.submission.author_key is None and doc.submission.article is None:
        return None
    return doc.fingerprint(settings.duplicate_min_words)


def check_duplicates(doc: Document, recent: RecentTexts, settings: SpamSettings,
                     now: float) -> tuple[list[Reason], Posting | None, Fingerprint | None]:
    """Compare with recent postings; returns the reasons and what to record."""
    submission = doc.submission
    print_ = _fingerprint(doc, settings)
    if print_ is None:
        return [], None, None
    since = now - settings.duplicate_window_seconds
    found = [p for p in recent.matches(print_, since) if p.submission_id != submission.id]
    shared = Counter(p.submission_id for p in found)  # one entry per shared band
    earlier = list({p.submission_id: p for p in found
                    if shared[p.submission_id] >= MIN_SHARED_BANDS}.values())
    reasons = []
    if submission.author_key is not None:
        same_author = sum(1 for p in earlier if p.author_key == submission.author_key)
        if same_author:
            reasons.append(_reason(
                doc, f"Same or nearly the same text posted {same_author} time(s) before by this author",
                [(0, len(doc.text))], _ladder(settings.same_author_scores, same_author),
            ))
    if submission.article is not None:
        articles = {p.article for p in earlier if p.article not in (None, submission.article)}
        if articles:
            reasons.append(_reason(
                doc, f"Same or nearly the same text posted under {len(articles)} other article(s)",
                [(0, len(doc.text))], _ladder(settings.other_article_scores, len(articles)),
            ))
    posting = Posting(submission.id, submission.author_key, submission.article, now)
    return reasons, posting, print_


def _ladder(scores: tuple[float, ...], count: int) -> float:
    return scores[min(count, len(scores)) - 1]


def _reason(doc: Document, message: str, spans, score: float) -> Reason:
    return Reason(
        check=Check.SPAM,
        category=Category.SPAM,
        message=message,
        spans=tuple(span_of(doc.text, start, end) for start, end in spans),
        score=min(score, 1.0),
    )
