import io
import socket
from email import policy
from email.message import EmailMessage

import pytest

from services.notify.mail import (
    ConsoleMailer,
    MailBackend,
    MemoryMailer,
    PermanentMailError,
    SmtpConfig,
    SmtpMailer,
    SmtpSecurity,
    TransientMailError,
    envelope_of,
    make_mailer,
)
from services.notify.messages import notification_message


def simple_message(**headers):
    message = EmailMessage(policy=policy.SMTP)
    for name, value in {"From": "news@example.org", "To": "reader@example.com", "Subject": "Hello", **headers}.items():
        if value is not None:
            message[name] = value
    message.set_content("Body\n")
    return message


@pytest.fixture
def notification(comment, site, urls):
    return notification_message("reader@example.com", comment, "replies", urls.unsubscribe, None, urls.manage, site)


def test_make_mailer_picks_the_backend_named_by_mail_backend():
    config = SmtpConfig("smtp.example.org", 587, security=SmtpSecurity.STARTTLS)

    assert isinstance(make_mailer("smtp", config), SmtpMailer)
    assert isinstance(make_mailer("console"), ConsoleMailer)
    assert isinstance(make_mailer(MailBackend.MEMORY), MemoryMailer)


def test_make_mailer_refuses_an_unknown_backend_and_lists_the_choices():
    with pytest.raises(ValueError, match="smtp, console, memory"):
        make_mailer("sendgrid")


def test_the_smtp_backend_needs_its_settings():
    with pytest.raises(ValueError):
        make_mailer("smtp")


def test_making_an_smtp_mailer_does_not_connect():
    nothing_listens = _closed_port()

    mailer = make_mailer("smtp", SmtpConfig("127.0.0.1", nothing_listens, timeout=1))

    # Connecting would have raised above; the first send is where it happens.
    with pytest.raises(TransientMailError):
        mailer.send(simple_message())


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_smtp_config_keeps_the_password_out_of_its_repr():
    assert "hunter2" not in repr(SmtpConfig("smtp.example.org", 465, "user", "hunter2", SmtpSecurity.TLS))


def test_smtp_security_is_read_from_its_setting_value():
    assert [SmtpSecurity(v) for v in ("none", "starttls", "tls")] == list(SmtpSecurity)


def test_memory_mailer_keeps_what_a_receiver_would_parse(notification, urls):
    mailer = MemoryMailer()

    mailer.send(notification)

    [received] = mailer.outbox
    assert received is not notification
    assert received["List-Unsubscribe"] == f"<{urls.unsubscribe}>"
    # As SmtpMailer would send it: the header as written, not refolded into encoded-words.
    assert dict(received.raw_items())["List-Unsubscribe"] == f"<{urls.unsubscribe}>"
    assert received.get_body(("plain",)).get_content()


def test_memory_mailer_can_be_told_to_fail_the_next_sends(notification):
    mailer = MemoryMailer()
    mailer.fail_next(TransientMailError("451 later", code=451), times=2)
    mailer.fail_next(PermanentMailError("no such user", code=550, recipient="reader@example.com"))

    for expected in (TransientMailError, TransientMailError, PermanentMailError):
        with pytest.raises(expected):
            mailer.send(notification)
    mailer.send(notification)

    assert len(mailer.outbox) == 1


def test_console_mailer_prints_headers_and_a_readable_text_part(notification, urls):
    stream = io.StringIO()

    ConsoleMailer(stream).send(notification)

    printed = stream.getvalue()
    assert f"Subject: {notification['Subject']}" in printed
    assert f"List-Unsubscribe: <{urls.unsubscribe}>" in printed
    # Decoded, not quoted-printable, so the links can be clicked from the terminal.
    assert urls.unsubscribe in printed.split("\n\n", 1)[1]


@pytest.mark.parametrize("mailer", [MemoryMailer(), ConsoleMailer(io.StringIO())], ids=["memory", "console"])
def test_fake_mailers_refuse_messages_that_smtp_would_refuse_too(mailer):
    with pytest.raises(ValueError, match="exactly one recipient"):
        mailer.send(simple_message(To="a@example.com, b@example.com"))


def test_the_envelope_is_the_one_sender_and_the_one_recipient():
    assert envelope_of(simple_message()) == ("news@example.org", "reader@example.com")


@pytest.mark.parametrize(
    "headers",
    [{"To": None}, {"To": "a@example.com, b@example.com"}, {"Cc": "c@example.com"}, {"Bcc": "c@example.com"}, {"From": None}],
    ids=["no-recipient", "two-to", "cc", "bcc", "no-sender"],
)
def test_a_message_must_have_exactly_one_sender_and_one_recipient(headers):
    with pytest.raises(ValueError):
        envelope_of(simple_message(**headers))


def test_the_smtp_mailer_refuses_an_8bit_message_before_connecting():
    message = simple_message()
    message.set_content("Grüße\n", cte="8bit")

    with pytest.raises(ValueError, match="7-bit"):
        SmtpMailer(SmtpConfig("127.0.0.1", _closed_port(), timeout=1)).send(message)
