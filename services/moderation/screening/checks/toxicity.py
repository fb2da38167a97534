"""Toxicity: the classifier's probability, with the words that drove it up.

The model only knows English. When fewer than `min_vocabulary_share` of a text's
content words are in its vocabulary, its probability is scaled down in proportion,
so a Dutch sentence containing "die" is not held as a death wish.
"""

from __future__ import annotations

from ..classifier import ToxicityClassifier
from ..document import Document
from ..policy import Thresholds
from ..verdicts import Category, Check, Reason, span_of


def check_toxicity(doc: Document, own_text: str, probability: float, classifier: ToxicityClassifier,
                   thresholds: Thresholds, explain_words: int,
                   min_vocabulary_share: float) -> tuple[list[Reason], float]:
    """The reasons, and the toxicity score after the vocabulary discount. `own_text` is
    what the classifier scored: the commenter's own words with identity terms masked
    (same length as the text, so its offsets are the submission's)."""
    note = ""
    if min_vocabulary_share > 0 and thresholds.is_notable(probability):
        share = classifier.vocabulary_share(own_text)
        if share < min_vocabulary_share:
            probability *= share / min_vocabulary_share
            note = f"; the model knows only {share:.0%} of the words, so it is discounted"
    if not thresholds.is_notable(probability):
        return [], probability
    spans = classifier.explain(own_text, explain_words)
    return [Reason(
        check=Check.TOXICITY,
        category=Category.TOXICITY,
        message=f"The classifier rates this as abusive or profane ({probability:.2f}{note})",
        spans=tuple(span_of(doc.text, start, end) for start, end in spans),
        score=probability,
    )], probability
