"""Which SMTP failures retry and which suppress the address.

A wrong answer either loses mail (a transient error treated as permanent
suppresses a good address) or spams a dead one (the reverse), so each case is
listed rather than inferred from the code.
"""

import smtplib
import socket
import ssl

import pytest

from services.notify.mail import PermanentMailError, TransientMailError, mail_error_from

TO = "reader@example.com"


def refused(code, to=TO):
    return smtplib.SMTPRecipientsRefused({to: (code, b"5.1.1 <reader@example.com>: Recipient address rejected")})


@pytest.mark.parametrize("code", [550, 551, 553, 554])
def test_recipient_refused_with_5xx_is_permanent_and_names_code_and_recipient(code):
    error = mail_error_from(refused(code), TO)

    assert isinstance(error, PermanentMailError)
    assert (error.code, error.recipient) == (code, TO)
    assert "Recipient address rejected" in error.reason


@pytest.mark.parametrize("code", [421, 450, 451, 452])
def test_recipient_refused_with_4xx_is_transient(code):
    error = mail_error_from(refused(code), TO)

    assert isinstance(error, TransientMailError)
    assert error.code == code


def test_552_to_a_recipient_is_transient_as_rfc_5321_asks():
    assert isinstance(mail_error_from(refused(552), TO), TransientMailError)


@pytest.mark.parametrize("code", [550, 552, 554])
def test_message_refused_after_data_with_5xx_is_permanent(code):
    error = mail_error_from(smtplib.SMTPDataError(code, b"5.7.1 Message rejected"), TO)

    assert isinstance(error, PermanentMailError)
    assert (error.code, error.recipient, error.reason) == (code, TO, "5.7.1 Message rejected")


@pytest.mark.parametrize("code", [421, 451, 452])
def test_message_refused_after_data_with_4xx_is_transient(code):
    assert isinstance(mail_error_from(smtplib.SMTPDataError(code, b"try later"), TO), TransientMailError)


@pytest.mark.parametrize(
    "exc",
    [
        smtplib.SMTPSenderRefused(550, b"5.7.1 Sender address rejected", "news@example.org"),
        smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
        smtplib.SMTPConnectError(554, b"No SMTP service here"),
        smtplib.SMTPHeloError(501, b"Syntax error"),
        smtplib.SMTPResponseException(530, b"5.7.0 Must issue a STARTTLS command first"),
    ],
    ids=["sender-refused", "bad-credentials", "greeting-554", "helo-refused", "starttls-required"],
)
def test_5xx_that_is_not_about_the_recipient_is_transient_so_no_address_is_suppressed(exc):
    error = mail_error_from(exc, TO)

    assert isinstance(error, TransientMailError)
    assert error.code == exc.smtp_code


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError("timed out"),
        socket.timeout("timed out"),
        socket.gaierror(-2, "Name or service not known"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
        ssl.SSLCertVerificationError(1, "certificate verify failed"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_network_and_protocol_failures_are_transient(exc):
    error = mail_error_from(exc, TO)

    assert isinstance(error, TransientMailError)
    assert error.code is None
    assert error.recipient == TO


def test_the_refusal_of_the_given_recipient_is_the_one_reported():
    exc = smtplib.SMTPRecipientsRefused({"other@example.com": (451, b"later"), TO: (550, b"no such user")})

    error = mail_error_from(exc, TO)

    assert isinstance(error, PermanentMailError)
    assert error.reason == "no such user"


@pytest.mark.parametrize("exc", [ValueError("bad header"), UnicodeEncodeError("ascii", "é", 0, 1, "x"), KeyError("x")])
def test_programming_errors_are_not_mail_failures(exc):
    assert mail_error_from(exc, TO) is None


def test_a_mail_error_passes_through_unchanged():
    error = PermanentMailError("gone", code=550, recipient=TO)

    assert mail_error_from(error, TO) is error


def test_errors_read_well_in_logs():
    assert str(PermanentMailError("5.1.1 no such user", code=550, recipient=TO)) == "550 5.1.1 no such user"
    assert str(TransientMailError("ConnectionRefusedError: refused")) == "ConnectionRefusedError: refused"
