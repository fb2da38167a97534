"""Compose the emails notify sends, and render its small HTML pages.

Every message is multipart/alternative (text, then HTML) rendered from the
Jinja2 templates next to this module, with autoescaping on for HTML.

Author names, article titles and excerpts come from readers. Before any of
them reaches a header, `header_text` collapses control characters, line
breaks and runs of whitespace into single spaces and defuses "=?", so no
input can start a new header line. The `email` package refuses a literal CR
or LF, but it decodes an encoded-word such as "=?utf-8?q?=0D=0AX:_y?=" found
in plain text and (on Python 3.11.7 at least) writes the decoded line break
back out as a real one.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.notify.models import DeliveryMode, Kind


class _SharedHeaderRegistry(HeaderRegistry):
    """Parsed headers are immutable, so one parse serves every message with that value.

    Serialising re-reads each part's Content-Type; with thousands of identical
    parts per fan-out, parsing them once matters.
    """

    def __call__(self, name: str, value: Any) -> Any:
        return self._parsed(name, value) if isinstance(value, str) else super().__call__(name, value)

    @functools.lru_cache(maxsize=1024)
    def _parsed(self, name: str, value: str) -> Any:
        return super().__call__(name, value)


# Headers we set as raw text are already folded by us. Refolding them would turn
# a long List-Unsubscribe URL into RFC 2047 encoded-words, which mail clients do
# not decode in that header, breaking one-click unsubscribe.
MESSAGE_POLICY = policy.SMTP.clone(refold_source="none", header_factory=_SharedHeaderRegistry())

# Quoted-printable bodies never contain "=_", so this boundary cannot occur in a
# part; one per process lets the parsed Content-Type be shared like other headers.
_BOUNDARY = f"=_parley_{secrets.token_hex(12)}"
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Lone surrogates arrive through JSON escapes and cannot be encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
_URL_FORBIDDEN = frozenset(' <>"\'\\`{}|^')


class InvalidAddress(ValueError):
    """Not an address we can send to (syntax, or it would need SMTPUTF8)."""


def normalize_address(address: str) -> str:
    """The ASCII form we store and send to; raises `InvalidAddress`.

    Addresses whose local part needs SMTPUTF8 are refused, since not every
    relay carries them; internationalised domains become punycode.
    """
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from exc


@dataclass(frozen=True)
class SiteConfig:
    name: str
    mail_from: str  # "news@example.org" or "Example News <news@example.org>"
    list_id_domain: str
    public_base_url: str

    def __post_init__(self) -> None:
        labels = self.list_id_domain.split(".")
        if len(labels) < 2 or not all(label and label.replace("-", "").isalnum() and label.isascii() for label in labels):
            raise ValueError(f"list_id_domain must be an ASCII domain name, got {self.list_id_domain!r}")
        _checked_url(self.public_base_url)
        normalize_address(parseaddr(self.mail_from)[1])

    @functools.cached_property
    def sender(self) -> Address:
        display_name, address = parseaddr(self.mail_from)
        local, _, domain = normalize_address(address).rpartition("@")
        return Address(header_text(display_name or self.name, 80), local, domain)


@dataclass(frozen=True)
class NotifiedComment:
    id: int | str
    author_name: str
    excerpt: str
    article_title: str
    article_url: str
    comment_url: str


def header_text(value: str, limit: int | None = None) -> str:
    """One line of text safe for a header: no control, line-break or bidi characters,
    and nothing that a mail parser would decode as an encoded-word."""
    chars = []
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            chars.append("\ufffd")
        elif category in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            chars.append(" ")
        else:
            chars.append(char)
    # "=?" starts an RFC 2047 encoded-word; Python decodes one found in plain text
    # and may re-emit the CR LF it hides as a real line break.
    text = " ".join("".join(chars).split()).replace("=?", "= ?")
    return shorten(text, limit) if limit else text


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary near `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def confirmation_message(
    to: str,
    kind: Kind | str,
    article_title: str,
    confirm_url: str,
    manage_url: str,
    site: SiteConfig,
    *,
    valid_for: timedelta = timedelta(days=7),
    now: datetime | None = None,
) -> EmailMessage:
    """Ask the address owner to confirm a new subscription (double opt-in)."""
    kind = Kind(kind)
    title = header_text(article_title, 80)
    wanted = "new comments on" if kind is Kind.ARTICLE else "replies to my comment on"
    context = dict(
        kind=kind.value, article_title=article_title, confirm_url=_checked_url(confirm_url),
        manage_url=_checked_url(manage_url), site=site, valid_days=max(1, valid_for.days),
    )
    return _compose(to, f"Confirm: email me {wanted} “{title}”", "confirmation", context, site, now)


def notification_message(
    to: str,
    comment: NotifiedComment,
    kind: Kind | str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None,
    manage_url: str,
    site: SiteConfig,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """One new approved comment. `kind` is the matching subscription's; when
    several match, pass the most specific one (replies) and its unsubscribe URL."""
    kind = Kind(kind)
    author = header_text(comment.author_name, 40) or "Someone"
    title = header_text(comment.article_title, 80)
    excerpt = header_text(comment.excerpt, 60)
    if kind is Kind.REPLIES:
        subject = f"{author} replied on “{title}”"
    else:
        subject = f"New comment on “{title}” by {author}"
    if excerpt:
        subject += f": “{excerpt}”"
    _check_links([comment])
    context = dict(
        kind=kind.value, comment=comment, author=header_text(comment.author_name) or "Someone",
        unsubscribe_url=_checked_url(unsubscribe_url), manage_url=_checked_url(manage_url), site=site,
    )
    message = _compose(to, subject, "notification", context, site, now)
    _add_list_headers(message, site, kind.value, unsubscribe_url, unsubscribe_mailto)
    message.set_raw("X-Parley-Comment-Id", _header("X-Parley-Comment-Id", header_text(str(comment.id), 64)))
    return message


def digest_message(
    to: str,
    comments: Sequence[NotifiedComment],
    period: DeliveryMode | str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None,
    manage_url: str,
    site: SiteConfig,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """Several comments in one mail; `unsubscribe_url` should stop all mail to the
    address (see `SignedLinks.unsubscribe_all_url`), as a digest spans subscriptions."""
    if not comments:
        raise ValueError("a digest needs at least one comment")
    period = DeliveryMode(period)
    if period is DeliveryMode.IMMEDIATE:
        raise ValueError("a digest is hourly or daily")
    discussions = _by_article(comments)
    count = f"{len(comments)} new comment{'s' if len(comments) != 1 else ''}"
    if len(discussions) == 1:
        subject = f"{count} on “{header_text(comments[0].article_title, 80)}”"
    else:
        subject = f"{count} in {len(discussions)} discussions on {header_text(site.name, 60)}"
    _check_links(comments)
    context = dict(
        period=period.value, discussions=discussions, count=len(comments),
        unsubscribe_url=_checked_url(unsubscribe_url), manage_url=_checked_url(manage_url), site=site,
    )
    message = _compose(to, f"{period.value.capitalize()} digest: {subject}", "digest", context, site, now)
    _add_list_headers(message, site, "digest", unsubscribe_url, unsubscribe_mailto)
    return message


def render_page(template: str, **context: Any) -> str:
    """Render a page by its path under templates/, as Flask's `render_template` would:
    "pages/confirm.html", "pages/unsubscribe.html", "pages/manage.html" or
    "pages/done.html". Each template's header comment lists the variables it expects."""
    if not template.startswith("pages/"):
        raise ValueError(f"{template!r} is not a page template")
    return _templates().get_template(template).render(**context)


def _compose(to: str, subject: str, template: str, context: dict[str, Any], site: SiteConfig, now: datetime | None) -> EmailMessage:
    """Assemble the message by hand rather than with `set_content`.

    A new comment on a busy article fans out to thousands of addresses, and the
    email package's header parsing and folding dominated the cost. So every
    header is stored raw: those carrying text are encoded and folded once per
    distinct value (`_header`), those built from validated ASCII (addresses,
    dates, ids) are written as they are; bodies are quoted-printable encoded
    by `binascii`.
    """
    to = normalize_address(to)
    context["to"] = to
    subject = header_text(subject)
    environment = _templates()
    text = environment.get_template(f"email/{template}.txt").render(**context)
    html = environment.get_template(f"email/{template}.html").render(subject=subject, **context)

    message = EmailMessage(policy=MESSAGE_POLICY)
    message.set_raw("Subject", _header("Subject", subject))
    message.set_raw("From", _header("From", str(site.sender)))
    message.set_raw("To", to)
    message.set_raw("Date", format_datetime(now or datetime.now(timezone.utc)))
    message.set_raw("Message-ID", make_msgid(domain=site.list_id_domain))
    message.set_raw("Auto-Submitted", "auto-generated")
    # Asks Exchange not to send out-of-office and other automatic replies.
    message.set_raw("X-Auto-Response-Suppress", "All")
    message.set_raw("MIME-Version", "1.0")
    message.set_raw("Content-Type", f'multipart/alternative; boundary="{_BOUNDARY}"')
    message.set_payload([_text_part(text, "plain"), _text_part(html, "html")])
    return message


def _text_part(body: str, subtype: str) -> MIMEPart:
    part = MIMEPart(policy=MESSAGE_POLICY)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", "quoted-printable")
    lines = _SURROGATE.sub("\ufffd", body).encode("utf-8").splitlines()
    part.set_payload(binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).decode("ascii"))
    return part


@functools.lru_cache(maxsize=512)
def _header(name: str, value: str) -> str:
    """`value` encoded and folded as the email package would, once per distinct value.

    Stored with `set_raw`, the result is written out verbatim (MESSAGE_POLICY
    does not refold raw headers) and parsed only if someone reads it back.
    """
    header = MESSAGE_POLICY.header_store_parse(name, value)[1]  # raises on CR or LF
    return header.fold(policy=MESSAGE_POLICY).split(":", 1)[1].removeprefix(" ").rstrip("\r\n")


def _add_list_headers(message: EmailMessage, site: SiteConfig, label: str, url: str, mailto: str | None) -> None:
    # RFC 2919 phrase: drop the characters that would need quoting rather than quote.
    description = "".join(" " if c in '()<>@,;:\\".[]' else c for c in header_text(site.name, 60))
    phrase = " ".join([*description.split(), label])
    message.set_raw("List-Id", _header("List-Id", f"{phrase} <{label}.{site.list_id_domain}>"))
    targets = [f"<{_checked_url(url)}>"]
    if mailto:
        targets.append(f"<{_checked_mailto(mailto)}>")
    # Raw and pre-folded: see MESSAGE_POLICY. Both values were checked above to be
    # free of whitespace and control characters.
    message.set_raw("List-Unsubscribe", ",\r\n ".join(targets))
    message.set_raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")


def _checked_url(url: str) -> str:
    if not url.startswith(("https://", "http://")) or _unsafe_in_header(url):
        raise ValueError(f"not an http(s) URL usable in mail: {url!r}")
    return url


def _check_links(comments: Iterable[NotifiedComment]) -> None:
    for comment in comments:
        _checked_url(comment.article_url)
        _checked_url(comment.comment_url)


def _checked_mailto(mailto: str) -> str:
    if not mailto.startswith("mailto:"):
        mailto = f"mailto:{mailto}"
    address = mailto[len("mailto:") :].partition("?")[0]
    normalize_address(address)
    if _unsafe_in_header(mailto):
        raise ValueError(f"not a mailto URI usable in mail: {mailto!r}")
    return mailto


def _unsafe_in_header(value: str) -> bool:
    return not value.isascii() or any(c in _URL_FORBIDDEN or not c.isprintable() for c in value)


def _by_article(comments: Iterable[NotifiedComment]) -> list[dict[str, Any]]:
    """Group by article, keeping the order in which articles first appear."""
    groups: dict[str, dict[str, Any]] = {}
    for comment in comments:
        group = groups.setdefault(comment.article_url, {"title": comment.article_title, "url": comment.article_url, "comments": []})
        group["comments"].append(comment)
    return list(groups.values())


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines() or [""])


@functools.cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("services.notify", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["quote"] = _quote
    environment.filters["oneline"] = header_text
    return environment
