"""Author history: an author with recent rejections is held, not auto-approved."""

from __future__ import annotations

from ..document import Document
from ..policy import Policy
from ..stores import AuthorHistory
from ..verdicts import Category, Check, Reason


def check_history(doc: Document, history: AuthorHistory, policy: Policy, now: float) -> list[Reason]:
    author_key = doc.submission.author_key
    if author_key is None:
        return []
    since = now - policy.history_window_seconds
    rejections = history.recent_rejections(author_key, since)
    if rejections < policy.history_rejections_to_hold:
        return []
    days = policy.history_window_seconds / 86400
    return [Reason(
        check=Check.HISTORY,
        category=Category.AUTHOR_HISTORY,
        message=f"The author had {rejections} comment(s) rejected in the last {days:g} day(s)",
        spans=(),
        score=policy.history_score,
    )]
