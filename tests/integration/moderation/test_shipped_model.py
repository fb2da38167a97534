"""The shipped model is what its recipe builds, and the real corpus's split never moves (issue 15).

Both need the corpora (../shared/corpora beside the checkout, or PARLEY_CORPORA): a fresh
clone without them skips, CI has them.
"""

import hashlib
from collections import Counter

import pytest

from services.moderation.evaluation import build, corpora
from services.moderation.screening import load_policy

ROOT = corpora.corpus_dir()
needs_corpora = pytest.mark.skipif(ROOT is None, reason="the corpora are not beside this checkout")


@needs_corpora
@pytest.mark.slow
def test_rebuilding_the_model_gives_the_shipped_file_byte_for_byte():
    policy = load_policy()
    shipped = policy.learned.path(policy.learned.model).read_bytes()
    rebuilt = build.build(policy, ROOT).to_bytes()
    assert hashlib.sha256(rebuilt).hexdigest() == hashlib.sha256(shipped).hexdigest(), (
        "services/moderation/model/learned.json.gz is not what `parley moderation train` builds: "
        "rebuild it and commit the file")


@needs_corpora
def test_the_corpus_split_is_fixed_stratified_and_disjoint():
    rows = corpora.davidson(ROOT)
    assert len(rows) == 24_783 and len({r.id for r in rows}) == len(rows)
    parts = Counter(r.part for r in rows)
    assert parts[corpora.Part.TEST] == pytest.approx(0.2 * len(rows), abs=10)
    assert parts[corpora.Part.DEV] == pytest.approx(0.1 * len(rows), abs=10)
    # every class x agreement stratum is split in the same proportions
    for stratum in {(r.truth, r.agreement) for r in rows}:
        members = [r for r in rows if (r.truth, r.agreement) == stratum]
        share = sum(r.part is corpora.Part.TEST for r in members) / len(members)
        assert share == pytest.approx(0.2, abs=0.01)
    # the same row lands in the same part whatever the order it is read in
    again = {r.id: r.part for r in corpora.davidson(ROOT)}
    assert all(again[r.id] is r.part for r in rows)


@needs_corpora
def test_the_model_never_trains_on_the_test_or_dev_part():
    policy = load_policy()
    data = build.training_data(policy, ROOT)
    source = next(s for s in data.sources if s["name"] == corpora.DAVIDSON)
    train_rows = sum(1 for r in corpora.davidson(ROOT) if r.part is corpora.Part.TRAIN)
    assert source["part"] == "train" and source["rows"] == train_rows


def test_tweets_are_cleaned_into_comments():
    assert corpora.clean_tweet('RT @someone: I &amp; you http://t.co/x "quoted" @other') == 'I & you "quoted"'
    assert corpora.clean_tweet("&#8220;Fine words&#8221; #tag") == "“Fine words” #tag"
