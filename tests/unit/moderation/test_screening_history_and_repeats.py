"""Author history and repeated posting, through the in-memory stores."""

from services.moderation.screening import (
    Category, Decision, InMemoryAuthorHistory, InMemoryRecentTexts, Screener, Submission,
)

SPAMMY = "Our reading group meets every Thursday to discuss forced labour reports, everyone is welcome"


def make(policy, classifier, history=None, recent=None):
    return Screener(policy, history or InMemoryAuthorHistory(), recent or InMemoryRecentTexts(),
                    classifier=classifier)


def test_author_with_a_recent_rejection_is_held_instead_of_approved(policy, classifier):
    screener = make(policy, classifier)
    first = screener.screen(Submission(id="1", text="f*ck this", author_key="a1", submitted_at=1000.0))
    second = screener.screen(Submission(id="2", text="A civil remark about the shipyard.",
                                        author_key="a1", submitted_at=2000.0))
    assert first.decision is Decision.REJECT
    assert second.decision is Decision.HOLD
    assert [r.category for r in second.reasons] == [Category.AUTHOR_HISTORY]


def test_old_rejections_fall_out_of_the_history_window(policy, classifier):
    screener = make(policy, classifier)
    screener.screen(Submission(id="1", text="f*ck this", author_key="a1", submitted_at=0.0))
    later = policy.history_window_seconds + 1
    # (not "A civil remark.": the learned model scores it 0.65, a pre-moderation doubt since
    # 2024.06-6; 0.69 with 2024.06-7)
    verdict = screener.screen(Submission(id="2", text="Thanks for the update.", author_key="a1",
                                         submitted_at=later))
    assert verdict.decision is Decision.APPROVE


def test_same_text_from_the_same_author_is_held_then_rejected(policy, classifier):
    screener = make(policy, classifier)
    decisions = [
        screener.screen(Submission(id=str(i), text=SPAMMY, author_key="a1", submitted_at=100.0 + i)).decision
        for i in range(3)
    ]
    assert decisions == [Decision.APPROVE, Decision.HOLD, Decision.REJECT]


def test_near_identical_text_across_articles_is_caught(policy, classifier):
    screener = make(policy, classifier)
    variants = [SPAMMY, SPAMMY.upper() + "!!! Join us", "  " + SPAMMY.replace(",", " -") + " :)"]
    verdicts = [
        screener.screen(Submission(id=str(i), text=t, author_key=f"author{i}", article=f"article-{i}",
                                   submitted_at=100.0 + i))
        for i, t in enumerate(variants)
    ]
    assert [v.decision for v in verdicts] == [Decision.APPROVE, Decision.HOLD, Decision.REJECT]


def test_repeats_inside_one_batch_are_caught(policy, classifier):
    screener = make(policy, classifier)
    items = [Submission(id=str(i), text=SPAMMY, author_key="a1", submitted_at=10.0 + i) for i in range(3)]
    assert [v.decision for v in screener.screen_batch(items)] == [
        Decision.APPROVE, Decision.HOLD, Decision.REJECT]


def test_rescreening_an_edited_comment_is_not_a_repeat_of_itself(policy, classifier):
    screener = make(policy, classifier)
    first = screener.screen(Submission(id="c9", text=SPAMMY, author_key="a1", submitted_at=1.0))
    again = screener.screen(Submission(id="c9", text=SPAMMY, author_key="a1", submitted_at=2.0))
    assert first.decision is again.decision is Decision.APPROVE


def test_short_texts_are_never_called_repeats(policy, classifier):
    screener = make(policy, classifier)
    verdicts = [screener.screen(Submission(id=str(i), text="Thank you!", author_key="a1",
                                           article=f"a{i}", submitted_at=float(i))) for i in range(4)]
    assert {v.decision for v in verdicts} == {Decision.APPROVE}


class CountingClassifier:
    def __init__(self, real):
        self.real, self.calls = real, 0

    def probabilities(self, texts):
        self.calls += 1
        return self.real.probabilities(texts)

    def explain(self, text, limit):
        return self.real.explain(text, limit)

    def vocabulary_share(self, text):
        return self.real.vocabulary_share(text)


def test_a_batch_calls_the_classifier_once(policy, classifier):
    counting = CountingClassifier(classifier)
    screener = make(policy, counting)
    verdicts = screener.screen_batch([Submission(id=str(i), text=f"Comment number {i} about ships.")
                                      for i in range(300)])
    assert len(verdicts) == 300
    assert counting.calls == 1
