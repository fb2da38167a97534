"""Learned: the probability of the model trained on our labelled sets, explained.

The model (screening/learned.py) is scored once per batch; this turns one comment's
probability into a reason whose message gives the probability and the threshold it
crossed, and whose spans are the words that added most to the score. Its category,
`learned`, has no reject threshold: the model can send a comment to a moderator,
never remove it.
"""

from __future__ import annotations

from ..document import Document
from ..learned import LearnedModel
from ..policy import Thresholds
from ..verdicts import Category, Check, ModerationMode, Reason, span_of


def check_learned(doc: Document, text: str, probability: float, model: LearnedModel,
                  thresholds: Thresholds, mode: ModerationMode, explain_words: int) -> list[Reason]:
    """`text` is the document's `model_text`, `probability` the model's score for it."""
    if not thresholds.is_notable(probability):
        return []
    if mode is ModerationMode.PRE:
        limit = f"threshold {min(thresholds.hold, thresholds.doubt):.2f}"
    else:  # listed from the pre-moderation threshold on, but acted on only from `hold`
        limit = f"post-moderation threshold {thresholds.hold:.2f}"
    spans = tuple(span_of(doc.text, start, end) for start, end in model.explain(text, explain_words))
    message = f"learned model: {probability:.2f} likely uncivil ({limit})"
    if spans:
        message += "; most weight on " + ", ".join(f'"{span.text}"' for span in spans)
    return [Reason(
        check=Check.LEARNED,
        category=Category.LEARNED,
        message=message,
        spans=spans,
        score=probability,
    )]
