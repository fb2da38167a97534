"""Choosing the learned check's thresholds on the tuning parts only: `parley moderation tune`.

Three views, none of them a test set:

- the real corpus's *dev* part (never trained on);
- the functional suite's *tune* half;
- the project's own labelled sets, out of fold: the model is refit five times without a
  fifth of them (the corpus's train part always in), and each fifth is scored by the model
  that did not see it.

For each, the rules' verdicts (the pipeline with the learned check off) are combined with
the model's scores at each candidate `doubt`: a comment the rules approve is held when its
score reaches it. The table shows hateful (or uncivil) comments approved and civil ones
approved, per threshold; `doubt` is picked from it by the engineer, and the choice and its
reason go into POLICY.md. Model options can be overridden (`--set c=1`) to compare models
the same way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..screening import ModerationMode, Policy, Submission
from ..screening.document import prepare
from ..screening.learned import LearnedModel, load_training_set, model_text
from . import build, corpora, report
from .metrics import auc

THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


@dataclass(frozen=True)
class View:
    name: str
    rule_decisions: list[str]
    scores: list[float]
    bad: list[bool]  # counts towards "approved but should not be": hateful, or uncivil
    civil: list[bool]  # counts towards "civil approved"
    uncivil: list[bool]  # the truth the learned score's ROC AUC is measured against

    def at(self, threshold: float) -> tuple[float, float]:
        decisions = [d if d != "approve" or s < threshold else "hold"
                     for d, s in zip(self.rule_decisions, self.scores, strict=True)]
        bad = sum(b and d == "approve" for b, d in zip(self.bad, decisions, strict=True)) / max(1, sum(self.bad))
        civil = sum(c and d == "approve" for c, d in zip(self.civil, decisions, strict=True)) / max(1, sum(self.civil))
        return bad, civil


def _rules_only(policy: Policy) -> Policy:
    return dataclasses.replace(policy, learned=dataclasses.replace(policy.learned, enabled=False))


def views(policy: Policy, folds: int = 5) -> list[View]:
    model = build.build(policy, corpora.corpus_dir())
    rules = report.screener_for(_rules_only(policy))
    out = []
    for test_set in report.test_sets(tuning=True):
        result = report.run(rules, test_set)
        texts = [model_text(prepare(Submission(id=i.id, text=i.text), policy)) for i in test_set.items]
        out.append(View(test_set.name, result.decisions, model.probabilities(texts),
                        [i.hateful for i in test_set.items], [i.civil for i in test_set.items],
                        [i.uncivil for i in test_set.items]))
    out.append(_out_of_fold(policy, rules, folds))
    return out


def _out_of_fold(policy: Policy, rules, folds: int) -> View:
    data = build.training_data(policy, corpora.corpus_dir())
    own = load_training_set(policy)
    n = len(own.texts)  # the own sets come first in the training data, one row each
    fold = np.random.RandomState(policy.learned.random_state).randint(0, folds, size=n)
    scores = np.zeros(n)
    for k in range(folds):
        keep = [i for i in range(n) if fold[i] != k] + list(range(n, len(data.texts)))
        fitted = LearnedModel.fit([data.texts[i] for i in keep], [data.labels[i] for i in keep],
                                  build.model_settings(policy), policy.attacks.lexicon["groups"],
                                  [data.weights[i] for i in keep])
        held_out = [i for i in range(n) if fold[i] == k]
        scores[held_out] = fitted.probabilities([own.texts[i] for i in held_out])
    items = report.own_sets(policy)
    decisions = []
    for start in range(0, len(items), 256):
        batch = items[start:start + 256]
        decisions += [str(v.decision) for v in rules.screen_batch(
            [Submission(id=i.id, text=i.text, article_body=a, mode=ModerationMode.PRE) for i, a in batch])]
    labels = [i.uncivil for i, _ in items]
    return View("own sets, out of fold", decisions, list(scores), labels, [not u for u in labels], labels)


def render(all_views: list[View]) -> str:
    lines = ["| doubt | " + " | ".join(f"{v.name}: bad approved / civil approved" for v in all_views) + " |",
             "|---|" + "---|" * len(all_views)]
    lines.append("| rules alone | " + " | ".join(
        "{:.1f}% / {:.1f}%".format(*(100 * x for x in v.at(2.0))) for v in all_views) + " |")
    for threshold in THRESHOLDS:
        lines.append(f"| {threshold:.2f} | " + " | ".join(
            "{:.1f}% / {:.1f}%".format(*(100 * x for x in v.at(threshold))) for v in all_views) + " |")
    lines.append("")
    lines += [f"ROC AUC of the learned score, {v.name}: {auc(v.scores, v.uncivil):.3f}" for v in all_views]
    return "\n".join(lines) + "\n"
