"""The policy file drives behaviour: changing it changes verdicts without code."""

from pathlib import Path

import pytest

from services.moderation.screening import (
    DEFAULT_POLICY_PATH, Decision, InMemoryAuthorHistory, InMemoryRecentTexts, PolicyError, Screener,
    Submission, load_policy,
)


def screener_for(path, classifier):
    return Screener(load_policy(path), InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier)


def test_adding_a_word_to_the_blocked_list_changes_the_verdict(tmp_path, classifier):
    text = "The captains are nothing but mountebanks."
    original = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    changed = original.replace('harassment = ["kys"]', 'harassment = ["kys", "mountebank*"]')
    changed = changed.replace('version = "', 'version = "test-', 1)
    assert changed != original
    changed = _training_data_from_the_package(changed)  # the copy lives elsewhere
    path = tmp_path / "policy.toml"
    path.write_text(changed, encoding="utf-8")

    before = screener_for(None, classifier).screen(Submission(id="1", text=text))
    after = screener_for(path, classifier).screen(Submission(id="1", text=text))
    assert before.decision is Decision.APPROVE
    assert after.decision is Decision.REJECT
    assert after.policy_version.startswith("test-")


def test_raising_a_threshold_changes_the_verdict(tmp_path, classifier):
    text = "Poles are lazy."
    original = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    changed = original.replace("discrimination  = { reject = 0.9,", "discrimination  = { reject = 1.1,")
    changed = _training_data_from_the_package(changed)  # the copy lives elsewhere
    path = tmp_path / "policy.toml"
    path.write_text(changed, encoding="utf-8")
    assert screener_for(None, classifier).screen(Submission(id="1", text=text)).decision is Decision.REJECT
    assert screener_for(path, classifier).screen(Submission(id="1", text=text)).decision is Decision.HOLD


def test_missing_policy_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.toml")


def test_policy_with_a_missing_category_names_it(tmp_path):
    original = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(original.replace("threat          = {", "# threat = {", 1), encoding="utf-8")
    with pytest.raises(PolicyError, match="threat"):
        load_policy(path)


def test_invalid_pattern_is_reported_when_the_screener_is_built(tmp_path, classifier):
    original = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(original.replace('pattern = "{self_harm}"', 'pattern = "{self_harm}(("'), encoding="utf-8")
    with pytest.raises(PolicyError, match="self-harm-taunt"):
        screener_for(path, classifier)


def test_wrong_type_in_policy_names_the_key(tmp_path):
    original = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(original.replace("max_chars = 5000", 'max_chars = "lots"'), encoding="utf-8")
    with pytest.raises(PolicyError, match="format.max_chars"):
        load_policy(path)


def test_shipped_policy_loads_and_has_a_version():
    assert load_policy().version
    assert Path(DEFAULT_POLICY_PATH).name == "policy.toml"


def _training_data_from_the_package(policy_text: str) -> str:
    """A copied policy names the training sets and the model file relative to itself: point
    it at the shipped ones."""
    return (policy_text.replace('"training/', f'"{DEFAULT_POLICY_PATH.parent}/training/')
            .replace('"model/', f'"{DEFAULT_POLICY_PATH.parent}/model/'))
