"""Hostile input gets a verdict, never an exception."""

from hypothesis import HealthCheck, given, settings, strategies as st

from services.moderation.screening import Category, Decision, ModerationMode, Submission


def test_empty_text_is_rejected_as_empty(screener):
    for text in ["", "   ", "\n\t", "\u200b\u200b", "\x00\x01"]:
        verdict = screener.screen(Submission(id="e", text=text))
        assert verdict.decision is Decision.REJECT
        assert [r.category for r in verdict.reasons] == [Category.FORMAT]


def test_megabyte_text_is_held_as_too_long(screener):
    text = ("A long but civil comment about the shipyard. " * 25_000)[:1_000_000]
    verdict = screener.screen(Submission(id="big", text=text))
    assert verdict.decision is Decision.HOLD
    assert any("characters long" in r.message for r in verdict.reasons)


def test_control_characters_do_not_hide_profanity(screener):
    verdict = screener.screen(Submission(id="c", text="f\x01u\x01c\x01k this regime"))
    assert verdict.decision is Decision.REJECT


def test_zero_width_characters_do_not_hide_profanity(screener):
    verdict = screener.screen(Submission(id="z", text="what a sh\u200bit article"))
    assert verdict.decision is Decision.REJECT


def test_lone_surrogates_give_a_verdict(screener):
    verdict = screener.screen(Submission(id="s", text="bad \ud800 text \udfff here"))
    assert verdict.decision in set(Decision)
    verdict.to_dict()


def test_spans_always_point_into_the_submitted_text(screener):
    text = "ＦＵＣＫ this, Ünïcödé ＳＨＩＴ and f*ck"
    verdict = screener.screen(Submission(id="u", text=text))
    assert verdict.decision is Decision.REJECT
    for reason in verdict.reasons:
        for span in reason.spans:
            assert text[span.start:span.end] == span.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(), article=st.one_of(st.none(), st.text(max_size=300)),
       mode=st.sampled_from(list(ModerationMode)))
def test_screening_never_raises_on_arbitrary_text(screener, text, article, mode):
    verdict = screener.screen(Submission(id="h", text=text, article_body=article, mode=mode,
                                         author_key="h", article="a"))
    assert verdict.decision in set(Decision)
    for reason in verdict.reasons:
        for span in reason.spans:
            assert text[span.start:span.end] == span.text
