"""What the screener decides for each kind of comment, and how it explains it."""

import pytest

from services.moderation.screening import Category, Decision, ModerationMode, Submission


def screen(screener, text, **fields):
    return screener.screen(Submission(id="c1", text=text, **fields))


def categories(verdict):
    return {reason.category for reason in verdict.reasons}


def test_civil_disagreement_is_approved(screener):
    verdict = screen(screener, "I disagree with this piece: sanctions did not create the scheme, the regime did.")
    assert verdict.decision is Decision.APPROVE
    assert verdict.reasons == ()


@pytest.mark.parametrize("text", [
    "This policy kills jobs in the shipyards and helps nobody.",
    "Racism makes it easier to exploit migrant workers, and we should say so.",
    "Calling this modern slavery is accurate: the men cannot leave or keep their pay.",
    "The BBC took two years to publish this, which is a failure of the press.",
    "To jest hańba dla Polski, stocznia musiała wiedzieć.",
    "Das ist moderne Sklaverei, mitten in der EU. Warum reagieren die Behörden erst jetzt?",
])
def test_civil_comments_on_hard_topics_are_approved(screener, text):
    assert screen(screener, text).decision is Decision.APPROVE


@pytest.mark.parametrize("text", ["f*ck the embassy", "this is sh1t journalism", "what a bunch of a$$holes",
                                  "F.U.C.K. the regime", "the foreman is an a s s h o l e"])
def test_obfuscated_profanity_is_rejected(screener, text):
    verdict = screen(screener, text)
    assert verdict.decision is Decision.REJECT
    assert Category.PROFANITY in categories(verdict)


def test_leetspeak_profanity_is_rejected_with_the_original_spelling_highlighted(screener):
    text = "Honestly this is sh1t reporting"
    verdict = screen(screener, text)
    spans = [span for reason in verdict.reasons for span in reason.spans if reason.category is Category.PROFANITY]
    assert verdict.decision is Decision.REJECT
    assert [(s.start, s.end, s.text) for s in spans] == [(17, 21, "sh1t")]
    assert text[spans[0].start:spans[0].end] == "sh1t"


def test_repeated_letters_do_not_hide_an_insult(screener):
    verdict = screen(screener, "iiiidiot government")
    assert verdict.decision is Decision.HOLD
    assert any(span.text == "iiiidiot" for reason in verdict.reasons for span in reason.spans)


def test_words_containing_a_blocked_word_are_not_matched(screener):
    assert screen(screener, "The class assessed the Assad regime's shipping records.").decision is Decision.APPROVE


def test_dehumanising_a_nationality_is_rejected(screener):
    verdict = screen(screener, "North Koreans are parasites, all of them.")
    assert verdict.decision is Decision.REJECT
    assert Category.DEHUMANISATION in categories(verdict)


def test_demanding_a_group_be_thrown_out_is_rejected_as_xenophobia(screener):
    verdict = screen(screener, "Kick the foreigners out of our shipyards.")
    assert verdict.decision is Decision.REJECT
    assert Category.XENOPHOBIA in categories(verdict)


@pytest.mark.parametrize("text", ["I will find you and you will regret it.", "Someone should kill him.",
                                  "The captains should be hanged."])
def test_threats_are_rejected(screener, text):
    verdict = screen(screener, text)
    assert verdict.decision is Decision.REJECT
    assert Category.THREAT in categories(verdict)


def test_negated_violence_is_not_a_threat(screener, rules_screener):
    text = "No one should be shot for trying to leave a job."
    assert screen(rules_screener, text).decision is Decision.APPROVE
    # The learned model scores it 0.91 (held, in both modes, never rejected): a known
    # false positive of a bag-of-n-grams model, which does not see the negation.
    verdict = screen(screener, text)
    assert Category.THREAT not in categories(verdict)
    assert verdict.decision is not Decision.REJECT


def test_personal_attack_is_held_not_approved(screener):
    verdict = screen(screener, "You are an absolute idiot if you believe this.")
    assert verdict.decision is Decision.HOLD
    assert Category.PERSONAL_ATTACK in categories(verdict)


def test_stereotype_reported_as_someone_elses_claim_is_held_not_rejected(screener):
    assert screen(screener, "It is a myth to say Poles are lazy.").decision is Decision.HOLD
    assert screen(screener, "Poles are lazy.").decision is Decision.REJECT


def test_crypto_spam_with_contact_details_is_rejected(screener):
    verdict = screen(screener, "I made $4,500 trading bitcoin with my account manager, contact her on "
                               "WhatsApp +1 415 555 0199")
    assert verdict.decision is Decision.REJECT
    assert Category.SPAM in categories(verdict)


def test_a_single_mention_of_crypto_is_not_spam(screener):
    verdict = screen(screener, "North Korea steals crypto to fund its weapons programme.")
    assert verdict.decision is Decision.APPROVE


def test_link_to_an_allowed_domain_is_approved_and_to_an_unknown_one_held(screener):
    assert screen(screener, "The source: https://www.bbc.co.uk/news/world-asia-43837463").decision is Decision.APPROVE
    assert screen(screener, "The source: https://example-news.net/story").decision is Decision.HOLD


def test_quote_from_article_does_not_count_against_commenter(screener, article):
    text = "\"They treat us like dogs here.\" I had to stop reading after that line."
    with_article = screen(screener, text, article_body=article)
    assert with_article.decision is Decision.APPROVE


def test_abuse_next_to_a_quote_from_the_article_still_counts(screener, article):
    verdict = screen(screener, "North Korean welders are vermin.", article_body=article)
    assert verdict.decision is Decision.REJECT


def test_blocked_word_quoted_from_the_article_is_ignored(screener):
    article = "A deckhand said the captain shouted \"get to work, you bastards\" at the sick men."
    text = "The captain shouted get to work, you bastards at sick men. Appalling."
    assert screen(screener, text, article_body=article).decision is Decision.APPROVE
    assert screen(screener, text).decision is Decision.REJECT


def test_post_moderation_publishes_what_pre_moderation_holds_for_doubt(screener):
    text = "iiiidiot government"
    assert screen(screener, text, mode=ModerationMode.PRE).decision is Decision.HOLD
    assert screen(screener, text, mode=ModerationMode.POST).decision is Decision.APPROVE


def test_post_moderation_still_holds_flagged_comments(screener):
    verdict = screen(screener, "You are a pathetic clown.", mode=ModerationMode.POST)
    assert verdict.decision is Decision.HOLD


def test_verdict_records_policy_version_and_is_json_ready(screener, policy):
    import json

    verdict = screen(screener, "f*ck this")
    data = verdict.to_dict()
    assert data["policy_version"] == screener.version
    assert data["policy_version"].startswith(policy.version + "+")  # + the learned model's data hash
    assert data["decision"] == "reject"
    assert set(data["scores"]) == {str(c) for c in Category}
    json.dumps(data)
