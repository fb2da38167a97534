"""Policies 2024.06-5 and -6: the learned check (a linear model trained on our labelled sets).

It turns a high "uncivil" probability into a hold: from `categories.learned.doubt`
in pre-moderation, from `categories.learned.hold` (very confident only) in
post-moderation, and never into a rejection.
"""

import dataclasses
import hashlib
import math
import tomllib

import numpy as np
import pytest

from services.moderation.screening import (
    Category,
    Check,
    Decision,
    InMemoryAuthorHistory,
    InMemoryRecentTexts,
    ModerationMode,
    PolicyError,
    Screener,
    Submission,
)
from services.moderation.screening.learned import (
    LearnedModel,
    load_model,
    load_training_set,
)
from services.moderation.screening.policy import DEFAULT_POLICY_PATH, policy_from_dict

# Uncivil, in words no rule was written from: the rules alone approve it
UNSEEN_INSULT = "You clearly have the brains of a turnip, mate."

# Civil comments written for this test (not in any labelled set), short ones included:
# the training sets' civil comments are longer than their uncivil ones.
CIVIL = [
    "Thanks.",
    "I agree.",
    "This is depressing but important reading.",
    "Thank you for covering this, the welders deserve to be heard.",
    "The inspectorate's report from 2019 said much the same thing.",
    "Could you publish the full list of companies involved?",
    "I was in Gdansk last year and never heard about any of this.",
    "My brother works in a shipyard and says conditions have improved.",
    "Good piece. I would like to read more about the legal side.",
    "The minister should answer these questions in parliament.",
    "A perfectly ordinary remark about the report.",
]


def screen(screener, text, mode=ModerationMode.PRE):
    return screener.screen(Submission(id="c1", text=text, mode=mode))


def learned_reasons(verdict):
    return [r for r in verdict.reasons if r.check is Check.LEARNED]


class FixedModel:
    """Stands in for the trained model: every text gets the same probability."""

    model_id = "fixed0000000"

    def __init__(self, probability):
        self.probability = probability

    def probabilities(self, texts):
        return [self.probability] * len(texts)

    def explain(self, text, limit):
        return [(0, 4)]


def fixed_screener(policy, classifier, probability):
    return Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier,
                    learned=FixedModel(probability))


def test_fires_on_an_uncivil_comment_the_rules_miss(screener, rules_screener, policy):
    assert screen(rules_screener, UNSEEN_INSULT).decision is Decision.APPROVE
    verdict = screen(screener, UNSEEN_INSULT)
    assert verdict.decision is Decision.HOLD
    [reason] = learned_reasons(verdict)
    assert reason.category is Category.LEARNED
    threshold = policy.categories[Category.LEARNED].doubt
    assert reason.message.startswith(f"learned model: {reason.score:.2f} likely uncivil (threshold {threshold:.2f})")
    assert verdict.scores["learned"] == reason.score >= threshold
    # the highlighted words are words of the comment, and the message names them
    assert reason.spans and all(UNSEEN_INSULT[s.start:s.end] == s.text for s in reason.spans)
    assert all(f'"{s.text}"' in reason.message for s in reason.spans)


@pytest.mark.parametrize("text", CIVIL)
def test_does_not_hold_civil_comments(screener, text):
    verdict = screen(screener, text)
    assert verdict.decision is Decision.APPROVE, verdict.reasons
    assert not learned_reasons(verdict)


@pytest.mark.parametrize("text", ["Great article!", "Nice article.", "I don't agree with the author at all."])
def test_short_civil_comments_go_live(screener, text):
    """"Great article!" scored 0.583 with 2024.06-7 and 0.61 with the first 2024.06-9 model
    (uncivil training comments open with it: spam, and one sarcastic), and was held in
    pre-moderation; the sets then had few short comments of either kind. 2024.06-9 adds
    training/short.jsonl (70 short civil comments, 40 short uncivil ones): these three are
    in it, so this guards the training, not unseen text (POLICY.md, "2024.06-9")."""
    assert screen(screener, text).decision is Decision.APPROVE


def test_holds_but_never_rejects_in_pre_moderation(policy, classifier):
    assert math.isinf(policy.categories[Category.LEARNED].reject)
    verdict = screen(fixed_screener(policy, classifier, 1.0), "An otherwise harmless sentence.")
    assert verdict.decision is Decision.HOLD
    assert [r.category for r in verdict.reasons] == [Category.LEARNED]


def test_post_moderation_holds_only_very_confident_scores(policy, classifier):
    ladder = policy.categories[Category.LEARNED]
    assert ladder.doubt < ladder.hold < 1.0
    between = (ladder.doubt + ladder.hold) / 2
    text = "An otherwise harmless sentence."
    doubtful = fixed_screener(policy, classifier, between)
    assert screen(doubtful, text, ModerationMode.PRE).decision is Decision.HOLD
    verdict = screen(doubtful, text, ModerationMode.POST)
    assert verdict.decision is Decision.APPROVE
    # still listed, with the threshold that post-moderation applies
    assert f"post-moderation threshold {ladder.hold:.2f}" in learned_reasons(verdict)[0].message
    confident = fixed_screener(policy, classifier, ladder.hold)
    assert screen(confident, text, ModerationMode.POST).decision is Decision.HOLD
    below = fixed_screener(policy, classifier, ladder.doubt - 0.01)
    assert screen(below, text, ModerationMode.PRE).decision is Decision.APPROVE
    assert not learned_reasons(screen(below, text, ModerationMode.PRE))


def test_unseen_insult_is_held_in_post_moderation_too(screener, policy):
    verdict = screen(screener, UNSEEN_INSULT, ModerationMode.POST)  # scored 0.97
    assert verdict.scores["learned"] >= policy.categories[Category.LEARNED].hold
    assert verdict.decision is Decision.HOLD


def test_training_is_deterministic(policy):
    training = load_training_set(policy)
    first = LearnedModel.fit(training.texts, training.labels, policy.learned, training.sha256)
    second = LearnedModel.fit(training.texts, training.labels, policy.learned, training.sha256)
    assert np.array_equal(first._word_coef, second._word_coef)
    assert np.array_equal(first._char_coef, second._char_coef)
    texts = [UNSEEN_INSULT] + CIVIL
    assert first.probabilities(texts) == second.probabilities(texts)
    assert load_model(policy) is load_model(policy)  # trained once per process


def test_verdict_names_the_model_by_its_training_data(screener, policy):
    digest = hashlib.sha256()
    for entry in policy.learned.training_data:
        digest.update(policy.learned.path(entry).read_bytes())
    assert policy.version == "2024.06-10"
    assert screen(screener, "Thanks.").policy_version == f"{policy.version}+{digest.hexdigest()[:12]}"
    assert len(screener.version) <= 40  # the width of the policy_version columns


def test_training_data_are_the_labelled_sets(policy):
    training = load_training_set(policy)
    # fresh.jsonl, measured once as unseen text with 2024.06-5, is training data since 2024.06-6;
    # fresh2.jsonl, measured once with 2024.06-6, since 2024.06-7; fresh3.jsonl, measured once
    # with 2024.06-7, since 2024.06-8; fresh4.jsonl, measured once with 2024.06-8, since 2024.06-9,
    # with short.jsonl (short comments, written for 2024.06-9); fresh5.jsonl, measured once with
    # 2024.06-9, since 2024.06-10
    assert training.sources[-1] == "training/fresh5.jsonl"
    assert list(dict.fromkeys(training.sources)) == [f"training/{name}.jsonl" for name in (
        "eval", "holdout", "blind", "fresh", "fresh2", "fresh3", "fresh4", "short", "fresh5")]
    assert set(training.labels) == {0, 1} and len(training.labels) >= 1800
    assert sum(1 for source in training.sources if source == "training/fresh.jsonl") == 200
    assert sum(1 for source in training.sources if source == "training/fresh2.jsonl") == 200
    assert sum(1 for source in training.sources if source == "training/fresh3.jsonl") == 200
    assert sum(1 for source in training.sources if source == "training/fresh4.jsonl") == 200
    assert sum(1 for source in training.sources if source == "training/fresh5.jsonl") == 200


def test_character_ngram_settings(policy, tmp_path):
    """Chosen by cross-validation for 2024.06-6 and kept since (2024.06-7 to 2024.06-10, POLICY.md):
    lengths 2-6, every n-gram kept."""
    assert policy.learned.char_ngrams == (2, 6) and policy.learned.char_min_df == 1
    model = load_model(policy)
    grams = model._char_grams("ab cdefgh")
    assert " ab " in grams and " cdefg" in grams and " cdefgh" not in grams and "a" not in grams
    data = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    for key, bad in (("char_ngrams", [3, 2]), ("char_ngrams", [0, 4]), ("char_ngrams", 5), ("char_min_df", 0),
                     ("char_min_df", 1.5)):
        broken = {**data, "learned": {**data["learned"], key: bad}}
        with pytest.raises(PolicyError, match=f"learned.{key}"):
            policy_from_dict(broken)


def test_word_shares_add_up_to_the_score(policy):
    model = load_model(policy)
    for text in [UNSEEN_INSULT, "sh\u200bit, the the the report", "Thanks.", "  ", "a b a b c"]:
        [decision] = model.decision([text])
        assert sum(share for *_, share in model.contributions(text)) == pytest.approx(decision, abs=1e-9)


def test_one_text_scored_from_the_tables_equals_the_vectorizers(policy):
    """Screening scores from the feature tables (each word's character n-grams cached as
    vocabulary indices), not with the vectorizers; both ways must give the same score on
    every training comment and odd input, and a text scores the same alone or in a batch."""
    model = load_model(policy)
    texts = list(load_training_set(policy).texts) + [
        "", "  ", "!!!", "Great article!", "sh\u200bit happens", "ÉCOLE für Müller – 日本語のテキスト",
        "the the the the report report", "x" * 5000]
    by_table = np.array([model.linear_decision(t) for t in texts])
    assert np.allclose(by_table, model.decision(texts), rtol=0, atol=1e-9)
    small, large = texts[:1], texts[:128]
    assert model.probabilities(small) == pytest.approx(model.probabilities(large)[:1], abs=1e-12)


def test_batch_and_single_screening_agree(policy, classifier):
    texts = [UNSEEN_INSULT] + CIVIL
    batch = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier).screen_batch(
        [Submission(id=str(i), text=t) for i, t in enumerate(texts)])
    single = Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier)
    for text, verdict in zip(texts, batch):
        assert screen(single, text).scores["learned"] == pytest.approx(verdict.scores["learned"], abs=1e-12)


def test_article_quotes_are_not_scored(screener):
    article = "A welder said the guards called them filthy animals and worthless scum every day."
    own = 'The guards called them "filthy animals and worthless scum every day". Horrifying.'
    verdict = screener.screen(Submission(id="1", text=own, article_body=article))
    assert verdict.decision is Decision.APPROVE
    assert verdict.scores["learned"] < 0.5


def test_switched_off_it_leaves_the_verdict_to_the_rules(rules_screener, rules_policy):
    verdict = screen(rules_screener, UNSEEN_INSULT)
    assert verdict.scores["learned"] == 0.0 and verdict.policy_version == rules_policy.version


def test_missing_training_data_is_a_policy_error(policy, classifier):
    broken = dataclasses.replace(policy, learned=dataclasses.replace(
        policy.learned, training_data=("training/nope.jsonl",)))
    with pytest.raises(PolicyError, match="learned.training_data"):
        Screener(broken, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier)
