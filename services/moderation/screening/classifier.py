"""The offline toxicity classifier, behind an interface so tests can count its calls.

alt-profanity-check ships a TF-IDF + linear SVM model trained on insults and
profanity. It is fast in batch (one sparse matrix product for the whole batch) and
needs no network, but it knows nothing about dehumanisation, xenophobia, threats or
spam, and some of its heaviest words ("kill", "hate", "racist", "slave", "hell")
are everyday words on a site about forced labour. So it only ever holds a comment
(see policy.toml, `categories.toxicity`); the lexicon checks do the rejecting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # the vectorizer's own token pattern
SMALL_BATCH = 32  # up to this many texts, scoring one by one beats the vectorizer's fixed cost


class ToxicityClassifier(Protocol):
    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """Probability that each text is abusive or profane, in input order."""
        ...

    def explain(self, text: str, limit: int) -> list[tuple[int, int]]:
        """Offsets of the words that pushed `text`'s score up most (may be empty)."""
        ...

    def vocabulary_share(self, text: str) -> float:
        """Share of the text's content words the model knows (1.0 when it cannot
        tell). A low share means the model is guessing, typically because the text
        is not in English: German "die" is not a death wish."""
        ...


class ProfanityCheckClassifier:
    """alt-profanity-check's model. Loading takes about two seconds, so it happens
    here, in the constructor, and never when the module is imported."""

    def __init__(self, min_weight: float = 1.0) -> None:
        from profanity_check import predict_prob
        from profanity_check import profanity_check as bundled

        self._predict_prob = predict_prob
        self._linear = _linear_form(bundled)
        self._weights = _word_weights(bundled, min_weight)
        try:
            self._vocabulary = bundled.vectorizer.vocabulary_
            self._stop_words = frozenset(bundled.vectorizer.get_stop_words() or ())
        except AttributeError:
            self._vocabulary, self._stop_words = None, frozenset()

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        if self._linear is not None:
            return self._linear(list(texts))
        return [float(p) for p in self._predict_prob(list(texts))]

    def explain(self, text: str, limit: int) -> list[tuple[int, int]]:
        scored = []
        for match in _TOKEN.finditer(text.lower()):
            weight = self._weights.get(match.group())
            if weight is not None:
                scored.append((weight, match.start(), match.end()))
        scored.sort(key=lambda item: -item[0])
        return sorted((start, end) for _, start, end in scored[:limit])


    def vocabulary_share(self, text: str) -> float:
        if self._vocabulary is None:
            return 1.0
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._stop_words]
        if len(words) < 3:
            return 1.0
        return sum(1 for w in words if w in self._vocabulary) / len(words)


def _linear_form(bundled):
    """The bundled model's own arithmetic without scikit-learn's per-call checks.

    The model is a calibrated ensemble of linear SVMs: each member's decision value
    ``x.w + c`` goes through its sigmoid ``1 / (1 + exp(a*d + b))`` and the members are
    averaged. One sparse product gives every member's decision at once. The results equal
    ``predict_prob``'s (a unit test compares them); the gain is the fixed cost per call,
    about 2 ms, which dominated when the worker screens a few comments at a time. Returns
    None (and ``predict_prob`` is used) if the fitted model does not have this shape."""
    try:
        import numpy as np

        members = bundled.model.calibrated_classifiers_
        if list(bundled.model.classes_) != [0, 1] or any(len(m.calibrators) != 1 for m in members):
            return None
        weights = np.vstack([m.estimator.coef_[0] for m in members]).T
        intercepts = np.array([m.estimator.intercept_[0] for m in members])
        a = np.array([m.calibrators[0].a_ for m in members])
        b = np.array([m.calibrators[0].b_ for m in members])
        vectorizer = bundled.vectorizer
        params = vectorizer.get_params()
        plain_words = (params["analyzer"] == "word" and params["ngram_range"] == (1, 1) and params["lowercase"]
                       and params["norm"] == "l2" and params["use_idf"] and not params["sublinear_tf"]
                       and not params["binary"] and params["preprocessor"] is None
                       and params["tokenizer"] is None and params["strip_accents"] is None)
        tokens = re.compile(params["token_pattern"]).findall
        # word -> (column, idf); stop words never reach the vocabulary, so none is here
        columns = {word: (i, float(vectorizer.idf_[i])) for word, i in vectorizer.vocabulary_.items()}
    except (AttributeError, IndexError, KeyError, TypeError):
        return None

    def one(text: str) -> float:
        """A single text without the vectorizer: the same TF x IDF, L2 norm and
        ensemble, for the worker's usual batch of one or a few comments."""
        counts: dict[str, int] = {}
        for token in tokens(text.lower()):
            if token in columns:
                counts[token] = counts.get(token, 0) + 1
        decisions = intercepts
        if counts:
            index = [columns[w][0] for w in counts]
            values = np.array([n * columns[w][1] for w, n in counts.items()])
            decisions = intercepts + (values / np.sqrt(values @ values)) @ weights[index]
        return float((1.0 / (1.0 + np.exp(a * decisions + b))).mean())

    def probabilities(texts: list[str]) -> list[float]:
        if plain_words and len(texts) <= SMALL_BATCH:
            return [one(t) for t in texts]
        decisions = np.asarray(vectorizer.transform(texts) @ weights) + intercepts
        return (1.0 / (1.0 + np.exp(a * decisions + b))).mean(axis=1).tolist()

    return probabilities


def _word_weights(bundled, min_weight: float) -> dict[str, float]:
    """Words whose averaged SVM weight is at least `min_weight`. Reads the fitted
    model's attributes, which are not a public API: if a release changes them we
    lose the highlighted words, not the scores."""
    try:
        import numpy as np

        weights = np.mean(
            [c.estimator.coef_[0] for c in bundled.model.calibrated_classifiers_], axis=0
        )
        vocabulary = bundled.vectorizer.vocabulary_
    except (AttributeError, IndexError, TypeError):
        return {}
    return {word: float(weights[i]) for word, i in vocabulary.items() if weights[i] >= min_weight}
