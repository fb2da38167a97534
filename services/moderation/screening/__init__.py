"""Offline screening of comments: a submission in, an explained verdict out.

    policy = load_policy()                       # or load_policy(Path(settings.MODERATION_POLICY_PATH))
    screener = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts())
    verdict = screener.screen(Submission(id="c1", text="...", article_body=body))
    verdict.decision, verdict.reasons, verdict.to_dict()

Nothing here touches the network; the classifier's model ships inside the
alt-profanity-check wheel and is loaded when a Screener is built, and the learned
check's model is trained from the labelled sets named in the policy when the first
Screener of the process is built (about a second; see learned.py). The checks, their
order and the policy file are described in services/moderation/POLICY.md.
"""

from .classifier import ProfanityCheckClassifier, ToxicityClassifier
from .learned import LearnedModel
from .policy import DEFAULT_POLICY_PATH, Policy, PolicyError, load_policy
from .screener import Screener
from .stores import AuthorHistory, InMemoryAuthorHistory, InMemoryRecentTexts, Posting, RecentTexts
from .text import Fingerprint
from .verdicts import (
    Category, Check, Decision, ModerationMode, Reason, Span, Submission, Verdict,
)

__all__ = [
    "AuthorHistory", "Category", "Check", "DEFAULT_POLICY_PATH", "Decision", "Fingerprint",
    "InMemoryAuthorHistory", "InMemoryRecentTexts", "LearnedModel", "ModerationMode", "Policy", "PolicyError",
    "Posting", "ProfanityCheckClassifier", "Reason", "RecentTexts", "Screener", "Span",
    "Submission", "ToxicityClassifier", "Verdict", "load_policy",
]
