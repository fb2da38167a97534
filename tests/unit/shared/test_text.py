from services.articles.handlers import sanitize_body
from shared.text import slugify


def test_slug_is_derived_from_a_title_with_accents_and_punctuation():
    assert slugify("North Korea’s Secret Slave Gangs — Abroad!") == "north-koreas-secret-slave-gangs-abroad"
    assert slugify("Türk urges review") == "turk-urges-review"


def test_article_body_keeps_allowed_tags_and_numbers_paragraphs():
    html = sanitize_body('<p>One</p><script>x()</script><p onclick="y()">Two <a href="javascript:z()">l</a></p>')
    assert html.startswith('<p id="p1">One</p>') and '<p id="p2">' in html
    assert "script" not in html and "onclick" not in html and "javascript" not in html


# -- display names (issue 20: invisible names were published, CR and LF kept) --------------

import pytest  # noqa: E402

from shared.text import display_name  # noqa: E402


@pytest.mark.parametrize("raw", ["\u200b", "\u200d\u200b\u2060", " \ufeff ", "\u202e\u202c", "\r\n\t"])
def test_a_name_of_invisible_characters_is_empty(raw):
    assert display_name(raw) == ""


@pytest.mark.parametrize("raw, shown", [
    ("Ann\r\nSmith", "Ann Smith"),
    ("  Nora \u2028 Reader ", "Nora Reader"),
    ("Zo\u200be", "Zoe"),
    ("e\u0301mile", "\u00e9mile"),  # NFC: one character, as typed on another keyboard
    ("\u202eevil\u202c", "evil"),  # bidi overrides cannot reverse what follows on the page
])
def test_a_name_is_normalised_to_what_a_reader_sees(raw, shown):
    assert display_name(raw) == shown


@pytest.mark.parametrize("word", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, ZWNJ inside a word
                                  "\U0001f469\u200d\U0001f4bb"])  # an emoji sequence joined by ZWJ
def test_a_joiner_inside_a_real_word_is_kept(word):
    assert display_name(word) == word
    assert display_name("\u200d" + word + "\u200d") == word  # but not at its ends
