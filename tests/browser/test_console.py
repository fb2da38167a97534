"""A moderator clears the queue from the console; readers see the outcome without reloading.
Also the axe-core accessibility checks of the article page and the console."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.browser.conftest import ARTICLE, SCREENSHOTS, expect, open_article, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def post_comment(site, body, name="Rude Reader", email="rude@example.org"):
    req = urllib.request.Request(f"{site.url}/api/comments", method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"article": ARTICLE, "author_name": name, "author_email": email,
                                                  "body": body}).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def sign_in(page, site):
    page.goto(f"{site.url}/moderate", wait_until="domcontentloaded")
    page.get_by_label("Moderator token").fill(site.moderator_token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#console")).to_be_visible()


def wait_in_queue(page, text, timeout_s=30):
    item = page.locator(".queue-item", has_text=text)
    for _ in range(timeout_s * 2):
        if item.count():
            return item
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Refresh").click()
    raise AssertionError(f"{text!r} never reached the queue")


def test_moderator_approves_a_held_comment_and_it_appears_for_readers_without_reload(site, context, browser):
    reader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    open_article(reader, site)
    held = post_comment(site, "Honestly, whoever wrote the first comment, you are an idiot.")
    assert held["status"] == "pending"

    console = context.new_page()
    sign_in(console, site)
    item = wait_in_queue(console, "you are an idiot")
    # the spans behind the verdict are highlighted (the learned check adds its own words)
    expect(item.locator("mark", has_text="idiot").first).to_be_visible()
    expect(item).to_contain_text("rude@example.org")
    expect(item).to_contain_text("personal_attack")
    expect(item).to_contain_text("North Korea")  # the article's title
    console.screenshot(path=str(SCREENSHOTS / "console.png"), full_page=True)

    item.focus()
    console.keyboard.press("a")
    expect(console.locator("#console-status")).to_contain_text("approved")
    expect(console.locator(".queue-item", has_text="you are an idiot")).to_have_count(0)
    expect(console.locator("#log")).to_contain_text(f"#{held['id']}")

    expect(reader.locator(".parley-item", has_text="you are an idiot")).to_be_visible(timeout=20_000)
    reader.context.close()


def test_bulk_reject_and_keyboard_navigation(site, page):
    for n in (1, 2):
        post_comment(site, f"Shut up, idiot number {n}.", email=f"bulk{n}@example.org")
    sign_in(page, site)
    wait_in_queue(page, "idiot number 2")
    first = page.locator(".queue-item", has_text="idiot number 1")
    first.focus()
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator(".select:checked")).to_have_count(2)
    page.get_by_role("button", name="Reject selected").click()
    expect(page.locator("#console-status")).to_contain_text("2 comments rejected")
    expect(page.locator(".queue-item", has_text="idiot number")).to_have_count(0)


def test_the_article_page_and_the_console_have_no_serious_accessibility_violations(site, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # lets axe be injected
    page = ctx.new_page()
    open_article(page, site)
    assert run_axe(page) == []
    post_comment(site, "You idiot, read it again.", email="axe@example.org")
    sign_in(page, site)
    wait_in_queue(page, "read it again")
    assert run_axe(page) == []
    ctx.close()
