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


_JOINERS = {"\u200c", "\u200d"}  # zero-width non-joiner and joiner: part of how some scripts and emoji are written
_VISIBLE = ("L", "M", "N", "S", "P")


def display_name(text: str) -> str:
    """A name as others will see it: NFC, every control and format character dropped (CR, LF,
    zero-width spaces, word joiners, bidi overrides) except a zero-width (non-)joiner between
    two visible characters, where it belongs to the word (Persian, Indic scripts, emoji
    sequences), and runs of white space as one space. An empty result means the name had
    nothing a reader could see; the caller refuses it."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for i, char in enumerate(text):
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            if char in _JOINERS and 0 < i < len(text) - 1 and out and out[-1][:1] != " " and \
                    unicodedata.category(out[-1][-1])[0] in _VISIBLE and \
                    unicodedata.category(text[i + 1])[0] in _VISIBLE:
                out.append(char)
            elif char in "\t\r\n" or category in ("Zl", "Zp"):
                out.append(" ")
            continue
        out.append(" " if char.isspace() else char)
    return " ".join("".join(out).split())


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
