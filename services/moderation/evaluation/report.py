"""`parley moderation eval`: screen each test set and print its tables.

Every set is screened in pre-moderation (the strict mode, the one the issue's figures are
for), each comment on its own: no author history and no repeat detection, since a suite
that writes one sentence for twelve groups would otherwise be caught as a spammer.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..screening import ModerationMode, Screener, Submission
from . import corpora, suite
from .metrics import Scored, auc, bias, identities_of

_ROOT = Path(__file__).resolve().parents[3]
BLIND_SETS = (_ROOT / "tests" / "data" / "moderation" / "fresh6.jsonl",)
HATEFUL_CATEGORIES = {"discrimination", "prejudice", "racism", "xenophobia", "dehumanisation"}


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    truth: str  # the row of the outcome table: civil, profane, hateful, uncivil, ...
    uncivil: bool
    hateful: bool  # counts towards "hateful auto-approved"
    civil: bool  # counts towards "civil approved" (no hate, no profanity)
    identities: frozenset[str]
    functionality: str | None = None


@dataclass
class TestSet:
    name: str
    items: list[Item]
    note: str = ""


@dataclass
class Result:
    test_set: TestSet
    scored: list[Scored]
    decisions: list[str]
    policy_version: str
    flips: list[tuple[Item, str, str]] = field(default_factory=list)


def davidson_set(part: corpora.Part, limit: int | None = None) -> TestSet | None:
    root = corpora.corpus_dir()
    if root is None:
        return None
    rows = [r for r in corpora.davidson(root) if r.part is part]
    if limit is not None:
        rows = _stratified_slice(rows, limit, key=lambda r: (r.truth.value, r.agreement))
    items = [Item(id=f"davidson-{r.id}", text=r.text, truth=r.truth.value, uncivil=r.truth is not corpora.Truth.CIVIL,
                  hateful=r.truth is corpora.Truth.HATEFUL, civil=r.truth is corpora.Truth.CIVIL,
                  identities=identities_of(r.text), functionality=f"{r.truth.value}/{r.agreement}")
             for r in rows]
    return TestSet(f"davidson-{part.value}", items,
                   "Davidson et al. 2017, cleaned tweets; rows: majority class; functionality: class/agreement")


def suite_set(split: suite.Split, limit: int | None = None) -> TestSet:
    cases = suite.load(split)
    if limit is not None:
        cases = _stratified_slice(cases, limit, key=lambda c: c.functionality)
    items = [Item(id=c.id, text=c.text,
                  truth=("hateful" if c.hateful else c.label) + (" (profane)" if c.profane else ""),
                  uncivil=c.label == "uncivil", hateful=c.hateful and not c.profane,
                  civil=c.label == "civil" and not c.profane,
                  identities=frozenset([c.target]) if c.target else frozenset(), functionality=c.functionality)
             for c in cases]
    return TestSet(f"functional-{split.value}", items, "Parley's functional suite (suite.py); templates x 12 groups")


def jsonl_set(path: Path) -> TestSet:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        uncivil = row["label"] == "uncivil"
        category = row.get("category") or ""
        items.append(Item(id=str(row["id"]), text=row["text"], truth=row["label"], uncivil=uncivil,
                          hateful=uncivil and category in HATEFUL_CATEGORIES,
                          civil=not uncivil, identities=identities_of(row["text"]),
                          functionality=category or None))
    return TestSet(path.stem, items, f"{path.name}: written for Parley, never trained or tuned on")


def own_sets(policy) -> list[tuple[Item, str | None]]:
    """The project's labelled sets that the model trains on, with each comment's article
    (for the quote check), in training order."""
    out = []
    for entry in policy.learned.training_data:
        for line in policy.learned.path(entry).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                uncivil = row["label"] == "uncivil"
                out.append((Item(id=str(row["id"]), text=row["text"], truth=row["label"], uncivil=uncivil,
                                 hateful=uncivil, civil=not uncivil, identities=identities_of(row["text"])),
                            row.get("article_body")))
    return out


def _stratified_slice(rows: list, limit: int, key) -> list:
    """Every n-th row of each stratum, so a small slice keeps the set's proportions."""
    if len(rows) <= limit:
        return rows
    step = len(rows) / limit
    by: dict = defaultdict(list)
    for row in rows:
        by[key(row)].append(row)
    out = []
    for group in by.values():
        take = max(1, round(len(group) / step))
        out.extend(group[round(i * len(group) / take)] for i in range(take))
    return out


def test_sets(limit: int | None = None, tuning: bool = False) -> list[TestSet]:
    """The reported sets: (a) the corpus's test part, (b) the suite's test half, (c) the
    blind sets. With `tuning`, the parts tuned on instead (dev, tune), for the engineer."""
    sets: list[TestSet | None] = []
    if tuning:
        sets += [davidson_set(corpora.Part.DEV, limit), suite_set(suite.Split.TUNE, limit)]
    else:
        sets += [davidson_set(corpora.Part.TEST, limit), suite_set(suite.Split.TEST, limit)]
        sets += [jsonl_set(p) for p in BLIND_SETS if p.exists()]
    return [s for s in sets if s is not None]


class _Forgetful:
    """Author history and recent texts that remember nothing: each comment on its own."""

    def recent_rejections(self, author_key, since):
        return 0

    def record_verdict(self, author_key, decision, at):
        pass

    def matches(self, fingerprint, since):
        return []

    def record(self, fingerprint, posting):
        pass


def screener_for(policy, learned=None) -> Screener:
    forgetful = _Forgetful()
    return Screener(policy, forgetful, forgetful, learned=learned)


def run(screener: Screener, test_set: TestSet, batch_size: int = 256) -> Result:
    decisions, scored = [], []
    items = test_set.items
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        verdicts = screener.screen_batch([Submission(id=i.id, text=i.text, mode=ModerationMode.PRE) for i in batch])
        for item, verdict in zip(batch, verdicts, strict=True):
            decision = str(verdict.decision)
            decisions.append(decision)
            scored.append(Scored(uncivil=item.uncivil, decision=decision, score=verdict.scores.get("learned", 0.0),
                                 identities=item.identities, functionality=item.functionality))
    return Result(test_set, scored, decisions, screener.version)


def compare(before: Result, after: Result) -> None:
    after.flips = [(item, b, a) for item, b, a in zip(after.test_set.items, before.decisions, after.decisions,
                                                      strict=True) if b != a]


# ---------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Headline:
    hateful: int
    hateful_approved: int
    civil: int
    civil_approved: int
    civil_rejected: int
    auc: float | None

    @property
    def hateful_approved_rate(self) -> float | None:
        return self.hateful_approved / self.hateful if self.hateful else None

    @property
    def civil_approved_rate(self) -> float | None:
        return self.civil_approved / self.civil if self.civil else None


def headline(result: Result) -> Headline:
    pairs = list(zip(result.test_set.items, result.decisions, strict=True))
    return Headline(
        hateful=sum(i.hateful for i, _ in pairs),
        hateful_approved=sum(i.hateful and d == "approve" for i, d in pairs),
        civil=sum(i.civil for i, _ in pairs),
        civil_approved=sum(i.civil and d == "approve" for i, d in pairs),
        civil_rejected=sum(i.civil and d == "reject" for i, d in pairs),
        auc=auc([s.score for s in result.scored], [s.uncivil for s in result.scored]),
    )


def functionality_rates(result: Result) -> dict[str, tuple[int, int]]:
    """functionality -> (passed, cases): uncivil passes when not approved, civil when approved."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item, decision in zip(result.test_set.items, result.decisions, strict=True):
        row = out[item.functionality or "-"]
        row[0] += (decision != "approve") if item.uncivil else (decision == "approve")
        row[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(result: Result, before: Result | None = None) -> str:
    """The tables of one set, as Markdown (readable on a terminal and pasted into POLICY.md)."""
    test_set, lines = result.test_set, []
    lines.append(f"### {test_set.name} ({len(test_set.items)} comments; {result.policy_version})")
    if test_set.note:
        lines.append(f"_{test_set.note}_")
    lines += ["", "| truth | comments | approved | held | rejected |", "|---|---|---|---|---|"]
    counts: Counter = Counter()
    for item, decision in zip(test_set.items, result.decisions, strict=True):
        counts[item.truth, decision] += 1
    for truth in sorted({t for t, _ in counts}):
        total = sum(n for (t, _), n in counts.items() if t == truth)
        cells = [f"{counts[truth, d]} ({100 * counts[truth, d] / total:.1f}%)" for d in ("approve", "hold", "reject")]
        lines.append(f"| {truth} | {total} | " + " | ".join(cells) + " |")
    h = headline(result)
    lines += ["", f"Hateful auto-approved: {h.hateful_approved}/{h.hateful} ({_pct(h.hateful_approved_rate)}); "
              f"civil approved: {h.civil_approved}/{h.civil} ({_pct(h.civil_approved_rate)}), "
              f"civil rejected: {h.civil_rejected}; ROC AUC of the learned score: {_num(h.auc)}"]
    if before is not None:
        b = headline(before)
        lines.append(f"Before ({before.policy_version}): hateful auto-approved {_pct(b.hateful_approved_rate)}, "
                     f"civil approved {_pct(b.civil_approved_rate)}, civil rejected {b.civil_rejected}, "
                     f"AUC {_num(b.auc)}; verdicts that changed: {len(result.flips)}")
    rates = functionality_rates(result)
    old = functionality_rates(before) if before is not None else {}
    lines += ["", "| functionality | passed | rate |" + (" before |" if before else ""),
              "|---|---|---|" + ("---|" if before else "")]
    for name, (passed, total) in rates.items():
        row = f"| {name} | {passed}/{total} | {100 * passed / total:.1f}% |"
        if before is not None and name in old:
            row += f" {100 * old[name][0] / old[name][1]:.1f}% |"
        lines.append(row)
    background, rows = bias(result.scored)
    if rows:
        lines += ["", f"Bias by identity term (false-positive rate of civil comments naming no group: "
                  f"{_pct(background)})", "",
                  "| term | civil | uncivil | FPR | subgroup AUC | BPSN AUC | BNSP AUC |",
                  "|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r.term} | {r.civil} | {r.uncivil} | {_pct(r.false_positive_rate)} | "
                         f"{_num(r.subgroup_auc)} | {_num(r.bpsn_auc)} | {_num(r.bnsp_auc)} |")
    return "\n".join(lines) + "\n"


def render_flips(result: Result, limit: int = 10) -> str:
    out = [f"Changed verdicts in {result.test_set.name}: {len(result.flips)}"]
    for item, before, after in result.flips[:limit]:
        out.append(f"  {before} -> {after} [{item.truth}] {item.text[:100]}")
    return "\n".join(out) + "\n"


def summary(results: Iterable[Result]) -> dict[str, dict]:
    """The headline figures of each set, for scripts and tests (`--json`)."""
    out = {}
    for result in results:
        h = headline(result)
        background, rows = bias(result.scored)
        out[result.test_set.name] = {
            "comments": len(result.test_set.items),
            "policy_version": result.policy_version,
            "hateful_approved_rate": h.hateful_approved_rate,
            "civil_approved_rate": h.civil_approved_rate,
            "civil_rejected": h.civil_rejected,
            "auc": h.auc,
            "functionalities": {k: p / n for k, (p, n) in functionality_rates(result).items()},
            "background_fpr": background,
            "fpr_by_term": {r.term: r.false_positive_rate for r in rows},
        }
    return out


def scored_for(results: Sequence[Result]) -> list[Scored]:
    return [s for r in results for s in r.scored]
