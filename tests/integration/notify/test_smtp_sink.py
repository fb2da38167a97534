"""The development sink: real SMTP in, one .eml file per message out, listed by `parley mail`."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from services.notify.mail import SmtpConfig, SmtpMailer
from services.notify.messages import NotifiedComment, SiteConfig, confirmation_message, notification_message
from services.notify.sink import list_messages, mail, start_sink

ROOT = Path(__file__).resolve().parents[3]
BASE = "https://news.example.org"
SITE = SiteConfig("Example News", "comments@news.example.org", "news.example.org", BASE)
UNSUBSCRIBE = f"{BASE}/api/subscriptions/unsubscribe/MTIz.aGVsbG8td29ybGQtdGhpcy1pcy1sb25n.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw"
CONFIRM = f"{BASE}/api/subscriptions/confirm/MTIz.Z0x1bA.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tYmUtd3JhcHBlZA"
MANAGE = f"{BASE}/api/subscriptions/manage/InJlYWRlckBleGFtcGxlLmNvbSI.Z0x1bA.c2lnbmF0dXJl"


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def notification(to, comment_id):
    comment = NotifiedComment(comment_id, "Ana", "A reply", "Bridge", f"{BASE}/a/bridge", f"{BASE}/a/bridge#c{comment_id}")
    return notification_message(to, comment, "article", UNSUBSCRIBE, None, MANAGE, SITE)


@pytest.fixture
def sink(tmp_path):
    port = unused_port()
    controller = start_sink("127.0.0.1", port, tmp_path / "mail")
    yield SmtpConfig("127.0.0.1", port, timeout=5), tmp_path / "mail"
    controller.stop()


def test_each_message_becomes_one_file_listed_oldest_first_with_its_headers(sink):
    config, directory = sink
    with SmtpMailer(config) as mailer:
        mailer.send(notification("first@example.com", 1))
        mailer.send(notification("second@example.com", 2))

    files = sorted(directory.glob("*.eml"))
    listed = list_messages(directory)

    assert [entry["file"] for entry in listed] == [path.name for path in files]
    assert [entry["to"] for entry in listed] == ["first@example.com", "second@example.com"]
    assert [entry["envelope_to"] for entry in listed] == ["first@example.com", "second@example.com"]
    first = listed[0]
    assert first["from"] == "Example News <comments@news.example.org>"
    assert first["envelope_from"] == "comments@news.example.org"
    assert first["subject"] == "New comment on “Bridge” by Ana: “A reply”"
    assert first["list_unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert first["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    assert first["auto_submitted"] == "auto-generated"
    assert first["message_id"].endswith("@news.example.org>")
    assert first["date"]


def test_file_names_sort_in_arrival_order(sink):
    config, directory = sink
    with SmtpMailer(config) as mailer:
        for comment_id in range(12):
            mailer.send(notification("reader@example.com", comment_id))

    names = [entry["file"] for entry in list_messages(directory)]
    assert len(names) == 12
    assert all(name.endswith(f"-{n:06d}.eml") for n, name in enumerate(names, start=1))


def test_mail_list_prints_each_message_with_its_key_headers(sink):
    config, directory = sink
    with SmtpMailer(config) as mailer:
        mailer.send(notification("reader@example.com", 1))

    result = CliRunner().invoke(mail, ["list", "--directory", str(directory)])

    assert result.exit_code == 0, result.output
    assert "To: reader@example.com" in result.output
    assert "Subject: New comment on “Bridge” by Ana: “A reply”" in result.output
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>" in result.output


def test_mail_list_json_and_last_give_scripts_the_newest_messages(sink):
    config, directory = sink
    with SmtpMailer(config) as mailer:
        for comment_id in range(3):
            mailer.send(notification(f"reader{comment_id}@example.com", comment_id))

    result = CliRunner().invoke(mail, ["list", "--directory", str(directory), "--json", "--last", "2"])

    assert [entry["to"] for entry in json.loads(result.output)] == ["reader1@example.com", "reader2@example.com"]


def test_mail_list_on_an_empty_sink_says_so(tmp_path):
    result = CliRunner().invoke(mail, ["list", "--directory", str(tmp_path / "none")])

    assert result.exit_code == 0
    assert "No messages" in result.output


def test_mail_show_prints_the_newest_message_with_a_clickable_confirmation_link(sink):
    config, directory = sink
    with SmtpMailer(config) as mailer:
        mailer.send(notification("reader@example.com", 1))
        mailer.send(confirmation_message("reader@example.com", "replies", "Bridge", CONFIRM, MANAGE, SITE))

    result = CliRunner().invoke(mail, ["show", "--directory", str(directory)])

    assert result.exit_code == 0, result.output
    assert "Subject: Confirm: email me replies to my comment on “Bridge”" in result.output
    # Decoded from quoted-printable, so the long link is whole on one line.
    assert f"\n{CONFIRM}\n" in result.output.replace("\r\n", "\n")


def test_mail_show_refuses_a_name_that_is_not_there(sink):
    _, directory = sink

    result = CliRunner().invoke(mail, ["show", "--directory", str(directory), "nope.eml"])

    assert result.exit_code != 0


def test_the_sink_command_runs_in_the_foreground_until_sigterm(tmp_path):
    port = unused_port()
    directory = tmp_path / "mail"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from services.notify.sink import mail; mail(sys.argv[1:])",
         "sink", "--port", str(port), "--directory", str(directory)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the sink did not start listening"
                time.sleep(0.1)
        with SmtpMailer(SmtpConfig("127.0.0.1", port, timeout=5)) as mailer:
            mailer.send(notification("reader@example.com", 1))

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert [entry["to"] for entry in list_messages(directory)] == ["reader@example.com"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
