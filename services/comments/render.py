"""Comment Markdown to safe HTML: markdown-it with raw HTML off, then an nh3 allow-list."""
from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

from shared.text import sanitize_html

TAGS = {"p", "br", "strong", "em", "a", "code", "pre", "blockquote", "ul", "ol", "li", "del"}
ATTRIBUTES = {"a": {"href", "title"}}


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # images are off: a comment must not make readers' browsers fetch third-party pixels
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).disable("image")


def render_markdown(text: str) -> str:
    return sanitize_html(_md().render(text), TAGS, ATTRIBUTES)


def excerpt(text: str, length: int = 160) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"[*_`>#\[\]]", "", text)).strip()
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
