"""The learned check: a linear model shipped as a file (since 2024.07-1, trained on a real
corpus and our labelled sets, identity terms masked).

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
from services.moderation.evaluation import build
from services.moderation.screening.learned import (
    MASK,
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


def test_the_same_inputs_build_the_same_model_file(policy):
    """Determinism: the shipped file's hash names the model in every verdict, and CI
    rebuilds it and compares bytes (tests/integration/moderation/test_shipped_model.py)."""
    training = load_training_set(policy)
    settings = build.model_settings(policy)
    terms = policy.attacks.lexicon["groups"]
    first = LearnedModel.fit(training.texts, training.labels, settings, identity_terms=terms)
    second = LearnedModel.fit(training.texts, training.labels, settings, identity_terms=terms)
    assert first.to_bytes() == second.to_bytes()
    assert LearnedModel.from_bytes(first.to_bytes()).to_bytes() == first.to_bytes()
    texts = [UNSEEN_INSULT] + CIVIL
    assert first.probabilities(texts) == second.probabilities(texts)
    assert load_model(policy) is load_model(policy)  # read once per process


def test_verdict_names_the_model_by_its_file(screener, policy):
    digest = hashlib.sha256(policy.learned.path(policy.learned.model).read_bytes()).hexdigest()
    assert policy.version == "2024.07-1"
    assert screen(screener, "Thanks.").policy_version == f"{policy.version}+{digest[:12]}"
    assert len(screener.version) <= 40  # the width of the policy_version columns


def test_the_shipped_model_records_what_it_was_trained_on(policy):
    manifest = load_model(policy).manifest
    assert manifest["policy"] == policy.version
    names = [source["name"] for source in manifest["sources"]]
    assert names == ["training_data", "davidson-2017"]
    assert manifest["sources"][0]["files"] == list(policy.learned.training_data)
    assert manifest["sources"][1]["part"] == "train" and manifest["sources"][1]["rows"] > 17_000


def test_training_data_are_the_labelled_sets(policy):
    training = load_training_set(policy)
    assert list(dict.fromkeys(training.sources)) == [f"training/{name}.jsonl" for name in (
        "eval", "holdout", "blind", "fresh", "fresh2", "fresh3", "fresh4", "short", "fresh5", "groups")]
    assert set(training.labels) == {0, 1} and len(training.labels) >= 2000
    for name in ("fresh", "fresh2", "fresh3", "fresh4", "fresh5"):
        assert sum(1 for source in training.sources if source == f"training/{name}.jsonl") == 200


def test_the_group_sentences_are_their_generator_s_output():
    from services.moderation.evaluation import augment

    assert augment.OUTPUT.read_text(encoding="utf-8") == augment.render()


def test_character_ngram_settings(policy):
    """2024.07-1: lengths 2-5, n-grams seen in two training comments or more (chosen on
    the tuning parts, POLICY.md)."""
    assert policy.learned.char_ngrams == (2, 5) and policy.learned.char_min_df == 2
    model = load_model(policy)
    grams = model._char_grams("ab cdefgh")
    assert " ab " in grams and " cdef" in grams and " cdefg" not in grams and "a" not in grams
    data = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    for key, bad in (("char_ngrams", [3, 2]), ("char_ngrams", [0, 4]), ("char_ngrams", 5), ("char_min_df", 0),
                     ("char_min_df", 1.5), ("word_min_df", 0)):
        broken = {**data, "learned": {**data["learned"], key: bad}}
        with pytest.raises(PolicyError, match=f"learned.{key}"):
            policy_from_dict(broken)


def test_word_shares_add_up_to_the_score(policy):
    model = load_model(policy)
    for text in [UNSEEN_INSULT, "sh\u200bit, the the the report", "Thanks.", "  ", "a b a b c",
                 "I love muslims and poles", "north koreans, (migrants) and gays"]:
        decision = model.linear_decision(text) - model._intercept
        assert sum(share for *_, share in model.contributions(text)) == pytest.approx(decision, abs=1e-9)


def test_one_text_scored_from_the_tables_equals_scikit_learn(policy):
    """Screening scores from the model's tables; scikit-learn's TF-IDF, given the same
    vocabulary, IDF and weights, must give the same score on every training comment and
    odd input, and a text scores the same alone or in a batch."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    from services.moderation.screening.learned import CharGrams, tokens_of, word_features

    model = load_model(policy)
    words = sorted(model._word_table)
    grams = sorted(model._char_vocabulary, key=model._char_vocabulary.__getitem__)
    word = TfidfVectorizer(analyzer=lambda t: word_features(tokens_of(t)), sublinear_tf=True,
                           vocabulary={f: i for i, f in enumerate(words)})
    char = TfidfVectorizer(analyzer=CharGrams(*model.settings.char_ngrams), sublinear_tf=True,
                           vocabulary=model._char_vocabulary)
    word.fit([""]), char.fit([""])
    word.idf_ = np.array([model._word_table[f][0] for f in words])
    char.idf_ = model._char_idf
    coef = np.concatenate([[model._word_table[f][1] for f in words], model._char_coef])
    texts = list(load_training_set(policy).texts)[:600] + [
        "", "  ", "!!!", "Great article!", "sh\u200bit happens", "ÉCOLE für Müller – 日本語のテキスト",
        "the the the the report report", "x" * 5000, "I hate muslims, poles and (north koreans)."]
    prepared = [model.prepared(t) for t in texts]
    reference = hstack([word.transform(prepared), char.transform(prepared)]).tocsr() @ coef + model._intercept
    by_table = np.array([model.linear_decision(t) for t in texts])
    assert np.allclose(by_table, reference, rtol=0, atol=1e-9)
    assert words == sorted(set(words)) and len(grams) == len(model._char_idf)
    small, large = texts[:1], texts[:128]
    assert model.probabilities(small) == pytest.approx(model.probabilities(large)[:1], abs=1e-12)


def test_a_group_s_name_alone_never_moves_the_score(policy):
    """Identity terms are masked: every group of the lexicon scores the same in the same
    sentence, and the placeholder has no weight of its own (only its neighbours do)."""
    model = load_model(policy)
    groups = ["muslims", "poles", "north koreans", "women", "gay people", "jews", "migrants", "roma"]
    for template in ("I love {}.", "{} are vermin.", "I don't hate {}.", "My neighbours are {}."):
        scores = {round(p, 12) for p in model.probabilities([template.format(g) for g in groups])}
        assert len(scores) == 1, template
    assert MASK not in model._word_table
    assert not any(MASK in g for g in model._char_vocabulary)
    assert model.probabilities(["muslims"]) == model.probabilities(["poles"]) == model.probabilities([""])


def test_a_corrupt_model_file_is_a_policy_error(policy):
    raw = load_model(policy).to_bytes()
    for broken in (b"", b"not gzip", raw[: len(raw) // 2]):
        with pytest.raises(PolicyError, match="learned.model"):
            LearnedModel.from_bytes(broken)


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


def test_a_missing_model_file_is_a_policy_error(policy, classifier):
    broken = dataclasses.replace(policy, learned=dataclasses.replace(policy.learned, model="model/nope.json.gz"))
    with pytest.raises(PolicyError, match="learned.model"):
        Screener(broken, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier)


def test_missing_training_data_is_a_policy_error_when_training(policy):
    broken = dataclasses.replace(policy, learned=dataclasses.replace(
        policy.learned, training_data=("training/nope.jsonl",)))
    with pytest.raises(PolicyError, match="learned.training_data"):
        build.build(broken, corpus_root=None)


def test_a_corpus_the_policy_names_must_be_there_to_train(policy):
    with pytest.raises(PolicyError, match="learned.corpora"):
        build.build(policy, corpus_root=None)
