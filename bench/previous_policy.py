"""Screening: this policy beside the previous one, in the same run (issue 15).

The previous policy (2024.06-10) trained its model at start from the project's sets and has
no model file, so it cannot be loaded by today's code: it is run from its own commit, in a
temporary git worktree, with today's evaluation package copied in (it only uses the
screener's public interface). Both sides run the screening benchmark and the eval's headline
figures on the same test sets, one after the other, in this process's hour.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = "765a82c"  # the last commit of policy 2024.06-10
_CODE = ("import json; from services.moderation.benchmark import run; "
         "from services.moderation.evaluation import report; "
         "from services.moderation.screening import load_policy; "
         "s = report.screener_for(load_policy()); "
         "quality = report.summary([report.run(s, t) for t in report.test_sets()]); "
         "print(json.dumps({'speed': run(3000), 'quality': quality}))")


@contextmanager
def _worktree(ref: str):
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "previous"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), ref], check=True)
        try:
            evaluation = Path("services") / "moderation" / "evaluation"
            shutil.copytree(ROOT / evaluation, tree / evaluation, dirs_exist_ok=True)
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def _measure(tree: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    from services.moderation.evaluation import corpora

    if corpora.corpus_dir() is not None:
        env.setdefault("PARLEY_CORPORA", str(corpora.corpus_dir()))
    out = subprocess.run([sys.executable, "-c", _CODE], cwd=tree, env=env, capture_output=True, text=True,
                         timeout=1800, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(ref: str = PREVIOUS) -> dict:
    """{"previous": {...}, "current": {...}}: speed and quality of both, same sets, same run."""
    try:
        with _worktree(ref) as tree:
            previous = _measure(tree)
    except (subprocess.CalledProcessError, OSError) as error:  # a shallow clone lacks the commit
        previous = {"error": f"previous policy not measured: {error}"}
    return {"previous": previous, "current": _measure(ROOT)}


def _cell(key: str, value) -> str:
    if value is None:
        return "-"
    if key.endswith("rate"):
        return f"{100 * value:.1f}%"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown(result: dict) -> list[str]:
    lines = ["Screening, this policy beside the previous one (same run, same sets; quality on the test sets):", "",
             "| measure | previous | current |", "|---|---|---|"]
    previous, current = result.get("previous", {}), result["current"]
    if "error" in previous:
        lines.insert(1, previous["error"])
    for key in ("batch_comments_per_second", "batch_comments_per_second_2_processes", "single_p99_ms",
                "resident_memory_mb"):
        before, now = previous.get("speed", {}).get(key), current["speed"].get(key)
        lines.append(f"| {key} | {'-' if before is None else before} | {'-' if now is None else now} |")
    for name, figures in current["quality"].items():
        before = previous.get("quality", {}).get(name, {})
        for key in ("hateful_approved_rate", "civil_approved_rate", "civil_rejected", "auc"):
            lines.append(f"| {name}: {key} | {_cell(key, before.get(key))} | {_cell(key, figures.get(key))} |")
    return lines + [""]


if __name__ == "__main__":
    result = compare()
    print("\n".join(markdown(result)))
