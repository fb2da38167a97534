"""A real SMTP server for integration, fault and browser tests.

`CapturingSmtpServer` keeps the messages it receives in memory and can be told to
refuse them with a chosen reply or to stop listening altogether, so tests drive
`SmtpMailer` and the workers through every answer a mail server can give.
"""

from __future__ import annotations

import enum
import socket
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SmtpStage(enum.StrEnum):
    MAIL = "MAIL"
    RCPT = "RCPT"
    DATA = "DATA"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage
    peer: Any  # the client's (host, port): equal for messages sent over one connection


class CapturingSmtpServer:
    """A real SMTP server on a free local port that records what it receives.

    Usage::

        with CapturingSmtpServer() as server:
            mailer = SmtpMailer(SmtpConfig(server.host, server.port))
            server.respond_with(451, stage=SmtpStage.RCPT, times=1)  # next RCPT is refused
            ...
            server.wait_for(1)        # blocks until one message arrived
            server.stop()             # connections are now refused
            server.start()            # same port again

    `respond_with` makes the chosen stage answer `code` (4xx or 5xx), `times`
    times or until `accept()`; `hang_up_after_data` keeps a message but drops
    the connection before the 250. `tls_context` offers STARTTLS (required), or with
    `implicit_tls` wraps the whole connection. With `credentials`
    ({user: password}) the server demands AUTH before MAIL.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: dict[str, str] | None = None,
    ):
        self.host = host
        self.port = port or _free_port(host)
        self._tls_context = tls_context
        self._implicit_tls = implicit_tls
        self._credentials = credentials
        self._received: list[ReceivedMail] = []
        self._fault: tuple[SmtpStage, str, int | None] | None = None
        self._hang_ups = 0
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    # control

    def start(self) -> CapturingSmtpServer:
        if self._controller is not None:
            return self
        kwargs: dict[str, Any] = {"server_hostname": "parley-test-smtp"}
        if self._tls_context is not None and self._implicit_tls:
            kwargs["ssl_context"] = self._tls_context
        elif self._tls_context is not None:
            kwargs.update(tls_context=self._tls_context, require_starttls=True)
        if self._credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self._tls_context is not None)
        # A stopped controller has closed its event loop, so each start needs a new one.
        self._controller = Controller(self, hostname=self.host, port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: from now on connections are refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def respond_with(self, code: int, text: str | None = None, *, stage: SmtpStage | str = SmtpStage.RCPT,
                     times: int | None = None) -> None:
        if not 400 <= code < 600:
            raise ValueError("respond_with takes a 4xx or 5xx code")
        reply = f"{code} {text or ('Try again later' if code < 500 else 'Rejected')}"
        with self._changed:
            self._fault = (SmtpStage(stage), reply, times)

    def accept(self) -> None:
        with self._changed:
            self._fault = None
            self._hang_ups = 0

    def hang_up_after_data(self, times: int = 1) -> None:
        """Keep the next message(s) but close the connection instead of answering 250:
        the sender cannot know the message arrived, the one case that may duplicate it."""
        with self._changed:
            self._hang_ups = times

    def __enter__(self) -> CapturingSmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # observation

    @property
    def received(self) -> list[ReceivedMail]:
        with self._changed:
            return list(self._received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [mail.message for mail in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Block until at least `count` messages arrived; raise TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._received) >= count, timeout):
                raise TimeoutError(f"expected {count} messages, got {len(self._received)}")
            return [mail.message for mail in self._received]

    def clear(self) -> None:
        with self._changed:
            self._received.clear()

    # aiosmtpd hooks, run on the server's thread

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if refusal := self._refusal(SmtpStage.MAIL):
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if refusal := self._refusal(SmtpStage.RCPT):
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if refusal := self._refusal(SmtpStage.DATA):
            return refusal
        data = envelope.original_content
        mail = ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), data,
                            message_from_bytes(data, policy=policy.default), session.peer)
        with self._changed:
            self._received.append(mail)
            self._changed.notify_all()
            hang_up, self._hang_ups = self._hang_ups > 0, max(0, self._hang_ups - 1)
        if hang_up:
            server.transport.close()
        return "250 Message accepted for delivery"

    def _refusal(self, stage: SmtpStage) -> str | None:
        with self._changed:
            if self._fault is None or self._fault[0] is not stage:
                return None
            _, reply, times = self._fault
            if times is not None:
                self._fault = (stage, reply, times - 1) if times > 1 else None
            return reply

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        valid = (
            isinstance(auth_data, LoginPassword)
            and self._credentials is not None
            and self._credentials.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=valid, handled=False)


def _free_port(host: str) -> int:
    # Probing leaves a moment in which another process could take the port; the
    # controller needs a fixed port before it starts, and keeps it across restarts.
    with socket.create_server((host, 0), family=socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        return probe.getsockname()[1]
