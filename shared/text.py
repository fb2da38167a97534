"""Text helpers: slugs, HTML sanitising with explicit allow-lists, single-line header text."""
from __future__ import annotations

import re
import unicodedata

import nh3

_NON_WORD = re.compile(r"[^a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ud800-\udfff]")


def slugify(text: str, max_length: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "article"


def strip_control(text: str) -> str:
    """Drop control characters (keeping tab and newlines) and lone surrogates (from JSON
    escapes): they have no place in user text and PostgreSQL refuses NUL and invalid UTF-8."""
    return _CONTROL.sub("", text)


def sanitize_html(html: str, tags: set[str], attributes: dict[str, set[str]]) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes=attributes,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    )


def html_to_text(html: str) -> str:
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()
