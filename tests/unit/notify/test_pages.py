import re
from html.parser import HTMLParser

import pytest

from services.notify.messages import render_page

ACTION = "https://news.example.org/api/subscriptions/confirm/MTIz.Z0x1bA.c2lnbmF0dXJl"


class Elements(HTMLParser):
    """Collects (tag, attributes) of every start tag."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def all(self, tag):
        return [attrs for name, attrs in self.found if name == tag]


def manage_page(**overrides):
    context = dict(
        title="Your subscriptions",
        email="reader@example.com",
        subscriptions=[
            {"kind": "article", "article_title": "Council approves the bridge", "article_url": "https://news.example.org/a/bridge",
             "drop_url": "https://news.example.org/api/subscriptions/unsubscribe/one"},
            {"kind": "replies", "article_title": "Budget 2026", "article_url": "https://news.example.org/a/budget",
             "drop_url": "https://news.example.org/api/subscriptions/unsubscribe/two", "pending": True},
        ],
        drop_all_url="https://news.example.org/api/subscriptions/manage/tok/unsubscribe-all",
        erase_url="https://news.example.org/api/subscriptions/manage/tok/erase",
    )
    context.update(overrides)
    return render_page("pages/manage.html", **context)


ALL_PAGES = {
    "confirm": lambda: render_page("pages/confirm.html", title="Confirm", message="Send me replies?", action_url=ACTION),
    "unsubscribe": lambda: render_page("pages/unsubscribe.html", title="Unsubscribe", message="Stop?", action_url=ACTION, manage_url=ACTION),
    "manage": lambda: manage_page(delivery="daily", delivery_url=ACTION, message="Saved."),
    "done": lambda: render_page("pages/done.html", title="Done", message="You will get no more email.", link_url="https://news.example.org/"),
}


@pytest.mark.parametrize("page", ["confirm", "unsubscribe"])
def test_link_pages_act_only_through_a_post_form_to_the_same_link(page):
    elements = Elements(ALL_PAGES[page]())

    assert elements.all("form") == [{"method": "post", "action": ACTION}]
    assert [b.get("type") for b in elements.all("button")] == ["submit"]


@pytest.mark.parametrize("page", sorted(ALL_PAGES))
def test_pages_have_no_scripts_and_no_inline_styles(page):
    html = ALL_PAGES[page]()

    assert "<script" not in html
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert all("style" not in attrs for _, attrs in Elements(html).found)


@pytest.mark.parametrize("page", sorted(ALL_PAGES))
def test_pages_keep_their_token_urls_out_of_referrers_and_search_engines(page):
    metas = Elements(ALL_PAGES[page]()).all("meta")

    assert {"name": "referrer", "content": "no-referrer"} in metas
    assert {"name": "robots", "content": "noindex, nofollow"} in metas


@pytest.mark.parametrize("page", sorted(ALL_PAGES))
def test_pages_are_structured_for_assistive_technology(page):
    elements = Elements(ALL_PAGES[page]())

    assert elements.all("html") == [{"lang": "en"}]
    assert len(elements.all("main")) == 1
    assert len(elements.all("h1")) == 1


def test_manage_page_gives_each_subscription_its_own_stop_button():
    elements = Elements(manage_page())
    actions = [form["action"] for form in elements.all("form")]

    assert actions == [
        "https://news.example.org/api/subscriptions/unsubscribe/one",
        "https://news.example.org/api/subscriptions/unsubscribe/two",
        "https://news.example.org/api/subscriptions/manage/tok/unsubscribe-all",
        "https://news.example.org/api/subscriptions/manage/tok/erase",
    ]
    assert all(form["method"] == "post" for form in elements.all("form"))


def test_manage_page_describes_each_subscription_and_marks_pending_ones():
    html = manage_page()

    assert "New comments on\n<a href=\"https://news.example.org/a/bridge\">Council approves the bridge</a>" in html
    assert "Replies to your comment on\n<a href=\"https://news.example.org/a/budget\">Budget 2026</a>" in html
    assert html.count("(waiting for confirmation)") == 1


def test_manage_page_offers_to_erase_everything_about_the_address():
    html = manage_page()

    assert "Erase everything about reader@example.com" in html


def test_manage_page_without_subscriptions_says_so_and_offers_no_stop_buttons():
    elements = Elements(manage_page(subscriptions=[]))

    assert [form["action"] for form in elements.all("form")] == ["https://news.example.org/api/subscriptions/manage/tok/erase"]
    assert "There are no subscriptions for this address." in manage_page(subscriptions=[])


def test_manage_page_checks_the_current_delivery_choice():
    radios = Elements(manage_page(delivery="hourly", delivery_url=ACTION)).all("input")

    assert [(r["value"], "checked" in r) for r in radios] == [("immediate", False), ("hourly", True), ("daily", False)]
    assert all(r["name"] == "delivery" for r in radios)


def test_manage_page_omits_the_delivery_form_when_no_url_is_given():
    assert 'name="delivery"' not in manage_page()


def test_pages_escape_what_they_are_given():
    html = render_page("pages/done.html", title="<b>Done</b>", message='<script>alert("x")</script>')

    assert "<script" not in html
    assert "&lt;b&gt;Done&lt;/b&gt;" in html


def test_a_page_missing_a_required_variable_fails_loudly():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render_page("pages/confirm.html", title="Confirm", message="m")


def test_only_page_templates_can_be_rendered_as_pages():
    with pytest.raises(ValueError):
        render_page("email/notification.html", title="x")
