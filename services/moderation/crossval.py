"""Cross-validation of the learned check on its own training sets (not a test).

    python -m services.moderation.crossval [--folds 5] [--seed 0] [--c 10]
        [--char-ngrams 2 6] [--char-min-df 1]

The model options override policy.toml's `[learned]` settings, to compare models
the same way the thresholds are chosen.

The learned model is trained on the labelled sets named in policy.toml, so figures
on those sets are not figures on unseen text. Its thresholds are chosen here instead:
stratified k-fold over all the training examples; each fold's model scores the
examples it did not see, and those out-of-fold probabilities are combined with the
rule checks' verdicts (the pipeline without the learned check, each set screened as
`parley moderate` would). The table gives, per threshold, what the whole pipeline
would have done. The rule verdicts on these sets are themselves tuning figures (the
rules were written from them), so the uncivil column is optimistic; the civil-held
column is what the threshold is chosen from. At the chosen thresholds the figures
are also given per training set: fresh.jsonl was never tuned on by the rules (it
was written blind and measured once before it became training data), so its
uncivil column is the least optimistic one. fresh2.jsonl was also written blind and
measured once, but the 2024.06-7 rules were written from its misses, so its uncivil
column is a tuning figure like eval's; so is fresh3.jsonl's since 2024.06-8, and fresh4.jsonl's
since 2024.06-9.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence

import numpy as np

from services.moderation.screening import (
    InMemoryAuthorHistory,
    InMemoryRecentTexts,
    ModerationMode,
    Screener,
    Submission,
    load_policy,
)
from services.moderation.screening.learned import (
    LearnedModel,
    load_training_set,
)
from services.moderation.screening.policy import Policy

THRESHOLDS = [round(t / 100, 2) for t in range(30, 100)]
PRE_CIVIL_HELD_MAX = 8.0  # % of civil held in pre-moderation, rules and model together (bar: 10%)
POST_CIVIL_HELD_MAX = 1.0  # % of civil held in post-moderation: only very confident scores


def rule_decisions(policy: Policy, mode: ModerationMode) -> list[str]:
    """The pipeline's decision for every training example with the learned check off."""
    rules_only = dataclasses.replace(policy, learned=dataclasses.replace(policy.learned, enabled=False))
    decisions = []
    for entry in policy.learned.training_data:
        screener = Screener(rules_only, InMemoryAuthorHistory(), InMemoryRecentTexts())
        items = [json.loads(line) for line in policy.learned.path(entry).read_text(encoding="utf-8").splitlines()
                 if line.strip()]
        verdicts = screener.screen_batch([
            Submission(id=str(i["id"]), text=i["text"], article_body=i.get("article_body"), mode=mode)
            for i in items
        ])
        decisions += [str(v.decision) for v in verdicts]
    return decisions


def out_of_fold(policy: Policy, texts: Sequence[str], labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    probabilities = np.zeros(len(texts))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        model = LearnedModel.fit([texts[i] for i in train], labels[train], policy.learned)
        probabilities[test] = model.probabilities([texts[i] for i in test])
    return probabilities


def combine(rules: Sequence[str], probabilities: np.ndarray, threshold: float) -> list[str]:
    return ["reject" if r == "reject" else "hold" if r == "hold" or p >= threshold else "approve"
            for r, p in zip(rules, probabilities, strict=True)]


def figures(decisions: Sequence[str], labels: np.ndarray) -> dict:
    civil, uncivil = int((labels == 0).sum()), int((labels == 1).sum())
    count = lambda label, d: sum(1 for x, y in zip(labels, decisions) if x == label and y == d)
    return {
        "civil_held": count(0, "hold"), "civil_rejected": count(0, "reject"),
        "uncivil_approved": count(1, "approve"), "civil": civil, "uncivil": uncivil,
        "civil_held_pct": round(100 * count(0, "hold") / civil, 1),
        "uncivil_approved_pct": round(100 * count(1, "approve") / uncivil, 1),
    }


def run(folds: int = 5, seed: int | None = None, c: float | None = None,
        char_ngrams: tuple[int, int] | None = None, char_min_df: int | None = None) -> dict:
    policy = load_policy()
    seed = policy.learned.random_state if seed is None else seed
    overrides = {k: v for k, v in (("c", c), ("char_ngrams", char_ngrams), ("char_min_df", char_min_df))
                 if v is not None}
    policy = dataclasses.replace(policy, learned=dataclasses.replace(policy.learned, **overrides))
    training = load_training_set(policy)
    labels = np.asarray(training.labels)
    probabilities = out_of_fold(policy, training.texts, labels, folds, seed)
    from sklearn.metrics import log_loss, roc_auc_score

    report = {
        "folds": folds, "seed": seed, "c": policy.learned.c, "char_ngrams": list(policy.learned.char_ngrams),
        "char_min_df": policy.learned.char_min_df, "examples": len(labels),
        "model_alone": {"roc_auc": round(float(roc_auc_score(labels, probabilities)), 4),
                        "log_loss": round(float(log_loss(labels, probabilities)), 4)},
        "pre": {}, "post": {},
    }
    sources = np.asarray(training.sources)
    rules_by_mode = {}
    for mode in (ModerationMode.PRE, ModerationMode.POST):
        rules = rules_by_mode[mode] = rule_decisions(policy, mode)
        report[str(mode)]["rules_only"] = figures(rules, labels)
        for threshold in THRESHOLDS:
            report[str(mode)][f"{threshold:.2f}"] = figures(combine(rules, probabilities, threshold), labels)
    report["chosen"] = {
        "doubt (pre)": _lowest(report["pre"], PRE_CIVIL_HELD_MAX),
        "hold (post)": _lowest(report["post"], POST_CIVIL_HELD_MAX),
    }
    report["by_set"] = {}
    for (key, name), mode in zip(report["chosen"].items(), (ModerationMode.PRE, ModerationMode.POST)):
        if name is not None:
            decisions = np.asarray(combine(rules_by_mode[mode], probabilities, float(name)))
            report["by_set"][f"{mode} at {name}"] = {
                entry: figures(list(decisions[sources == entry]), labels[sources == entry])
                for entry in policy.learned.training_data
            }
            above = probabilities >= float(name)
            report["model_alone"][f"at {key} {name}"] = {
                "uncivil_above_pct": round(100 * float(above[labels == 1].mean()), 1),
                "civil_above_pct": round(100 * float(above[labels == 0].mean()), 1),
            }
    return report


def _lowest(table: dict, civil_held_max: float) -> str | None:
    """The lowest threshold whose civil-held share is within the budget."""
    return next((name for name in table if name != "rules_only" and table[name]["civil_held_pct"] <= civil_held_max),
                None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None, help="fold shuffling (default: [learned].random_state)")
    parser.add_argument("--c", type=float, default=None)
    parser.add_argument("--char-ngrams", type=int, nargs=2, default=None, metavar=("SHORTEST", "LONGEST"))
    parser.add_argument("--char-min-df", type=int, default=None)
    args = parser.parse_args()
    report = run(args.folds, args.seed, args.c, tuple(args.char_ngrams) if args.char_ngrams else None,
                 args.char_min_df)
    print(json.dumps({k: v for k, v in report.items() if k not in ("pre", "post", "by_set")}))
    shown = {"rules_only", *report["chosen"].values()} | {f"{t / 100:.2f}" for t in range(30, 100, 5)}
    for mode in ("pre", "post"):
        print(f"{mode}: threshold  civil held  civil rejected  uncivil approved")
        for name, f in report[mode].items():
            if name not in shown:
                continue
            print(f"  {name:>10}  {f['civil_held']:3d} ({f['civil_held_pct']:4.1f}%)  {f['civil_rejected']:3d}"
                  f"  {f['uncivil_approved']:3d} ({f['uncivil_approved_pct']:4.1f}%)")
    for name, table in report["by_set"].items():
        print(f"by set, {name}: civil held, civil rejected, uncivil approved")
        for entry, f in table.items():
            print(f"  {entry:>24}  {f['civil_held']:3d}/{f['civil']} ({f['civil_held_pct']:4.1f}%)"
                  f"  {f['civil_rejected']:3d}  {f['uncivil_approved']:3d}/{f['uncivil']} ({f['uncivil_approved_pct']:4.1f}%)")


if __name__ == "__main__":
    main()
