"""`parley moderation eval` on a small slice of every test set, as `make test` runs it (issue 15).

The full run is `make eval`. Figures on a slice are noisy, so the guards here are loose:
they catch a broken pipeline or a model file that lost its training, not a point of quality.
"""

import json
import subprocess
import sys
from pathlib import Path

from services.moderation.evaluation import corpora

ROOT = Path(__file__).resolve().parents[3]


def run(*args):
    result = subprocess.run([sys.executable, "-m", "services.cli", "moderation", "eval", *args],
                            capture_output=True, cwd=ROOT, timeout=600, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_eval_reports_every_test_set_with_its_figures():
    figures = json.loads(run("--slice", "1000", "--json"))  # the whole suite, a fifth of the corpus part
    expected = {"functional-test", "fresh6"} | ({"davidson-test"} if corpora.corpus_dir() else set())
    assert set(figures) == expected
    for name, f in figures.items():
        assert f["policy_version"].startswith("2024.07-1+")
        assert 0 <= f["hateful_approved_rate"] <= 1 and 0 <= f["civil_approved_rate"] <= 1
        assert f["auc"] > 0.8, name  # the learned score ranks uncivil above civil
    suite = figures["functional-test"]
    assert set(suite["functionalities"]) >= {"positive_mention", "non_hate_negated", "counter_quote",
                                              "dehumanisation", "threat_direct", "hate_question"}
    # with group names masked, every group of the suite gets the same learned scores; the rules
    # still tell some apart, so the spread of false-positive rates stays small
    rates = [r for r in suite["fpr_by_term"].values() if r is not None]
    assert len(rates) == 12 and max(rates) - min(rates) <= 0.15


def test_eval_prints_tables_and_what_a_retrain_changes():
    model = ROOT / "services" / "moderation" / "model" / "learned.json.gz"
    out = run("--slice", "60", "--model", str(model))
    assert "### functional-test" in out and "| functionality | passed | rate | before |" in out
    assert "| term | civil | uncivil | FPR | subgroup AUC | BPSN AUC | BNSP AUC |" in out
    # the shipped model against itself: nothing flips
    assert "Changed verdicts in functional-test: 0" in out
