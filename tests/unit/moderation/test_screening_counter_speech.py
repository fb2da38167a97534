"""2024.07-1: naming a group, denouncing hate and quoting it to condemn it are not attacks.

Each rule has its near miss beside it: the same words as the commenter's own claim stay
an attack.
"""

import pytest

from services.moderation.screening import Check, Decision, ModerationMode, Submission
from services.moderation.screening.document import prepare


def screen(screener, text, mode=ModerationMode.PRE):
    return screener.screen(Submission(id="c1", text=text, mode=mode))


def checks(verdict):
    return {r.check for r in verdict.reasons}


@pytest.mark.parametrize("text", [
    "I live with two gay people.",
    "Some of the kindest people I know are gay.",
    "I love gay people.",
])
def test_the_profanity_classifier_does_not_read_a_group_s_name_as_abuse(rules_screener, text):
    """alt-profanity-check scored "I live with two gay people." 0.91 and held it."""
    assert Check.TOXICITY not in checks(screen(rules_screener, text))


def test_near_miss_abuse_of_a_group_is_still_abuse_to_the_classifier(rules_screener):
    verdict = screen(rules_screener, "fucking gays everywhere")
    assert verdict.decision is Decision.REJECT


@pytest.mark.parametrize("text", [
    "Hatred of Muslims has no place in a decent society.",
    "Abuse aimed at refugees has no place here.",
    "Saying \"Poles are vermin\" is disgusting and he should apologise.",
    "The sign said \"send them all back\". Shameful.",
])
def test_denouncing_hate_is_not_an_attack(rules_screener, text):
    verdict = screen(rules_screener, text)
    assert verdict.decision is Decision.APPROVE, verdict.reasons


@pytest.mark.parametrize("text", [
    "Muslims have no place in a decent society.",
    "Poles are vermin, disgusting.",  # a denouncing word beside one's own claim condemns nothing
    "Send them all back.",
])
def test_near_miss_the_same_words_as_one_s_own_claim_are_an_attack(rules_screener, text):
    assert screen(rules_screener, text).decision is not Decision.APPROVE


def test_a_denounced_quotation_is_not_the_commenter_s_own_words(policy):
    document = prepare(Submission(id="1", text='Shouting "send them home" at a march is racist.'), policy)
    assert document.denounced == ((9, 25),)
    assert document.own_text().startswith("Shouting " + " " * 16 + " at a march")
    endorsed = prepare(Submission(id="1", text='Like the man said: "send them home". Exactly.'), policy)
    assert endorsed.denounced == ()


def test_a_kind_word_about_a_group_is_not_charged(rules_screener):
    """"grateful" was a charged word ("they should be grateful"): "grateful to the women who
    helped us" was held. The grateful-guest rule still catches the demand."""
    assert screen(rules_screener, "I'm so grateful to the women who helped us.").decision is Decision.APPROVE
    assert screen(rules_screener, "Migrants should be grateful we let them in.").decision is Decision.HOLD
