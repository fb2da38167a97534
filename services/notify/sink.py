"""Local SMTP servers: the development sink and a capturing server for tests.

With no SMTP settings, `make run` starts the sink (`parley mail sink`), which
accepts every message and writes it to `var/mail/<timestamp>-<n>.eml`;
`parley mail list` and `parley mail show` read them back. Both speak real SMTP,
so development exercises the same `SmtpMailer` path as production.

`CapturingSmtpServer` is the server integration and fault tests talk to: it
keeps messages in memory and can be told to refuse them with a chosen reply
or to stop listening altogether.
"""

from __future__ import annotations

import enum
import itertools
import json
import signal
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.header import Header, decode_header, make_header
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import click
import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

log = structlog.get_logger(__name__)

SINK_HOST = "127.0.0.1"
SINK_PORT = 8025
SINK_DIRECTORY = Path("var/mail")

# The headers `list_messages` reports, under these keys.
LISTED_HEADERS = {
    "date": "Date", "from": "From", "to": "To", "subject": "Subject", "message_id": "Message-ID",
    "list_id": "List-Id", "list_unsubscribe": "List-Unsubscribe",
    "list_unsubscribe_post": "List-Unsubscribe-Post", "auto_submitted": "Auto-Submitted",
    "envelope_from": "X-Envelope-From", "envelope_to": "X-Envelope-To",
}


# --- the development sink ------------------------------------------------------


class _DirectoryHandler:
    """Write each message to its own file; envelope addresses go in X-Envelope-* headers."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.directory / f"{stamp}-{next(self._numbers):06d}.eml"
        header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        # Write then rename, so `list_messages` never reads half a message.
        partial = path.with_suffix(".part")
        partial.write_bytes(header.encode("utf-8", "surrogateescape") + envelope.original_content)
        partial.replace(path)
        return "250 Message accepted for delivery"


def start_sink(host: str, port: int, directory: Path | str) -> Controller:
    """Start the sink in a background thread; the caller stops it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(_DirectoryHandler(directory), hostname=host, port=port, server_hostname="parley-sink")
    controller.start()
    return controller


def run_sink(host: str = SINK_HOST, port: int = SINK_PORT, directory: Path | str = SINK_DIRECTORY) -> None:
    """Run the sink in the foreground until SIGINT or SIGTERM (main thread only)."""
    controller = start_sink(host, port, directory)
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("mail.sink.started", host=host, port=port, directory=str(directory))
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        controller.stop()
        log.info("mail.sink.stopped")


def list_messages(directory: Path | str = SINK_DIRECTORY) -> list[dict[str, str | None]]:
    """The stored messages, oldest first: file name plus the headers in LISTED_HEADERS."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    # compat32 leaves values as raw strings; decoding only the listed ones keeps
    # listing ten thousand messages quick.
    parser = BytesHeaderParser(policy=policy.compat32)
    listed = []
    for path in sorted(directory.glob("*.eml")):
        with path.open("rb") as file:
            headers = parser.parse(file)
        entry: dict[str, str | None] = {"file": path.name}
        for key, name in LISTED_HEADERS.items():
            value = headers.get(name)
            entry[key] = None if value is None else _decoded(value)
        listed.append(entry)
    return listed


def _decoded(value: Any) -> str:
    if isinstance(value, Header):
        value = str(value)
    unfolded = " ".join(value.split())
    return str(make_header(decode_header(unfolded))) if "=?" in unfolded else unfolded


def read_message(path: Path | str) -> EmailMessage:
    return message_from_bytes(Path(path).read_bytes(), policy=policy.default)


@click.group()
def mail() -> None:
    """The local mail sink used in development."""


@mail.command()
@click.option("--host", default=SINK_HOST, show_default=True)
@click.option("--port", default=SINK_PORT, show_default=True, type=int)
@click.option("--directory", default=str(SINK_DIRECTORY), show_default=True, type=click.Path(file_okay=False))
def sink(host: str, port: int, directory: str) -> None:
    """Accept all mail on HOST:PORT and store it in DIRECTORY until interrupted."""
    click.echo(f"Mail sink listening on {host}:{port}, storing in {directory}/ (Ctrl-C to stop)")
    run_sink(host, port, directory)


@mail.command("list")
@click.option("--directory", default=str(SINK_DIRECTORY), show_default=True, type=click.Path(file_okay=False))
@click.option("--last", type=int, default=None, help="Only the last N messages.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
def list_command(directory: str, last: int | None, as_json: bool) -> None:
    """List the messages the sink stored, with their key headers."""
    messages = list_messages(directory)
    if last is not None:
        messages = messages[-last:] if last > 0 else []
    if as_json:
        click.echo(json.dumps(messages, indent=2, ensure_ascii=False))
        return
    if not messages:
        click.echo(f"No messages in {directory}/")
    for entry in messages:
        click.echo(entry["file"])
        for key, name in LISTED_HEADERS.items():
            if entry[key] is not None:
                click.echo(f"  {name}: {entry[key]}")


@mail.command()
@click.argument("name", required=False)
@click.option("--directory", default=str(SINK_DIRECTORY), show_default=True, type=click.Path(file_okay=False))
def show(name: str | None, directory: str) -> None:
    """Print one stored message's headers and text part (default: the newest)."""
    messages = list_messages(directory)
    if not messages:
        raise click.ClickException(f"no messages in {directory}/")
    name = name or messages[-1]["file"]
    path = Path(directory) / Path(name).name
    if not path.is_file():
        raise click.ClickException(f"no message {name} in {directory}/")
    message = read_message(path)
    for header, value in message.items():
        click.echo(f"{header}: {value}")
    body = message.get_body(("plain", "html"))
    click.echo("")
    click.echo(body.get_content() if body is not None else "(no text part)")


# --- the capturing server for tests --------------------------------------------


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
