"""Building the shipped model file: `parley moderation train`.

The learned check's model is trained from three kinds of labelled text, each recorded in
the file's manifest with its row count and hash (POLICY.md lists their licences):

1. the project's own labelled sets (`[learned].training_data`), hard labels, weight 1;
2. the *train* part of each real corpus in `[learned].corpora` (never its dev or test
   part; see corpora.py), with the annotators' votes as soft labels: a comment that one
   annotator in three called uncivil counts as uncivil with weight 1/3 and as civil with
   weight 2/3, times `corpus_weight`;
3. moderators' decisions exported by `parley moderation export-decisions`, if given.

The same inputs always give the same bytes (liblinear with a fixed `random_state`, sorted
JSON, gzip without a timestamp), so CI can rebuild the file and compare it with the one
shipped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..screening import Policy, PolicyError, Submission
from ..screening.document import prepare
from ..screening.learned import LABELS, LearnedModel, ModelSettings, load_training_set, model_text
from . import corpora

LICENCES = {corpora.DAVIDSON: "MIT; Davidson, Warmsley, Macy and Weber, ICWSM 2017"}


@dataclass
class TrainingData:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)

    def add(self, text: str, label: int, weight: float) -> None:
        if weight > 0:
            self.texts.append(text)
            self.labels.append(label)
            self.weights.append(weight)


def model_settings(policy: Policy) -> ModelSettings:
    learned = policy.learned
    return ModelSettings(char_ngrams=learned.char_ngrams, char_min_df=learned.char_min_df,
                         word_min_df=learned.word_min_df, c=learned.c, random_state=learned.random_state)


def training_data(policy: Policy, corpus_root: Path | None, decisions: Path | None = None) -> TrainingData:
    """Everything the model learns from, in a fixed order. Raises PolicyError when the
    policy names a corpus and `corpus_root` is None: a model built without its corpora
    would be a different model under the same name."""
    data = TrainingData()
    own = load_training_set(policy)
    for text, label in zip(own.texts, own.labels, strict=True):
        data.add(text, label, 1.0)
    data.sources.append({"name": "training_data", "files": list(policy.learned.training_data),
                         "rows": len(own.texts), "sha256": own.sha256})
    for name in policy.learned.corpora:
        if corpus_root is None:
            raise PolicyError(f"learned.corpora: {name} is not available (set PARLEY_CORPORA or "
                              "put ../shared/corpora beside the checkout)")
        if name != corpora.DAVIDSON:
            raise PolicyError(f"learned.corpora: no reader for {name!r}")
        rows = [r for r in corpora.davidson(corpus_root) if r.part is corpora.Part.TRAIN]
        weight = policy.learned.corpus_weight
        for row in rows:
            text = model_text(prepare(Submission(id=row.id, text=row.text), policy))
            data.add(text, 1, weight * row.uncivil_share)
            data.add(text, 0, weight * (1.0 - row.uncivil_share))
        digest = hashlib.sha256((corpus_root / name / "labeled_data.csv").read_bytes()).hexdigest()
        data.sources.append({"name": name, "part": "train", "rows": len(rows), "sha256": digest,
                             "licence": LICENCES.get(name, "")})
    if decisions is not None:
        raw = decisions.read_bytes()
        count = 0
        for number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                label = LABELS[item["label"]]
                text = model_text(prepare(Submission(id=str(item["id"]), text=item["text"]), policy))
            except (ValueError, KeyError, TypeError) as error:
                raise PolicyError(f"decisions: {decisions.name} line {number}: {error!r}") from error
            data.add(text, label, 1.0)
            count += 1
        data.sources.append({"name": "moderator decisions", "rows": count,
                             "sha256": hashlib.sha256(raw).hexdigest()})
    return data


def build(policy: Policy, corpus_root: Path | None, decisions: Path | None = None) -> LearnedModel:
    data = training_data(policy, corpus_root, decisions)
    manifest = {"policy": policy.version, "sources": data.sources, "examples": len(data.texts)}
    return LearnedModel.fit(data.texts, data.labels, model_settings(policy),
                            identity_terms=policy.attacks.lexicon["groups"], weights=data.weights,
                            manifest=manifest)
