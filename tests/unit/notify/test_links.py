from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.links import ExpiredLink, InvalidLink, SignedLinks

DAY = 24 * 3600
BASE = "https://news.example.org"


class Clock:
    """A settable time source, so links age without sleeping."""

    def __init__(self, now=1_750_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def links(clock):
    return SignedLinks(secret_key="test-secret", public_base_url=BASE, clock=clock)


def token_of(url):
    return url.rsplit("/", 1)[1]


def test_urls_live_under_the_public_base_url(links):
    assert links.confirm_url(12).startswith(f"{BASE}/api/subscriptions/confirm/")
    assert links.unsubscribe_url(12).startswith(f"{BASE}/api/subscriptions/unsubscribe/")
    assert links.manage_url("reader@example.com").startswith(f"{BASE}/api/subscriptions/manage/")
    assert links.unsubscribe_all_url("reader@example.com").startswith(f"{BASE}/api/subscriptions/unsubscribe-all/")


def test_a_trailing_slash_on_the_base_url_does_not_double(clock):
    links = SignedLinks("test-secret", BASE + "/", clock=clock)

    assert links.confirm_url(1).startswith(f"{BASE}/api/subscriptions/confirm/")


def test_tokens_are_single_url_path_segments(links):
    for url in (links.confirm_url("01J9ZQ"), links.manage_url("o'brien+news@example.com")):
        token = token_of(url)
        assert token and all(c.isalnum() or c in "-_." for c in token)


@pytest.mark.parametrize("subscription_id", [7, "01J9ZQ4X8ZK3M2T0V6W8Y0A1B2"])
def test_confirm_and_unsubscribe_tokens_carry_the_subscription_id(links, subscription_id):
    assert links.load_confirm(token_of(links.confirm_url(subscription_id))) == subscription_id
    assert links.load_unsubscribe(token_of(links.unsubscribe_url(subscription_id))) == subscription_id


def test_manage_and_unsubscribe_all_tokens_carry_the_address(links):
    assert links.load_manage(token_of(links.manage_url("reader@example.com"))) == "reader@example.com"
    assert links.load_unsubscribe_all(token_of(links.unsubscribe_all_url("reader@example.com"))) == "reader@example.com"


def test_confirm_link_still_works_at_the_end_of_its_seventh_day(links, clock):
    token = token_of(links.confirm_url(7))
    clock.advance(7 * DAY)

    assert links.load_confirm(token) == 7


def test_confirm_link_expires_after_seven_days(links, clock):
    token = token_of(links.confirm_url(7))
    clock.advance(7 * DAY + 1)

    with pytest.raises(ExpiredLink):
        links.load_confirm(token)


def test_confirm_link_lifetime_is_configurable(clock):
    links = SignedLinks("test-secret", BASE, confirm_max_age=timedelta(hours=1), clock=clock)
    token = token_of(links.confirm_url(7))
    clock.advance(3601)

    with pytest.raises(ExpiredLink):
        links.load_confirm(token)


def test_manage_link_works_for_thirty_days_and_then_expires(links, clock):
    token = token_of(links.manage_url("reader@example.com"))
    clock.advance(30 * DAY)
    assert links.load_manage(token) == "reader@example.com"

    clock.advance(1)
    with pytest.raises(ExpiredLink):
        links.load_manage(token)


def test_unsubscribe_links_keep_working_for_years(links, clock):
    token = token_of(links.unsubscribe_url(7))
    all_token = token_of(links.unsubscribe_all_url("reader@example.com"))
    clock.advance(10 * 365 * DAY)

    assert links.load_unsubscribe(token) == 7
    assert links.load_unsubscribe_all(all_token) == "reader@example.com"


def test_a_link_signed_in_the_future_is_not_accepted(links, clock):
    clock.advance(DAY)
    token = token_of(links.confirm_url(7))
    clock.advance(-2 * DAY)

    with pytest.raises(ExpiredLink):
        links.load_confirm(token)


def test_an_expired_link_is_also_an_invalid_link():
    assert issubclass(ExpiredLink, InvalidLink)


def flip(token, index):
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1:]


@pytest.mark.parametrize("where", ["payload", "timestamp", "signature"])
def test_a_tampered_token_is_invalid(links, where):
    token = token_of(links.confirm_url(7))
    payload, timestamp, signature = token.split(".")
    index = {"payload": 0, "timestamp": len(payload) + 1, "signature": len(token) - 3}[where]

    with pytest.raises(InvalidLink) as raised:
        links.load_confirm(flip(token, index))
    assert not isinstance(raised.value, ExpiredLink)


def test_a_token_for_another_subscription_cannot_be_forged_by_editing_the_payload(links):
    token = token_of(links.unsubscribe_url(7))
    other = token_of(links.unsubscribe_url(8))
    forged = other.split(".")[0] + "." + ".".join(token.split(".")[1:])

    with pytest.raises(InvalidLink):
        links.load_unsubscribe(forged)


def test_a_token_made_for_one_purpose_is_refused_for_every_other(links):
    confirm = token_of(links.confirm_url(7))
    unsubscribe = token_of(links.unsubscribe_url(7))
    manage = token_of(links.manage_url("reader@example.com"))

    for load, token in [
        (links.load_unsubscribe, confirm), (links.load_confirm, unsubscribe),
        (links.load_unsubscribe_all, manage), (links.load_manage, token_of(links.unsubscribe_all_url("reader@example.com"))),
        (links.load_manage, confirm), (links.load_confirm, manage),
    ]:
        with pytest.raises(InvalidLink):
            load(token)


def test_a_token_signed_with_another_secret_is_invalid(links, clock):
    stranger = SignedLinks("another-secret", BASE, clock=clock)

    with pytest.raises(InvalidLink):
        links.load_unsubscribe(token_of(stranger.unsubscribe_url(7)))


def test_links_signed_before_a_key_rotation_keep_working(clock):
    old = SignedLinks("old-secret", BASE, clock=clock)
    rotated = SignedLinks(["old-secret", "new-secret"], BASE, clock=clock)
    token = token_of(old.unsubscribe_url(7))

    assert rotated.load_unsubscribe(token) == 7
    assert rotated.load_unsubscribe(token_of(rotated.unsubscribe_url(8))) == 8
    with pytest.raises(InvalidLink):
        old.load_unsubscribe(token_of(rotated.unsubscribe_url(8)))


@given(garbage=st.text(max_size=200))
def test_any_garbage_is_an_invalid_link_and_nothing_else(garbage):
    links = SignedLinks("test-secret", BASE)
    for load in (links.load_confirm, links.load_unsubscribe, links.load_manage, links.load_unsubscribe_all):
        with pytest.raises(InvalidLink):
            load(garbage)


@pytest.mark.parametrize("value", [True, None, 1.5, {"id": 1}, ["a"]])
def test_only_ids_and_addresses_can_be_signed(links, value):
    with pytest.raises(TypeError):
        links.confirm_url(value)


def test_an_empty_secret_is_refused():
    with pytest.raises(ValueError):
        SignedLinks("", BASE)


def test_a_base_url_that_is_not_http_is_refused():
    with pytest.raises(ValueError):
        SignedLinks("test-secret", "news.example.org")
