"""Sending mail: one small interface, a real SMTP implementation and two fakes.

Handlers depend on `Mailer` only. Which implementation they get is decided by
`MAIL_BACKEND` through `make_mailer`, so tests use `MemoryMailer` through the
same injection path as production uses `SmtpMailer`.

Every failure that leaves `send` is either a `TransientMailError` (try again
later) or a `PermanentMailError` (the server refused this recipient or this
message; trying again will not help). The task layer retries the first and
suppresses the address on the second, so the split decides whether a reader
keeps getting mail: anything that is not clearly the recipient's fault is
transient, because a misclassified server problem would otherwise suppress
every address it touches.
"""

from __future__ import annotations

import enum
import os
import smtplib
import ssl
import sys
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Protocol, TextIO

import structlog

log = structlog.get_logger(__name__)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand `message` (exactly one recipient) to the mail system."""


class MailError(Exception):
    """Base for failures the caller must act on."""

    def __init__(self, reason: str, *, code: int | None = None, recipient: str | None = None):
        super().__init__(reason if code is None else f"{code} {reason}")
        self.reason = reason
        self.code = code
        self.recipient = recipient


class TransientMailError(MailError):
    """Try again later: 4xx replies, refused or dropped connections, timeouts,
    and server-side problems that are not about the recipient (authentication,
    TLS, a rejected sender), which an operator has to fix."""


class PermanentMailError(MailError):
    """The server answered 5xx to this recipient or to this message."""

    code: int
    recipient: str

    def __init__(self, reason: str, *, code: int, recipient: str):
        super().__init__(reason, code=code, recipient=recipient)


class SmtpSecurity(enum.StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: SmtpSecurity = SmtpSecurity.NONE
    timeout: float = 30.0
    # None means the system's trust store; tests pass one that trusts their own certificate.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


class MailBackend(enum.StrEnum):
    SMTP = "smtp"
    CONSOLE = "console"
    MEMORY = "memory"


def make_mailer(backend: str | MailBackend, config: SmtpConfig | None = None) -> Mailer:
    """Pick the implementation named by `MAIL_BACKEND`."""
    try:
        backend = MailBackend(backend)
    except ValueError:
        choices = ", ".join(b.value for b in MailBackend)
        raise ValueError(f"unknown mail backend {backend!r}; choose one of {choices}") from None
    if backend is MailBackend.SMTP:
        if config is None:
            raise ValueError("the smtp mail backend needs an SmtpConfig")
        return SmtpMailer(config)
    if backend is MailBackend.CONSOLE:
        return ConsoleMailer()
    return MemoryMailer()


def envelope_of(message: EmailMessage) -> tuple[str, str]:
    """Return (sender, recipient) and insist on exactly one recipient.

    One recipient per message keeps failures unambiguous: a 5xx names the one
    address to suppress, and a retry can never re-send to someone who already
    accepted the message.
    """
    # Raw values: addresses are all we need, and parsing every header object is slow.
    raw: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        raw.setdefault(name.lower(), []).append(str(value))
    senders = [addr for _, addr in getaddresses(raw.get("from", [])) if addr]
    recipients = [addr for name in ("to", "cc", "bcc") for _, addr in getaddresses(raw.get(name, [])) if addr]
    if len(senders) != 1:
        raise ValueError(f"a message needs exactly one From address, got {len(senders)}")
    if len(recipients) != 1:
        raise ValueError(f"a message needs exactly one recipient, got {len(recipients)}")
    return senders[0], recipients[0]


def mail_error_from(exc: BaseException, recipient: str) -> MailError | None:
    """Classify an exception raised while talking SMTP; None if it is not a mail failure.

    None means a programming error (a bad message, a bug); the caller lets the
    original exception propagate.
    """
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = exc.recipients.get(recipient) or next(iter(exc.recipients.values()))
        # RFC 5321 4.5.3.1.10: a 552 to RCPT means "too many recipients / over quota
        # for now" and clients should treat it as 452.
        if 500 <= code < 600 and code != 552:
            return PermanentMailError(_text(reply), code=code, recipient=recipient)
        return TransientMailError(_text(reply), code=code, recipient=recipient)
    if isinstance(exc, smtplib.SMTPDataError):
        if 500 <= exc.smtp_code < 600:
            return PermanentMailError(_text(exc.smtp_error), code=exc.smtp_code, recipient=recipient)
        return TransientMailError(_text(exc.smtp_error), code=exc.smtp_code, recipient=recipient)
    if isinstance(exc, smtplib.SMTPResponseException):
        # Greeting, HELO, AUTH, STARTTLS, MAIL FROM: the server's or our configuration's
        # problem, never the recipient's.
        return TransientMailError(_text(exc.smtp_error), code=exc.smtp_code, recipient=recipient)
    if isinstance(exc, (smtplib.SMTPException, OSError)):
        # Disconnects, refused connections, timeouts (TimeoutError is an OSError), TLS errors.
        return TransientMailError(f"{type(exc).__name__}: {exc}", recipient=recipient)
    return None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class SmtpMailer:
    """Send through an SMTP server, reusing one connection between messages.

    Safe in a Celery worker: a lock serialises sends within the process, and a
    connection inherited through fork is abandoned rather than shared, because
    two processes writing to one socket would interleave their transactions.

    A reused connection may have been closed by the server while idle. That
    shows at MAIL FROM, before the server has anything to deliver, so the
    transaction is started once more on a new connection. Any later failure
    is never retried here: if the server stored the message but its "250" was
    lost, only the caller's retry policy may decide to send again. That lost
    reply is the one window in which a message can arrive twice.
    """

    def __init__(self, config: SmtpConfig):
        self.config = config
        self._lock = threading.Lock()
        self._connection: smtplib.SMTP | None = None
        self._owner_pid: int | None = None

    def send(self, message: EmailMessage) -> None:
        sender, recipient = envelope_of(message)
        data = message.as_bytes()
        if not data.isascii():
            # Everything messages.py builds is 7-bit; 8-bit would need BODY=8BITMIME or SMTPUTF8.
            raise ValueError("SmtpMailer sends 7-bit messages only")
        with self._lock:
            try:
                self._transaction(sender, recipient, data)
            except Exception as exc:
                error = mail_error_from(exc, recipient)
                refused = isinstance(exc, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))
                if not refused or not self._reset():
                    self._drop()
                if error is None:
                    raise
                log.warning("mail.failed", error=str(error), transient=isinstance(error, TransientMailError))
                raise error from exc
            except BaseException:
                self._drop()  # interrupted mid-dialogue: the connection is in an unknown state
                raise
        log.info("mail.sent", message_id=message.get("Message-ID"))

    def _transaction(self, sender: str, recipient: str, data: bytes) -> None:
        connection = self._connection
        reused = connection is not None and self._owner_pid == os.getpid()
        if connection is None or not reused:
            connection = self._reconnect()
        try:
            code, reply = connection.mail(sender)
        except (smtplib.SMTPServerDisconnected, OSError):
            if not reused:
                raise
            code, reply = 421, b"connection closed while idle"
        if reused and code == 421:
            connection = self._reconnect()
            code, reply = connection.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = connection.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = connection.data(data)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)

    def _reset(self) -> bool:
        """After a refusal the dialogue is intact; RSET keeps the connection for the next message."""
        if self._connection is None or self._owner_pid != os.getpid():
            return False
        try:
            return self._connection.rset()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def close(self) -> None:
        """Say QUIT; a later `send` opens a new connection."""
        with self._lock:
            if self._connection is not None and self._owner_pid == os.getpid():
                try:
                    self._connection.quit()
                except (smtplib.SMTPException, OSError):
                    pass
            self._drop()

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _reconnect(self) -> smtplib.SMTP:
        self._drop()
        self._connection = self._connect()
        self._owner_pid = os.getpid()
        return self._connection

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = config.ssl_context or ssl.create_default_context()
        connection: smtplib.SMTP
        if config.security is SmtpSecurity.TLS:
            connection = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
        else:
            connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            connection.ehlo()
            if config.security is SmtpSecurity.STARTTLS:
                connection.starttls(context=context)
                connection.ehlo()
            if config.username:
                connection.login(config.username, config.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self) -> None:
        # Closing our socket without QUIT: after a failure the dialogue is in an
        # unknown state, and after a fork the connection belongs to the parent
        # (closing the child's copy of the descriptor does not end the session).
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._owner_pid = None


class ConsoleMailer:
    """Print each message's headers and text part; for development without an SMTP sink."""

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream

    def send(self, message: EmailMessage) -> None:
        envelope_of(message)
        stream = self._stream or sys.stdout
        headers = "".join(f"{name}: {value}\n" for name, value in message.items())
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        stream.write(f"{'-' * 30} message {'-' * 30}\n{headers}\n{text}\n{'-' * 69}\n")
        stream.flush()


class MemoryMailer:
    """Keep sent messages in `outbox`; for unit tests.

    Messages are stored as they would arrive: serialised and parsed back, so a
    test sees the headers after folding and encoding, not the objects it built.
    `fail_next` makes the next sends raise, to exercise retry and suppression.
    """

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []
        self._failures: list[MailError] = []

    def fail_next(self, error: MailError, times: int = 1) -> None:
        self._failures.extend([error] * times)

    def send(self, message: EmailMessage) -> None:
        envelope_of(message)
        if self._failures:
            raise self._failures.pop(0)
        # The message's own policy, as SmtpMailer uses: another would refold its headers.
        self.outbox.append(message_from_bytes(message.as_bytes(), policy=policy.default))
