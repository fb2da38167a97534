from services.articles.handlers import sanitize_body
from shared.text import slugify


def test_slug_is_derived_from_a_title_with_accents_and_punctuation():
    assert slugify("North Korea’s Secret Slave Gangs — Abroad!") == "north-koreas-secret-slave-gangs-abroad"
    assert slugify("Türk urges review") == "turk-urges-review"


def test_article_body_keeps_allowed_tags_and_numbers_paragraphs():
    html = sanitize_body('<p>One</p><script>x()</script><p onclick="y()">Two <a href="javascript:z()">l</a></p>')
    assert html.startswith('<p id="p1">One</p>') and '<p id="p2">' in html
    assert "script" not in html and "onclick" not in html and "javascript" not in html
