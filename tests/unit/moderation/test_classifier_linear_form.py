"""The fast path of the bundled classifier computes exactly what the package's predict_prob does."""
import json
from pathlib import Path

import pytest
from profanity_check import predict_prob

from services.moderation.screening.classifier import SMALL_BATCH, ProfanityCheckClassifier

DATA = Path(__file__).resolve().parents[3] / "services" / "moderation" / "training"


@pytest.fixture(scope="module")
def classifier():
    return ProfanityCheckClassifier()


def test_the_linear_form_is_in_use(classifier):
    assert classifier._linear is not None


def test_it_equals_predict_prob_on_every_labelled_comment(classifier):
    texts = [json.loads(line)["text"] for line in (DATA / "eval.jsonl").read_text(encoding="utf-8").splitlines()]
    texts += ["", "!!!", "f u c k", "Ceci n'est pas une insulte.", "x" * 10000]
    expected = predict_prob(texts)
    assert classifier.probabilities(texts) == pytest.approx(list(expected), abs=1e-12)
    # one at a time and in small batches, as the worker often screens them (scored without
    # the vectorizer, see SMALL_BATCH), gives the same numbers
    assert [classifier.probabilities([t])[0] for t in texts] == pytest.approx(list(expected), abs=1e-12)
    small = texts[:SMALL_BATCH]
    assert classifier.probabilities(small) == pytest.approx(list(expected[:SMALL_BATCH]), abs=1e-12)
