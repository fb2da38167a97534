"""The screener: runs the checks in a fixed order and turns their findings into a verdict.

Order (documented in POLICY.md, and the order reasons appear in a verdict):
1. format   - empty (rejected at once, nothing else runs), too long, capitals, floods, repeats
2. spam     - links and domains, money/crypto/casino/dating patterns, repeated posting
3. context  - find passages quoting the article (used by 4-6, reports nothing itself)
4. words    - blocked and suspect lists, through obfuscation
5. toxicity - the offline classifier, on the commenter's own words only
6. attacks  - identity attacks, dehumanisation, xenophobia, threats, harassment, insults
7. learned  - a linear model trained on our labelled sets; holds, never rejects
8. history  - the author's recent rejections

Each finding has a category and a score in [0, 1]. A category's score is the
highest of its findings (spam: their sum, capped at 1, since spam signals add
up). The decision is the strictest that any category's thresholds give for its
score in the submission's mode (see `policy.Thresholds`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from .checks.attacks import check_attacks, compile_attacks
from .checks.format import check_format, is_empty
from .checks.history import check_history
from .checks.learned import check_learned
from .checks.spam import check_duplicates, check_spam, compile_spam, duplicate_bands
from .checks.toxicity import check_toxicity
from .checks.words import check_words, compile_words
from .classifier import ProfanityCheckClassifier, ToxicityClassifier
from .document import Document, prepare
from .learned import IdentityMask, LearnedModel, load_model, model_text
from .policy import Policy
from .stores import AuthorHistory, RecentTexts
from .verdicts import Category, Decision, ModerationMode, Reason, Submission, Verdict


class Screener:
    def __init__(self, policy: Policy, history: AuthorHistory, recent: RecentTexts,
                 classifier: ToxicityClassifier | None = None,
                 clock: Callable[[], float] = time.time,
                 learned: LearnedModel | None = None) -> None:
        """Compiles the policy's patterns (raising PolicyError if one is invalid) and,
        unless a classifier is given, loads the bundled model (about two seconds).
        Unless `learned` is given or `[learned]` is disabled, trains the learned model
        from the policy's training data (about a second, once per process)."""
        self.policy = policy
        self._history, self._recent, self._clock = history, recent, clock
        self._spam = compile_spam(policy.spam)
        self._words = compile_words(policy.words)
        self._attacks = compile_attacks(policy.attacks)
        self._classifier = classifier if classifier is not None else ProfanityCheckClassifier()
        # 2024.07-1: the profanity classifier learnt that "gay" is abuse ("I love gay people"
        # scored 0.83); it reads every group name as a word it does not know
        self._identity = IdentityMask(policy.attacks.lexicon.get("groups", ()))
        if learned is None and policy.learned.enabled:
            learned = load_model(policy)
        self._learned = learned
        # A verdict names the policy and, when a learned model took part, its training data
        self.version = policy.version if learned is None else f"{policy.version}+{learned.model_id}"

    def screen(self, submission: Submission) -> Verdict:
        return self.screen_batch([submission])[0]

    def screen_batch(self, items: Sequence[Submission]) -> list[Verdict]:
        """Screen in input order. The classifier and the learned model run once for
        the whole batch; the rest runs item by item so that repeats inside one batch
        are caught."""
        if not items:
            return []
        documents = [prepare(item, self.policy) for item in items]
        own_texts = [self._identity(doc.own_text()) if not is_empty(doc) else "" for doc in documents]
        probabilities = self._classifier.probabilities(own_texts)
        if self._learned is not None:
            texts = [model_text(doc) if not is_empty(doc) else "" for doc in documents]
            learned = self._learned.probabilities(texts)
        else:
            texts, learned = [""] * len(documents), [0.0] * len(documents)
        recent, history = self._recent, self._history
        if len(items) > 1:
            # shared stores read what the whole batch needs at once and write once at the end
            if hasattr(recent, "batch"):
                recent = recent.batch(band for doc in documents if not is_empty(doc)
                                      for band in duplicate_bands(doc, self.policy.spam))
            if hasattr(history, "batch"):
                history = history.batch(
                    {item.author_key for item in items if item.author_key is not None},
                    since=min(self._now(item) for item in items) - self.policy.history_window_seconds)
        verdicts = [self._judge(*item, recent, history)
                    for item in zip(documents, own_texts, probabilities, texts, learned, strict=True)]
        if recent is not self._recent:
            recent.flush()
        if history is not self._history:
            history.flush()
        return verdicts

    def _now(self, submission: Submission) -> float:
        return submission.submitted_at if submission.submitted_at is not None else self._clock()

    def _judge(self, doc: Document, own_text: str, probability: float, text: str, learned: float,
               recent: RecentTexts, history: AuthorHistory) -> Verdict:
        policy, submission = self.policy, doc.submission
        now = self._now(submission)
        reasons = check_format(doc, policy.format)
        record = None
        if not is_empty(doc):
            duplicates, posting, print_ = check_duplicates(doc, recent, policy.spam, now)
            record = (print_, posting) if posting is not None else None
            reasons += check_spam(doc, self._spam) + duplicates
            reasons += check_words(doc, self._words)
            toxicity, probability = check_toxicity(
                doc, own_text, probability, self._classifier, policy.categories[Category.TOXICITY],
                policy.toxicity_explain_words, policy.toxicity_min_vocabulary_share,
            )
            reasons += toxicity
            reasons += check_attacks(doc, self._attacks)
            if self._learned is not None:
                reasons += check_learned(doc, text, learned, self._learned,
                                         policy.categories[Category.LEARNED], submission.mode,
                                         policy.learned.explain_words)
        else:
            probability = learned = 0.0
        reasons += check_history(doc, history, policy, now)
        verdict = decide(reasons, policy, submission.mode, probability, learned, self.version)
        if record is not None:
            recent.record(*record)
        if submission.author_key is not None:
            history.record_verdict(submission.author_key, verdict.decision, now)
        return verdict


def decide(reasons: list[Reason], policy: Policy, mode: ModerationMode,
           probability: float, learned: float = 0.0, version: str | None = None) -> Verdict:
    scores = {category: 0.0 for category in Category}
    scores[Category.TOXICITY] = probability
    scores[Category.LEARNED] = learned
    for reason in reasons:
        if reason.category is Category.SPAM:
            scores[Category.SPAM] = min(1.0, scores[Category.SPAM] + reason.score)
        else:
            scores[reason.category] = max(scores[reason.category], reason.score)
    decision = Decision.APPROVE
    for category, score in scores.items():
        ruled = policy.categories[category].decide(score, mode)
        if ruled.severity > decision.severity:
            decision = ruled
    notable = tuple(
        reason for reason in reasons
        if policy.categories[reason.category].is_notable(scores[reason.category])
    )
    return Verdict(
        decision=decision,
        reasons=notable,
        scores={str(category): score for category, score in scores.items()},
        policy_version=version if version is not None else policy.version,
    )
