"""The demo site's pages as a new reader first sees them (issue 19, the two visible defects)."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTICLE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NO_IMAGE = "un-rights-chief-libya-coast-guard"  # the demo story with no hero image and no source URL
# words a missing field turns into when code prints it instead of leaving it out
MISSING = re.compile(r"\b(null|undefined|NaN|\[object Object\])\b")


def test_an_article_card_without_an_image_takes_the_whole_width(site, page):
    page.goto(site.url + "/", wait_until="domcontentloaded")
    card = page.locator("li.card", has=page.locator(f'a[href="/articles/{NO_IMAGE}"]')).first
    card.wait_for()
    assert card.locator(".card-image").count() == 0
    card_box, text_box = card.bounding_box(), card.locator(".card-text").bounding_box()
    assert text_box["width"] >= 0.95 * card_box["width"], (text_box, card_box)
    # a card with a picture keeps its two columns
    pictured = page.locator("li.card", has=page.locator(f'a[href="/articles/{ARTICLE}"]')).first
    assert pictured.locator(".card-text").bounding_box()["width"] < 0.8 * pictured.bounding_box()["width"]


def _visible_text_problems(page) -> list[str]:
    text = page.evaluate("() => document.body.innerText")
    problems = [f"{m.group(0)!r} in {text[max(0, m.start() - 40):m.end() + 20]!r}" for m in MISSING.finditer(text)]
    # a label with nothing after it ("News source: " and then nothing)
    empty = page.evaluate("""() => [...document.querySelectorAll('.meta-label')]
        .filter((label) => !label.parentElement.textContent.replace(label.textContent, '').trim())
        .map((label) => label.textContent)""")
    return problems + [f"empty label {label!r}" for label in empty]


def test_no_page_of_the_demo_site_shows_a_missing_field(site, page):
    page.goto(site.url + "/", wait_until="domcontentloaded")
    page.locator("li.card").first.wait_for()
    slugs = page.eval_on_selector_all("li.card h2 a", "links => links.map((a) => a.getAttribute('href'))")
    assert len(slugs) >= 2
    problems = {"/": _visible_text_problems(page)}
    for href in slugs:
        page.goto(site.url + href, wait_until="domcontentloaded")
        page.locator("#story-meta li").first.wait_for()
        page.locator("#parley-comments form").first.wait_for()
        problems[href] = _visible_text_problems(page)
    page.goto(site.url + "/moderate", wait_until="domcontentloaded")
    page.wait_for_load_state("networkidle")
    problems["/moderate"] = _visible_text_problems(page)
    assert not any(problems.values()), problems
    # the story with a source name and no link shows the name alone
    page.goto(site.article_url(NO_IMAGE), wait_until="domcontentloaded")
    page.locator("#story-meta li").first.wait_for()
    meta = page.locator("#story-meta").inner_text()
    assert re.search(r"News source:\s*UN News(\n|$)", meta), meta
