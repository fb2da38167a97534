"""The quality bar from issue 3, measured by running the real CLI on our labelled sets.

eval.jsonl is the tuning set. holdout.jsonl and blind.jsonl were never used for
tuning: holdout was written by someone else after the 2024.06-2 round, blind was
written (and frozen) before the 2024.06-3 round, whose rules were guided by eval
only (see POLICY.md, "Evaluation figures"). All are screened in pre-moderation mode,
the strict one. On the unseen sets the bars are regression guards at the measured
level plus a few points; the issue's own bar is asserted where it is met and kept
as a strict xfail where it is not, so closing the gap turns that xfail into a failure
that asks for a plain test.
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


def test_blind_set_is_balanced_and_covers_every_category():
    items = [json.loads(line) for line in (DATA / "blind.jsonl").read_text(encoding="utf-8").splitlines()]
    labels = Counter(item["label"] for item in items)
    assert labels == {"civil": 60, "uncivil": 60}
    uncivil_categories = {item["category"] for item in items if item["label"] == "uncivil"}
    assert {"discrimination", "prejudice", "racism", "xenophobia", "dehumanisation", "personal_attack",
            "profanity", "threat", "harassment", "spam"} <= uncivil_categories
    assert len({item["id"] for item in items}) == len(items)


# measured with policy 2024.06-3: holdout 3/26 (11.5%), blind 3/60 (5.0%) uncivil approved
UNSEEN_GUARDS = {"holdout.jsonl": 0.15, "blind.jsonl": 0.08}


@pytest.mark.parametrize("name", sorted(UNSEEN_GUARDS))
def test_unseen_set_does_not_regress(name):
    """Not tuned on, so this catches regressions; the guard is the measured share of
    uncivil comments auto-approved plus a few points, not the issue's bar."""
    counts, civil, uncivil = confusion(name)
    assert counts["civil", "reject"] == 0
    assert counts["civil", "hold"] <= 0.10 * civil
    assert counts["uncivil", "approve"] <= UNSEEN_GUARDS[name] * uncivil


@pytest.mark.parametrize("name", [
    pytest.param("holdout.jsonl", marks=pytest.mark.xfail(
        strict=True, reason="known gap: 11.5% of unseen uncivil comments auto-approved (see POLICY.md)")),
    "blind.jsonl",
])
def test_unseen_set_meets_the_issue_bar(name):
    counts, civil, uncivil = confusion(name)
    assert counts["uncivil", "approve"] <= 0.05 * uncivil
    assert counts["civil", "reject"] == 0
    assert counts["civil", "hold"] <= 0.10 * civil
