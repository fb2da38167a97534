"""The development SMTP sink and the ``parley mail`` commands that read it.

With no SMTP settings, `make run` starts the sink (`parley mail sink`), which
accepts every message and writes it to `var/mail/<timestamp>-<n>.eml`;
`parley mail list` and `parley mail show` read them back. It speaks real SMTP,
so development exercises the same `SmtpMailer` path as production. (The server
the tests talk to is `tests/smtp_server.py`.)
"""

from __future__ import annotations

import itertools
import json
import signal
import threading
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
