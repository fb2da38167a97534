"""Signed links in notification emails: confirm, unsubscribe, manage.

The token in the URL is the only authorisation these pages have (no login, no
cookie), so each purpose signs with its own salt: a confirmation token cannot
be replayed as an unsubscribe token or the other way round. The serialiser
also records when it signed, which lets confirm and manage links expire while
unsubscribe links keep working for as long as the mail sits in an inbox.

The clock is injected so tests can age a link without sleeping.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SubscriptionId = int | str
SecretKey = str | bytes | Sequence[str | bytes]


class InvalidLink(Exception):
    """The token was not made by us for this purpose (tampered, truncated, wrong kind)."""


class ExpiredLink(InvalidLink):
    """The token is authentic but older than its purpose allows."""


class LinkPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    UNSUBSCRIBE_ALL = "unsubscribe-all"
    MANAGE = "manage"


class _ClockedSigner(TimestampSigner):
    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


@dataclass(frozen=True)
class SignedLinks:
    """Make and check the signed URLs under `{public_base_url}/api/subscriptions/`.

    `secret_key` may be a list of keys, newest last, to rotate keys without
    breaking links already sent.
    """

    secret_key: SecretKey
    public_base_url: str
    confirm_max_age: timedelta = timedelta(days=7)
    manage_max_age: timedelta = timedelta(days=30)
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not self.secret_key:
            raise ValueError("secret_key must not be empty")
        if not self.public_base_url.startswith(("https://", "http://")):
            raise ValueError(f"public_base_url must be an http(s) URL, got {self.public_base_url!r}")

    # --- URLs -----------------------------------------------------------------

    def confirm_url(self, subscription_id: SubscriptionId) -> str:
        return self._url(LinkPurpose.CONFIRM, subscription_id)

    def unsubscribe_url(self, subscription_id: SubscriptionId) -> str:
        return self._url(LinkPurpose.UNSUBSCRIBE, subscription_id)

    def unsubscribe_all_url(self, email: str) -> str:
        """One-click target for mail that is not tied to one subscription (digests)."""
        return self._url(LinkPurpose.UNSUBSCRIBE_ALL, email)

    def manage_url(self, email: str) -> str:
        return self._url(LinkPurpose.MANAGE, email)

    # --- tokens ---------------------------------------------------------------

    def load_confirm(self, token: str) -> SubscriptionId:
        return self._load(LinkPurpose.CONFIRM, token, self.confirm_max_age, (int, str))

    def load_unsubscribe(self, token: str) -> SubscriptionId:
        return self._load(LinkPurpose.UNSUBSCRIBE, token, None, (int, str))

    def load_unsubscribe_all(self, token: str) -> str:
        return self._load(LinkPurpose.UNSUBSCRIBE_ALL, token, None, (str,))

    def load_manage(self, token: str) -> str:
        return self._load(LinkPurpose.MANAGE, token, self.manage_max_age, (str,))

    def token(self, purpose: LinkPurpose, value: SubscriptionId) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"link values are subscription ids or addresses, got {type(value).__name__}")
        return self._serializer(purpose).dumps(value)

    def _url(self, purpose: LinkPurpose, value: SubscriptionId) -> str:
        return f"{self.public_base_url.rstrip('/')}/api/subscriptions/{purpose.value}/{self.token(purpose, value)}"

    def _load(self, purpose: LinkPurpose, token: str, max_age: timedelta | None, types: tuple[type, ...]) -> Any:
        seconds = None if max_age is None else int(max_age.total_seconds())
        try:
            value = self._serializer(purpose).loads(token, max_age=seconds)
        except SignatureExpired as exc:
            raise ExpiredLink(f"this {purpose.value} link has expired") from exc
        except BadData as exc:
            raise InvalidLink(f"this is not a valid {purpose.value} link") from exc
        if isinstance(value, bool) or not isinstance(value, types):
            raise InvalidLink(f"this is not a valid {purpose.value} link")
        return value

    def _serializer(self, purpose: LinkPurpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self.secret_key,
            salt=f"parley.notify.{purpose.value}",
            signer=_ClockedSigner,
            signer_kwargs={"clock": self.clock},
        )
