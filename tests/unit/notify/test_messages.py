import dataclasses
import re
from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.notify.messages import (
    InvalidAddress,
    NotifiedComment,
    SiteConfig,
    confirmation_message,
    digest_message,
    header_text,
    normalize_address,
    notification_message,
)

READER = "reader@example.com"


def notify(comment, site, urls, *, kind="article", to=READER, mailto=None, **kwargs):
    return notification_message(to, comment, kind, urls.unsubscribe, mailto, urls.manage, site, **kwargs)


def on_the_wire(message):
    """The message as a receiving server parses it."""
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def header_block(message) -> bytes:
    return message.as_bytes().split(b"\r\n\r\n", 1)[0]


# --- structure and headers ---------------------------------------------------------


def test_notification_is_multipart_alternative_with_text_before_html(comment, site, urls):
    received = on_the_wire(notify(comment, site, urls))

    assert received.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in received.iter_parts()] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in received.iter_parts())


def test_the_message_parses_back_without_defects(comment, site, urls):
    received = on_the_wire(notify(comment, site, urls, mailto="unsubscribe@news.example.org"))

    assert received.defects == []
    assert all(part.defects == [] for part in received.walk())
    assert {name: header.defects for name, header in received.items() if header.defects} == {}


@given(excerpt=st.sampled_from(["--", "--=_parley_", "=_", "--=_parley_x--"]).flatmap(
    lambda prefix: st.text(max_size=30).map(lambda rest: prefix + rest)))
def test_no_comment_text_can_end_a_mime_part_early(excerpt):
    site = SiteConfig("Example News", "comments@news.example.org", "news.example.org", "https://news.example.org")
    comment = NotifiedComment(1, "Ana", excerpt, "Title", "https://news.example.org/a", "https://news.example.org/a#c1")
    message = notification_message(READER, comment, "article", "https://news.example.org/u", None, "https://news.example.org/m", site)
    boundary = message.get_boundary()
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    excerpt_lines = text.split("\n\n")[1]

    assert message.as_bytes().count(f"--{boundary}".encode()) == 3
    assert [p.get_content_type() for p in on_the_wire(message).iter_parts()] == ["text/plain", "text/html"]
    assert excerpt_lines == _quoted(excerpt)


def _quoted(text):
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines() or [""])


def test_only_the_message_carries_a_mime_version_header(comment, site, urls):
    raw = notify(comment, site, urls).as_bytes()

    assert raw.count(b"MIME-Version:") == 1


def test_article_notification_subject_names_article_author_and_excerpt(comment, site, urls):
    subject = on_the_wire(notify(comment, site, urls))["Subject"]

    assert subject.startswith("New comment on “Council approves the new bridge” by Ana Lima: “I think the council")
    assert subject.endswith("…”")


def test_reply_notification_subject_says_who_replied(comment, site, urls):
    subject = on_the_wire(notify(comment, site, urls, kind="replies"))["Subject"]

    assert subject.startswith("Ana Lima replied on “Council approves the new bridge”: “I think")


def test_subject_excerpt_is_cut_at_a_word_boundary(comment, site, urls):
    subject = on_the_wire(notify(comment, site, urls))["Subject"]
    excerpt = subject.split(": “", 1)[1]

    assert len(excerpt) <= 62
    assert excerpt == "I think the council got this one wrong, and here is why…”"


def test_comment_without_text_gets_a_subject_without_an_empty_quote(comment, site, urls):
    silent = dataclasses.replace(comment, excerpt="   ", author_name="")
    subject = on_the_wire(notify(silent, site, urls))["Subject"]

    assert subject == "New comment on “Council approves the new bridge” by Someone"


def test_notification_carries_one_click_unsubscribe_and_list_headers(comment, site, urls):
    received = on_the_wire(notify(comment, site, urls, mailto="unsubscribe@news.example.org"))

    assert received["List-Unsubscribe"] == f"<{urls.unsubscribe}>, <mailto:unsubscribe@news.example.org>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["List-Id"] == "Example News article <article.news.example.org>"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["From"] == "Example News <comments@news.example.org>"
    assert received["To"] == READER
    assert received["X-Parley-Comment-Id"] == "42"


def test_list_unsubscribe_url_goes_out_verbatim_rather_than_as_encoded_words(comment, site, urls):
    # Python would otherwise fold this long header into =?utf-8?q?...?= words,
    # which mail providers do not decode there, silently breaking one-click unsubscribe.
    block = header_block(notify(comment, site, urls, mailto="unsubscribe@news.example.org"))

    assert f"List-Unsubscribe: <{urls.unsubscribe}>,\r\n <mailto:unsubscribe@news.example.org>".encode() in block
    assert b"=?" not in block.split(b"List-Unsubscribe:", 1)[1].split(b"\r\nList-Unsubscribe-Post")[0]


def test_mailto_is_optional_and_may_be_given_as_a_bare_address(comment, site, urls):
    without = on_the_wire(notify(comment, site, urls))
    bare = on_the_wire(notify(comment, site, urls, mailto="unsubscribe@news.example.org"))

    assert without["List-Unsubscribe"] == f"<{urls.unsubscribe}>"
    assert "<mailto:unsubscribe@news.example.org>" in bare["List-Unsubscribe"]


def test_reply_notifications_have_their_own_list_id(comment, site, urls):
    received = on_the_wire(notify(comment, site, urls, kind="replies"))

    assert received["List-Id"] == "Example News replies <replies.news.example.org>"


def test_every_message_gets_its_own_message_id_in_the_site_domain(comment, site, urls):
    ids = {notify(comment, site, urls)["Message-ID"] for _ in range(50)}

    assert len(ids) == 50
    assert all(re.fullmatch(r"<[^<>@\s]+@news\.example\.org>", message_id) for message_id in ids)


def test_date_header_uses_the_clock_given(comment, site, urls):
    sent = notify(comment, site, urls, now=datetime(2025, 3, 1, 12, 30, tzinfo=timezone.utc))

    assert sent["Date"] == "Sat, 01 Mar 2025 12:30:00 +0000"


def test_bare_from_address_is_shown_with_the_site_name(comment, site, urls):
    plain = dataclasses.replace(site, mail_from="comments@news.example.org")

    assert on_the_wire(notify(comment, plain, urls))["From"] == "Example News <comments@news.example.org>"


def test_headers_are_plain_ascii_so_no_smtputf8_is_needed(comment, site, urls):
    foreign = dataclasses.replace(comment, author_name="Zoë Ørsted", article_title="Brücke über die Spree")
    raw = notify(foreign, site, urls).as_bytes()

    assert raw.isascii()
    assert "Zoë Ørsted replied on “Brücke über die Spree”" in on_the_wire(notify(foreign, site, urls, kind="replies"))["Subject"]


# --- bodies --------------------------------------------------------------------------


def bodies(message):
    received = on_the_wire(message)
    return tuple(received.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


def test_both_bodies_link_to_the_comment_unsubscribe_and_manage_pages(comment, site, urls):
    text, html = bodies(notify(comment, site, urls))

    for body in (text, html):
        assert comment.comment_url in body
        assert urls.unsubscribe in body
        assert urls.manage in body
    assert ">Unsubscribe</a>" in html
    assert ">Manage my subscriptions</a>" in html
    assert "Manage my subscriptions: " in text


def test_text_body_quotes_every_line_of_the_excerpt(comment, site, urls):
    text, _ = bodies(notify(comment, site, urls))

    assert "> I think the council got this one wrong, and here is why.\n> Second line.\n" in text


def test_html_body_escapes_reader_supplied_text(comment, site, urls):
    hostile = dataclasses.replace(
        comment,
        author_name='<script>alert("name")</script>',
        excerpt='<img src=x onerror="alert(1)"> & more',
        article_title="<b>Title</b>",
    )
    _, html = bodies(notify(hostile, site, urls))

    assert "<script" not in html
    assert "<img" not in html
    assert "<b>Title" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; more" in html


def test_html_body_styles_inline_only(comment, site, urls):
    _, html = bodies(notify(comment, site, urls))

    assert "<style" not in html
    assert 'rel="stylesheet"' not in html
    assert 'style="' in html


@pytest.mark.parametrize("field", ["comment_url", "article_url"])
def test_links_that_are_not_http_are_refused(comment, site, urls, field):
    hostile = dataclasses.replace(comment, **{field: "javascript:alert(1)"})

    with pytest.raises(ValueError):
        notify(hostile, site, urls)


def test_unsubscribe_url_with_spaces_or_angle_brackets_is_refused(comment, site, urls):
    with pytest.raises(ValueError):
        notification_message(READER, comment, "article", "https://x.example/a> <b", None, urls.manage, site)


# --- addresses ------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["not an address", "a@b", "reader@example.com\r\nBcc: x@example.com", "jörg@example.com", ""])
def test_messages_to_invalid_addresses_are_refused(comment, site, urls, address):
    with pytest.raises(InvalidAddress):
        notify(comment, site, urls, to=address)


def test_internationalised_domains_are_addressed_in_punycode():
    assert normalize_address("leser@bücher.example") == "leser@xn--bcher-kva.example"


def test_site_config_refuses_a_bad_sender_address():
    with pytest.raises(InvalidAddress):
        SiteConfig("Example", "Example <nobody>", "example.org", "https://example.org")


@pytest.mark.parametrize("domain", ["localhost", "exa mple.org", "example.org>", "bad..example.org", "ex\u00e4mple.org"])
def test_site_config_refuses_a_list_id_domain_that_is_not_a_domain(domain):
    with pytest.raises(ValueError):
        SiteConfig("Example", "news@example.org", domain, "https://example.org")


# --- confirmation and digest ----------------------------------------------------------


def test_confirmation_asks_for_a_click_and_is_not_list_mail(site, urls):
    message = confirmation_message(READER, "replies", "Council approves the new bridge", urls.confirm, urls.manage, site)
    received = on_the_wire(message)
    text, html = bodies(message)

    assert received["Subject"] == "Confirm: email me replies to my comment on “Council approves the new bridge”"
    assert received["List-Unsubscribe"] is None
    assert received["Auto-Submitted"] == "auto-generated"
    assert urls.confirm in text and urls.confirm in html
    assert "works for 7 days" in text
    assert "ignore" in text


def test_confirmation_states_how_long_the_link_is_valid(site, urls):
    from datetime import timedelta

    message = confirmation_message(READER, "article", "A", urls.confirm, urls.manage, site, valid_for=timedelta(days=1))

    assert "works for 1 day." in bodies(message)[0]


def test_digest_counts_comments_and_groups_them_by_article(comment, site, urls):
    other_article = dataclasses.replace(
        comment, id=43, article_title="Budget 2026", article_url="https://news.example.org/articles/budget",
        comment_url="https://news.example.org/articles/budget#comment-43", author_name="Ben",
    )
    second_on_bridge = dataclasses.replace(comment, id=44, author_name="Chloé", comment_url=comment.comment_url[:-2] + "44")
    message = digest_message(READER, [comment, other_article, second_on_bridge], "daily", urls.unsubscribe_all, None, urls.manage, site)
    received = on_the_wire(message)
    text, html = bodies(message)

    assert received["Subject"] == "Daily digest: 3 new comments in 2 discussions on Example News"
    assert received["List-Id"] == "Example News digest <digest.news.example.org>"
    assert received["List-Unsubscribe"] == f"<{urls.unsubscribe_all}>"
    assert text.index("== Council approves the new bridge ==") < text.index("Chloé wrote:") < text.index("== Budget 2026 ==")
    for url in (comment.comment_url, other_article.comment_url, second_on_bridge.comment_url, urls.manage):
        assert url in text and url in html


def test_digest_on_one_article_names_it(comment, site, urls):
    message = digest_message(READER, [comment], "hourly", urls.unsubscribe_all, None, urls.manage, site)

    assert message["Subject"] == "Hourly digest: 1 new comment on “Council approves the new bridge”"


def test_an_empty_digest_is_refused(site, urls):
    with pytest.raises(ValueError):
        digest_message(READER, [], "daily", urls.unsubscribe_all, None, urls.manage, site)


# --- header injection -----------------------------------------------------------------


def test_header_text_turns_line_breaks_and_controls_into_single_spaces():
    assert header_text("Ana\r\nBcc: evil@example.com") == "Ana Bcc: evil@example.com"
    assert header_text("a\u2028b\u0085c\x00d\te\u202ef") == "a b c d e f"
    assert header_text("  spaced   out  ") == "spaced out"
    assert header_text("lone \ud800 surrogate") == "lone \ufffd surrogate"
    assert header_text("=?utf-8?q?=0D=0AX-Injected:_yes?=") == "= ?utf-8?q?=0D=0AX-Injected:_yes?="


HOSTILE_PIECES = ["\r\n", "\n", "\r", "\r\n\t", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\u202e",
                  "\ud83d", "Bcc: evil@example.com", "\r\nBcc: evil@example.com", "\nX-Injected: yes", ": ", "<", ">",
                  "\"", "=?utf-8?q?=0D=0AX-Injected:_yes?=", " " * 80, "é", "漢字", "🙂"]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=40)), max_size=12).map("".join)


def assert_headers_not_injected(message, expected_names):
    raw = message.as_bytes()
    block = raw.split(b"\r\n\r\n", 1)[0]
    for line in block.split(b"\r\n"):
        assert len(line) <= 998
        if not line[:1] in (b" ", b"\t"):
            assert line.split(b":", 1)[0].decode() in expected_names, line
    assert raw.isascii()
    received = message_from_bytes(raw, policy=policy.SMTP)
    assert list(received.keys()) == expected_names
    for name, value in received.items():
        assert "\r" not in str(value) and "\n" not in str(value), name
    # The email package may move a space next to an encoded-word; the words survive.
    assert "".join(str(received["Subject"]).split()) == "".join(str(message["Subject"]).split())


NOTIFICATION_HEADERS = [
    "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "X-Auto-Response-Suppress", "MIME-Version",
    "Content-Type", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "X-Parley-Comment-Id",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(author=hostile_text, title=hostile_text, excerpt=hostile_text, site_name=hostile_text, comment_id=hostile_text)
def test_no_reader_input_can_add_a_header_to_a_notification(site, urls, author, title, excerpt, site_name, comment_id):
    comment = NotifiedComment(comment_id, author, excerpt, title, "https://news.example.org/a", "https://news.example.org/a#c1")
    named = dataclasses.replace(site, name=site_name, mail_from="comments@news.example.org")

    for kind in ("article", "replies"):
        message = notification_message(READER, comment, kind, urls.unsubscribe, "unsubscribe@news.example.org", urls.manage, named)
        assert_headers_not_injected(message, NOTIFICATION_HEADERS)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(authors=st.lists(hostile_text, min_size=1, max_size=3), title=hostile_text, site_name=hostile_text)
def test_no_reader_input_can_add_a_header_to_a_digest(site, urls, authors, title, site_name):
    comments = [
        NotifiedComment(i, author, author, title + str(i % 2), f"https://news.example.org/a{i % 2}", f"https://news.example.org/a#c{i}")
        for i, author in enumerate(authors)
    ]
    named = dataclasses.replace(site, name=site_name, mail_from="comments@news.example.org")
    message = digest_message(READER, comments, "hourly", urls.unsubscribe_all, None, urls.manage, named)

    assert_headers_not_injected(message, [n for n in NOTIFICATION_HEADERS if n != "X-Parley-Comment-Id"])


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(title=hostile_text, site_name=hostile_text)
def test_no_reader_input_can_add_a_header_to_a_confirmation(site, urls, title, site_name):
    named = dataclasses.replace(site, name=site_name, mail_from="comments@news.example.org")
    message = confirmation_message(READER, "article", title, urls.confirm, urls.manage, named)

    assert_headers_not_injected(message, NOTIFICATION_HEADERS[:9])


def test_a_digest_is_hourly_or_daily_never_immediate(comment, site, urls):
    with pytest.raises(ValueError):
        digest_message(READER, [comment], "immediate", urls.unsubscribe_all, None, urls.manage, site)


def test_kinds_and_periods_are_the_models_enums(comment, site, urls):
    from services.notify.models import DeliveryMode, Kind

    message = notification_message(READER, comment, Kind.REPLIES, urls.unsubscribe, None, urls.manage, site)
    digest = digest_message(READER, [comment], DeliveryMode.DAILY, urls.unsubscribe_all, None, urls.manage, site)

    assert "replied on" in message["Subject"]
    assert digest["Subject"].startswith("Daily digest:")
    with pytest.raises(ValueError):
        notification_message(READER, comment, "everything", urls.unsubscribe, None, urls.manage, site)
