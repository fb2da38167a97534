"""Generic structures (policy 2024.06-3): shapes of abuse rather than listed phrasings.

They mostly score between `doubt` and `hold`, so in pre-moderation an unseen
phrasing goes to a human instead of live, and none of them can reject on its own.
"""

import json
import re
from pathlib import Path

import pytest

from services.moderation.screening import Decision, ModerationMode, Submission
from services.moderation.screening.checks.attacks import (
    _candidates, _entry_regex, _lexicon_regex, compile_attacks,
)
from services.moderation.screening.document import prepare
from services.moderation.screening.text import fold

DATA = Path(__file__).resolve().parents[3] / "services" / "moderation" / "training"


def screen(screener, text, mode=ModerationMode.PRE):
    return screener.screen(Submission(id="c1", text=text, mode=mode))


@pytest.mark.parametrize("text", [
    "Typical Moldovans, always after something for free.",              # quantified generalisation
    "Kurds shouldn't be allowed to run businesses in this town.",       # group + negated permission
    "Honestly I despise those people and their whole way of life.",     # hatred of a group
    "They multiply like locusts wherever they settle.",                 # dehumanising simile
    "The high street was peaceful before the newcomers showed up.",     # nostalgic exclusion
    "You spineless little weasel, answer the question.",                # "you [adjectives] [noun]"
    "Carry on publishing these lies and you'll find out what happens.", # conditional threat
    "Lovely kids you've got. It would be a shame if anything happened.",# veiled threat
    "Everybody should phone the editor at home until he gives up.",     # harassment campaign
])
def test_unseen_shapes_of_abuse_are_not_auto_approved(screener, text):
    assert screen(screener, text).decision is not Decision.APPROVE


@pytest.mark.parametrize("text", [
    "Saying they should go back where they came from ignores why they left.",
    "Not all migrants are the same, and the article never claims they are.",
    "Migrants should be allowed to change employer without losing their visa.",
    "Thank you for sticking with this story for two whole years.",
    "If you keep reading the court files you will see how the levy worked.",
    "The workers were treated like animals by the recruiters.",
])
def test_civil_comments_with_similar_shapes_are_approved(screener, rules_screener, text):
    assert screen(rules_screener, text).decision is Decision.APPROVE
    # with the learned check (2024.06-6, pre-moderation doubt 0.58): "Not all migrants are
    # the same, ..." scores 0.61 and is held for a moderator in pre-moderation, never rejected
    # (2024.06-7, doubt 0.58: 0.66, still held in pre-moderation only)
    assert screen(screener, text).decision is not Decision.REJECT
    assert screen(screener, text, ModerationMode.POST).decision is Decision.APPROVE


def test_generic_structures_never_reject_on_their_own(screener):
    verdict = screen(screener, "You spineless little weasel, answer the question.", ModerationMode.POST)
    assert verdict.decision is not Decision.REJECT


def test_factored_lexicon_matches_exactly_what_the_flat_alternation_matches(policy):
    texts = [fold(json.loads(line)["text"]) for line in (DATA / "eval.jsonl").read_text(encoding="utf-8").splitlines()]
    for entries in policy.attacks.lexicon.values():
        entries = [fold(entry) for entry in entries]
        flat = re.compile(r"\b(?:%s)\b" % "|".join(_entry_regex(e) for e in sorted(entries, key=len, reverse=True)))
        factored = re.compile(r"\b%s\b" % _lexicon_regex(entries))
        for text in texts + entries:
            assert [m.span() for m in flat.finditer(text)] == [m.span() for m in factored.finditer(text)]


def test_trigger_index_selects_the_patterns_whose_required_words_are_present(policy):
    rules = compile_attacks(policy.attacks)
    for line in (DATA / "eval.jsonl").read_text(encoding="utf-8").splitlines():
        doc = prepare(Submission(id="c", text=json.loads(line)["text"]), policy)
        assert _candidates(doc, rules) == [p for p in rules.patterns if doc.has_words(p.required)]
