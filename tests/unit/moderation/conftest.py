import pytest

from services.moderation.screening import (
    InMemoryAuthorHistory, InMemoryRecentTexts, ProfanityCheckClassifier, Screener, load_policy,
)

ARTICLE = (
    "At a shipyard in Szczecin the foreman of several hundred North Korean welders said his "
    "men take no paid leave. One welder said: \"They treat us like dogs here. You swallow dirt "
    "and you stop being a person.\" The men hand most of their wages to a minder they call the "
    "captain, a levy they describe as Party Duty."
)


@pytest.fixture
def article():
    return ARTICLE


@pytest.fixture(scope="session")
def classifier():
    return ProfanityCheckClassifier()  # loads the bundled model once for the whole run


@pytest.fixture(scope="session")
def policy():
    return load_policy()


@pytest.fixture
def screener(policy, classifier):
    return Screener(policy, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier)


@pytest.fixture(scope="session")
def rules_policy(policy):
    """The shipped policy with the learned check switched off: the rule checks alone."""
    import dataclasses

    return dataclasses.replace(policy, learned=dataclasses.replace(policy.learned, enabled=False))


@pytest.fixture
def rules_screener(rules_policy, classifier):
    return Screener(rules_policy, InMemoryAuthorHistory(), InMemoryRecentTexts(), classifier=classifier)
