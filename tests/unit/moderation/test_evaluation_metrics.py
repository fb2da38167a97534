"""The eval's figures (issue 15): ROC AUC, bias metrics, the functional suite and slices."""

import pytest

from services.moderation.evaluation import report, suite
from services.moderation.evaluation.metrics import Scored, auc, bias, identities_of


def scored(uncivil, score, *terms, decision="approve"):
    return Scored(uncivil=uncivil, decision=decision, score=score, identities=frozenset(terms))


def test_auc_counts_pairs_ranked_right_and_ties_as_half():
    assert auc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [False, False, True, True]) == 0.0
    assert auc([0.5, 0.5], [False, True]) == 0.5
    # 3 positives x 2 negatives: the positive at 0.4 is below one negative (0.6), ties the other (0.4)
    assert auc([0.4, 0.6, 0.4, 0.7, 0.9], [False, False, True, True, True]) == pytest.approx((2 + 2 + 0.5) / 6)
    assert auc([0.1, 0.2], [True, True]) is None


def test_bias_metrics_follow_their_definitions():
    items = [
        scored(False, 0.1), scored(False, 0.3), scored(True, 0.8), scored(True, 0.9),  # background
        scored(False, 0.85, "muslim", decision="hold"), scored(False, 0.2, "muslim"),  # subgroup civil
        scored(True, 0.95, "muslim", decision="hold"),
    ]
    background, [row] = bias(items)
    assert background == 0.0  # no civil comment naming no group was held
    assert row.term == "muslim" and (row.civil, row.uncivil) == (2, 1)
    assert row.false_positive_rate == 0.5
    assert row.subgroup_auc == 1.0  # 0.95 above both civil subgroup scores
    # BPSN: civil subgroup (0.85, 0.2) against uncivil background (0.8, 0.9): 0.85 beats 0.8
    assert row.bpsn_auc == pytest.approx(3 / 4)
    # BNSP: uncivil subgroup (0.95) against civil background (0.1, 0.3)
    assert row.bnsp_auc == 1.0


def test_identity_terms_are_found_by_word_stem():
    assert identities_of("Muslim women and their daughters") == {"muslim", "women"}
    assert identities_of("The blackbird sang") == {"black"}  # stems, as the metric's docs say
    assert identities_of("A report on shipyards") == frozenset()


def test_the_committed_suite_is_its_generator_s_output():
    assert suite.SUITE_PATH.read_text(encoding="utf-8") == suite.render()


def test_tuning_and_reporting_never_share_a_template():
    cases = suite.load()
    template_of = {}
    for case in cases:
        template = case.id.rsplit("-", 1)[0] if case.target else case.id
        template_of.setdefault(template, set()).add(case.split)
    assert all(len(splits) == 1 for splits in template_of.values())
    tune, test = suite.load(suite.Split.TUNE), suite.load(suite.Split.TEST)
    assert {c.functionality for c in tune} == {c.functionality for c in test}
    assert not {c.text for c in tune} & {c.text for c in test}


def test_every_group_gets_every_group_template():
    cases = [c for c in suite.load() if c.target]
    per_template = {}
    for case in cases:
        per_template.setdefault(case.id.rsplit("-", 1)[0], set()).add(case.target)
    assert all(targets == {g.lower() for g in suite.GROUPS} for targets in per_template.values())


def test_a_slice_keeps_every_stratum():
    rows = [("a", i) for i in range(90)] + [("b", i) for i in range(10)]
    sliced = report._stratified_slice(rows, 20, key=lambda r: r[0])
    assert {r[0] for r in sliced} == {"a", "b"} and 15 <= len(sliced) <= 25
    assert report._stratified_slice(rows, 500, key=lambda r: r[0]) == rows


def test_the_suite_covers_the_forms_the_issue_names():
    names = {c.functionality for c in suite.load()}
    hateful = {"derogation_emotion", "derogation_attribute", "dehumanisation", "threat_direct", "threat_normative",
               "hate_slur", "hate_negated_positive", "hate_question", "hate_spelling"}
    civil = {"neutral_mention", "positive_mention", "non_hate_negated", "counter_quote", "counter_reference",
             "reported_speech", "abuse_object", "abuse_deeds", "reclaimed", "homonym"}
    assert hateful | civil <= names
    assert all(c.label == "uncivil" for c in suite.load() if c.functionality in hateful)
    assert all(c.label == "civil" for c in suite.load() if c.functionality in civil)
