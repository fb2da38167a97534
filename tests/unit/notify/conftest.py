from types import SimpleNamespace

import pytest

from services.notify.messages import NotifiedComment, SiteConfig

BASE = "https://news.example.org"


@pytest.fixture
def site():
    return SiteConfig(
        name="Example News",
        mail_from="Example News <comments@news.example.org>",
        list_id_domain="news.example.org",
        public_base_url=BASE,
    )


@pytest.fixture
def comment():
    return NotifiedComment(
        id=42,
        author_name="Ana Lima",
        excerpt="I think the council got this one wrong, and here is why.\nSecond line.",
        article_title="Council approves the new bridge",
        article_url=f"{BASE}/articles/new-bridge",
        comment_url=f"{BASE}/articles/new-bridge#comment-42",
    )


@pytest.fixture
def urls():
    """Links as long as real signed ones, so header folding is exercised."""
    return SimpleNamespace(
        unsubscribe=f"{BASE}/api/subscriptions/unsubscribe/MTIz.aGVsbG8td29ybGQtdGhpcy1pcy1sb25n.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2g",
        manage=f"{BASE}/api/subscriptions/manage/InJlYWRlckBleGFtcGxlLmNvbSI.Z0x1bA.c2lnbmF0dXJl",
        confirm=f"{BASE}/api/subscriptions/confirm/MTIz.Z0x1bA.c2lnbmF0dXJl",
        unsubscribe_all=f"{BASE}/api/subscriptions/unsubscribe-all/InJlYWRlckBleGFtcGxlLmNvbSI.Z0x1bA.c2lnbmF0dXJl",
    )
