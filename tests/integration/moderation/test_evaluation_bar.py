"""The quality bar from issue 3, measured by running the real CLI on our labelled sets.

eval.jsonl was used to tune the policy; holdout.jsonl was written after the last
tuning round and never used for it, so its figures are the honest estimate of how
the policy does on comments it has not seen (see POLICY.md). Both are screened in
pre-moderation mode, the strict one.
"""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "moderation"
ROOT = Path(__file__).resolve().parents[3]


def confusion(name: str) -> tuple[Counter, int, int]:
    path = DATA / name
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = subprocess.run(
        [sys.executable, "-m", "services.moderation.cli", "--mode", "pre"],
        input=path.read_bytes(), capture_output=True, cwd=ROOT, timeout=300, check=True,
    )
    outputs = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(outputs) == len(items), "the CLI must answer every line"
    counts = Counter()
    for item, out in zip(items, outputs, strict=True):
        assert out["id"] == item["id"]
        counts[item["label"], out["verdict"]] += 1
        if (item["label"], out["verdict"]) in {("civil", "reject"), ("civil", "hold"), ("uncivil", "approve")}:
            print(f'{item["id"]} {item["label"]}/{item["category"]} -> {out["verdict"]}: {item["text"][:80]}')
    civil = sum(n for (label, _), n in counts.items() if label == "civil")
    uncivil = sum(n for (label, _), n in counts.items() if label == "uncivil")
    print(f"{name}: civil {civil} -> approve {counts['civil', 'approve']}, hold {counts['civil', 'hold']}, "
          f"reject {counts['civil', 'reject']}; uncivil {uncivil} -> approve {counts['uncivil', 'approve']}, "
          f"hold {counts['uncivil', 'hold']}, reject {counts['uncivil', 'reject']}")
    return counts, civil, uncivil


def test_evaluation_set_is_big_enough_and_covers_every_category():
    items = [json.loads(line) for line in (DATA / "eval.jsonl").read_text(encoding="utf-8").splitlines()]
    labels = Counter(item["label"] for item in items)
    assert len(items) >= 220 and labels["civil"] >= 130 and labels["uncivil"] >= 90
    uncivil_categories = {item["category"] for item in items if item["label"] == "uncivil"}
    assert {"discrimination", "prejudice", "racism", "xenophobia", "dehumanisation", "personal_attack",
            "profanity", "threat", "harassment", "spam"} <= uncivil_categories
    assert len({item["id"] for item in items}) == len(items)


def test_evaluation_set_meets_the_quality_bar():
    counts, civil, uncivil = confusion("eval.jsonl")
    assert counts["uncivil", "approve"] <= 0.05 * uncivil
    assert counts["civil", "reject"] == 0
    assert counts["civil", "hold"] <= 0.10 * civil


def test_holdout_set_does_not_regress():
    """holdout.jsonl was written after the last tuning round and never used for it.
    The bars here are what the policy achieved on it (see POLICY.md), so this test
    catches regressions; it does not prove the issue's bar on unseen comments."""
    counts, civil, uncivil = confusion("holdout.jsonl")
    assert counts["civil", "reject"] == 0
    assert counts["civil", "hold"] <= 0.10 * civil
    assert counts["uncivil", "approve"] <= 0.40 * uncivil


@pytest.mark.xfail(strict=True, reason="known gap: unseen uncivil phrasings slip past the lexicon "
                                       "(35% auto-approved on the holdout, see POLICY.md)")
def test_holdout_set_meets_the_issue_bar():
    counts, civil, uncivil = confusion("holdout.jsonl")
    assert counts["uncivil", "approve"] <= 0.05 * uncivil
    assert counts["civil", "reject"] == 0
    assert counts["civil", "hold"] <= 0.10 * civil
