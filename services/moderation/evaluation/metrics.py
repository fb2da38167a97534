"""Quality figures: outcomes by truth, ROC AUC, and per-identity bias metrics.

The bias metrics are those of Borkan et al. (2019), "Nuanced Metrics for Measuring
Unintended Bias with Real Data for Text Classification", computed on the learned score:

- subgroup AUC: the comments that name the term only (can the score tell hate from civil
  among comments about this group?);
- BPSN (background positive, subgroup negative): uncivil comments naming no group against
  civil ones naming the term; low when naming the group pushes civil comments up;
- BNSP (background negative, subgroup positive): the reverse; low when hate about the group
  scores lower than other hate.

Beside them, the false-positive rate of the whole pipeline (civil comments not approved)
per term and for comments naming no group, which is what a reader feels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Identity terms looked for in real comments (the functional suite names its own target).
# Word stems: a comment names a term when one of its words starts with a stem.
IDENTITY_TERMS: dict[str, tuple[str, ...]] = {
    "women": ("woman", "women", "girl", "female", "lady", "ladies"),
    "gay": ("gay", "lesbian", "homosexual", "queer"),
    "trans": ("trans", "transgender", "tranny", "trannies"),
    "black": ("black", "african"),
    "white": ("white", "caucasian"),
    "asian": ("asian", "chinese", "korean", "japanese"),
    "hispanic": ("hispanic", "latino", "latina", "mexican"),
    "muslim": ("muslim", "islam", "arab"),
    "jewish": ("jew", "jewish"),
    "christian": ("christian", "catholic"),
    "immigrant": ("immigrant", "migrant", "refugee", "foreigner", "illegals"),
    "disabled": ("disabled", "disability", "retard", "autis"),
}
_WORD = re.compile(r"[a-z]+")


def identities_of(text: str) -> frozenset[str]:
    words = _WORD.findall(text.lower())
    return frozenset(term for term, stems in IDENTITY_TERMS.items()
                     if any(w.startswith(s) for w in words for s in stems))


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """ROC AUC by ranks (ties count half); None when one class is missing."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average = (i + 1 + j) / 2  # ranks i+1..j
        rank_sum += average * sum(flag for _, flag in ranked[i:j])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


@dataclass(frozen=True)
class Scored:
    """One screened comment: its truth, the verdict and the learned score."""

    uncivil: bool
    decision: str  # approve, hold, reject
    score: float
    identities: frozenset[str]
    functionality: str | None = None


@dataclass(frozen=True)
class BiasRow:
    term: str
    civil: int
    uncivil: int
    false_positive_rate: float | None  # civil naming the term, not approved
    subgroup_auc: float | None
    bpsn_auc: float | None
    bnsp_auc: float | None


def false_positive_rate(items: Iterable[Scored]) -> float | None:
    civil = [i for i in items if not i.uncivil]
    return sum(i.decision != "approve" for i in civil) / len(civil) if civil else None


def bias(items: Sequence[Scored]) -> tuple[float | None, list[BiasRow]]:
    """The false-positive rate of comments naming no group, and one row per term named."""
    background = [i for i in items if not i.identities]
    rows = []
    for term in sorted({t for i in items for t in i.identities}):
        sub = [i for i in items if term in i.identities]
        other = [i for i in items if term not in i.identities]

        def auc_of(group: list[Scored]) -> float | None:
            return auc([i.score for i in group], [i.uncivil for i in group])

        rows.append(BiasRow(
            term=term,
            civil=sum(not i.uncivil for i in sub),
            uncivil=sum(i.uncivil for i in sub),
            false_positive_rate=false_positive_rate(sub),
            subgroup_auc=auc_of(sub),
            bpsn_auc=auc_of([i for i in sub if not i.uncivil] + [i for i in other if i.uncivil]),
            bnsp_auc=auc_of([i for i in sub if i.uncivil] + [i for i in other if not i.uncivil]),
        ))
    return false_positive_rate(background), rows
