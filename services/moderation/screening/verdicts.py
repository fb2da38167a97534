"""What screening takes in and gives back: a submission in, a verdict with its reasons out.

Everything here is a frozen value object, so a verdict can be cached, compared in
tests and serialised without surprises. Offsets in a `Span` always point into the
text exactly as it was submitted, so the moderator queue can highlight them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Decision(enum.StrEnum):
    APPROVE = "approve"
    HOLD = "hold"
    REJECT = "reject"

    @property
    def severity(self) -> int:
        """Rank used when several checks disagree: the strictest decision wins."""
        return _SEVERITY[self]


_SEVERITY = {Decision.APPROVE: 0, Decision.HOLD: 1, Decision.REJECT: 2}


class ModerationMode(enum.StrEnum):
    """PRE: publish only what is confidently clean. POST: publish unless flagged."""

    PRE = "pre"
    POST = "post"


class Check(enum.StrEnum):
    """The checks, in the order the screener runs them (see POLICY.md)."""

    FORMAT = "format"
    SPAM = "spam"
    CONTEXT = "context"
    WORDS = "words"
    TOXICITY = "toxicity"
    ATTACKS = "attacks"
    LEARNED = "learned"
    HISTORY = "history"


class Category(enum.StrEnum):
    """What a finding is about; each category has its own thresholds in policy.toml."""

    FORMAT = "format"
    SPAM = "spam"
    PROFANITY = "profanity"
    TOXICITY = "toxicity"
    PERSONAL_ATTACK = "personal_attack"
    HARASSMENT = "harassment"
    THREAT = "threat"
    DEHUMANISATION = "dehumanisation"
    XENOPHOBIA = "xenophobia"
    DISCRIMINATION = "discrimination"
    LEARNED = "learned"
    AUTHOR_HISTORY = "author_history"


@dataclass(frozen=True)
class Submission:
    id: str
    text: str
    article_body: str | None = None
    author_key: str | None = None  # opaque (HMAC of the author's email); never the email
    article: str | None = None  # article slug, for the cross-article duplicate check
    mode: ModerationMode = ModerationMode.PRE
    submitted_at: float | None = None  # epoch seconds; None means "now"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Reason:
    check: Check
    category: Category
    message: str
    spans: tuple[Span, ...]
    score: float

    def to_dict(self) -> dict:
        return {
            "check": str(self.check),
            "category": str(self.category),
            "message": self.message,
            "score": round(self.score, 4),
            "spans": [span.to_dict() for span in self.spans],
        }


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reasons: tuple[Reason, ...]
    scores: dict[str, float]
    policy_version: str

    def to_dict(self) -> dict:
        return {
            "decision": str(self.decision),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "scores": {name: round(score, 4) for name, score in self.scores.items()},
            "policy_version": self.policy_version,
        }


def span_of(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])
