"""The widget embedded in a page of another site (another origin), as a news site would."""
from __future__ import annotations

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ARTICLE, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title>
<link rel="stylesheet" href="{api}/static/widget/parley-widget.css"></head>
<body><main><h1>A story on another site</h1><div id="story"><p id="p1">Some reporting.</p></div>
<div id="parley-comments" data-article="{article}" data-api="{api}" data-article-body="#story"
     data-policy="Be civil."></div></main>
<script type="module" src="{api}/static/widget/parley-widget.js"></script></body></html>
"""


@pytest.fixture
def embedder(site, tmp_path):
    (tmp_path / "story.html").write_text(PAGE.format(api=site.url, article=ARTICLE), encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", urlsplit(site.embedder).port),
                                 partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"{site.embedder}/story.html"
    server.shutdown()
    server.server_close()


def test_the_widget_works_on_an_allowed_origin(site, page, embedder):
    page.goto(embedder)
    expect(page.locator(".parley-thread > .parley-item").first).to_be_visible()
    form = page.locator("#parley-comments > form.parley-form")
    form.get_by_label("Your comment").fill("Read this on a partner site: who audits the agencies?")
    form.get_by_label("Name").fill("Remote Reader")
    form.get_by_label("Email").fill("remote@example.org")
    form.get_by_role("button", name="Post comment").click()
    expect(page.locator(".parley-notice")).to_contain_text("awaiting moderation")
    assert page.errors == []


def test_an_origin_not_in_the_allow_list_cannot_use_the_apis(site, page, embedder):
    """The same page from an origin CORS_ORIGINS does not name: the browser refuses the API
    answers, and the widget says the discussion cannot be loaded instead of breaking the page."""
    page.goto(embedder.replace("localhost", "127.0.0.1"))  # same port, another origin
    expect(page.locator("h1")).to_have_text("A story on another site")
    expect(page.locator("#parley-comments")).to_contain_text(re.compile("could not|unavailable|try again", re.IGNORECASE))
    expect(page.locator(".parley-thread > .parley-item")).to_have_count(0)
