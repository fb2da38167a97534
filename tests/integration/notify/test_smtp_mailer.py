"""SmtpMailer against a real SMTP server (aiosmtpd), including the failures it must classify."""

import os
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from services.notify.mail import PermanentMailError, SmtpConfig, SmtpMailer, SmtpSecurity, TransientMailError
from services.notify.messages import NotifiedComment, SiteConfig, notification_message
from tests.smtp_server import CapturingSmtpServer, SmtpStage

BASE = "https://news.example.org"
SITE = SiteConfig("Example News", "comments@news.example.org", "news.example.org", BASE)
UNSUBSCRIBE = f"{BASE}/api/subscriptions/unsubscribe/MTIz.aGVsbG8td29ybGQtdGhpcy1pcy1sb25n.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw"
MANAGE = f"{BASE}/api/subscriptions/manage/InJlYWRlckBleGFtcGxlLmNvbSI.Z0x1bA.c2lnbmF0dXJl"


def notification(to="reader@example.com", comment_id=1):
    comment = NotifiedComment(
        comment_id, "Zoë", "Ünïcode excerpt, long enough to be folded across more than one line of the message",
        "A bridge too far", f"{BASE}/articles/bridge", f"{BASE}/articles/bridge#comment-{comment_id}",
    )
    return notification_message(to, comment, "replies", UNSUBSCRIBE, "unsubscribe@news.example.org", MANAGE, SITE)


@pytest.fixture
def server():
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def mailer(server):
    with SmtpMailer(SmtpConfig(server.host, server.port, timeout=5)) as mailer:
        yield mailer


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- delivery ----------------------------------------------------------------------------


def test_a_notification_arrives_with_its_headers_intact(server, mailer):
    sent = notification()

    mailer.send(sent)

    server.wait_for(1)
    [mail] = server.received
    assert mail.mail_from == "comments@news.example.org"
    assert mail.rcpt_tos == ("reader@example.com",)
    received = mail.message
    assert received["Message-ID"] == sent["Message-ID"]
    assert received["Subject"] == sent["Subject"]
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@news.example.org>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>".encode() in mail.data
    assert UNSUBSCRIBE in received.get_body(("plain",)).get_content()


def test_consecutive_messages_share_one_connection(server, mailer):
    for comment_id in range(3):
        mailer.send(notification(comment_id=comment_id))

    assert len({mail.peer for mail in server.received}) == 1
    assert len(server.received) == 3


def test_the_mailer_reconnects_when_the_server_restarted_between_messages(server, mailer):
    mailer.send(notification(comment_id=1))
    server.stop()
    server.start()

    mailer.send(notification(comment_id=2))

    assert [m["X-Parley-Comment-Id"] for m in server.wait_for(2)] == ["1", "2"]


def test_a_forked_worker_opens_its_own_connection_and_leaves_the_parents_alone(server, mailer):
    mailer.send(notification(comment_id=1))

    pid = os.fork()
    if pid == 0:  # the child, as in a Celery prefork pool
        try:
            mailer.send(notification(comment_id=2))
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    mailer.send(notification(comment_id=3))

    assert os.waitstatus_to_exitcode(status) == 0
    server.wait_for(3)
    first, child, parent_again = server.received
    assert child.peer != first.peer
    assert parent_again.peer == first.peer


def test_concurrent_sends_from_threads_all_arrive_once(server, mailer):
    threads = [threading.Thread(target=mailer.send, args=(notification(comment_id=i),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(int(m["X-Parley-Comment-Id"]) for m in server.wait_for(8)) == list(range(8))


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", [SmtpStage.MAIL, SmtpStage.RCPT, SmtpStage.DATA])
def test_451_is_a_transient_error(server, mailer, stage):
    server.respond_with(451, "4.7.1 Greylisted, try again later", stage=stage)

    with pytest.raises(TransientMailError) as raised:
        mailer.send(notification())

    assert raised.value.code == 451
    assert server.received == []


def test_550_to_the_recipient_is_permanent_and_names_it(server, mailer):
    server.respond_with(550, "5.1.1 No such user", stage=SmtpStage.RCPT)

    with pytest.raises(PermanentMailError) as raised:
        mailer.send(notification(to="gone@example.com"))

    assert (raised.value.code, raised.value.recipient) == (550, "gone@example.com")
    assert "No such user" in raised.value.reason


def test_554_to_the_message_is_permanent(server, mailer):
    server.respond_with(554, "5.7.1 Message rejected", stage=SmtpStage.DATA)

    with pytest.raises(PermanentMailError) as raised:
        mailer.send(notification())

    assert raised.value.code == 554


def test_550_to_our_sender_address_is_transient_because_the_recipient_is_not_at_fault(server, mailer):
    server.respond_with(550, "5.7.1 Sender not allowed", stage=SmtpStage.MAIL)

    with pytest.raises(TransientMailError):
        mailer.send(notification())


def test_a_send_retried_after_451_delivers_exactly_once(server, mailer):
    server.respond_with(451, stage=SmtpStage.RCPT, times=1)

    with pytest.raises(TransientMailError):
        mailer.send(notification())
    mailer.send(notification())

    assert len(server.wait_for(1)) == 1
    assert len(server.received) == 1


def test_the_connection_is_usable_again_after_a_refused_message(server, mailer):
    server.respond_with(550, stage=SmtpStage.RCPT, times=1)
    with pytest.raises(PermanentMailError):
        mailer.send(notification(to="gone@example.com"))

    mailer.send(notification(to="reader@example.com"))

    assert server.wait_for(1)[0]["To"] == "reader@example.com"


def test_a_refused_connection_is_transient_and_the_mailer_recovers_when_the_server_is_back(server, mailer):
    server.stop()

    with pytest.raises(TransientMailError) as raised:
        mailer.send(notification())
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)

    server.start()
    mailer.send(notification())
    assert len(server.wait_for(1)) == 1


def test_nothing_listening_at_all_is_transient():
    mailer = SmtpMailer(SmtpConfig("127.0.0.1", unused_port(), timeout=2))

    with pytest.raises(TransientMailError):
        mailer.send(notification())


class SilentServer:
    """Accepts connections and then says nothing, or hangs up at once."""

    def __init__(self, hang_up):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.hang_up = hang_up
        self.accepted = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            if self.hang_up:
                connection.close()
            else:
                self.accepted.append(connection)

    def close(self):
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.mark.parametrize("hang_up", [False, True], ids=["never-greets", "hangs-up"])
def test_a_server_that_never_greets_or_hangs_up_is_transient(hang_up):
    silent = SilentServer(hang_up)
    try:
        mailer = SmtpMailer(SmtpConfig("127.0.0.1", silent.port, timeout=0.5))
        with pytest.raises(TransientMailError):
            mailer.send(notification())
    finally:
        silent.close()


# --- TLS and authentication -------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    return server_context, client_context


def test_starttls_with_login_delivers(certificate):
    server_context, client_context = certificate
    with CapturingSmtpServer(tls_context=server_context, credentials={"parley": "s3cret"}) as server:
        config = SmtpConfig(server.host, server.port, "parley", "s3cret", SmtpSecurity.STARTTLS, 5, client_context)
        with SmtpMailer(config) as mailer:
            mailer.send(notification())

        assert len(server.wait_for(1)) == 1


def test_implicit_tls_delivers(certificate):
    server_context, client_context = certificate
    with CapturingSmtpServer(tls_context=server_context, implicit_tls=True) as server:
        with SmtpMailer(SmtpConfig(server.host, server.port, security=SmtpSecurity.TLS, ssl_context=client_context)) as mailer:
            mailer.send(notification())

        assert len(server.wait_for(1)) == 1


def test_an_untrusted_certificate_is_transient_and_sends_nothing(certificate):
    server_context, _ = certificate
    with CapturingSmtpServer(tls_context=server_context) as server:
        mailer = SmtpMailer(SmtpConfig(server.host, server.port, security=SmtpSecurity.STARTTLS, timeout=5))

        with pytest.raises(TransientMailError):
            mailer.send(notification())
        assert server.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_wrong_credentials_are_transient_so_no_reader_is_suppressed_for_our_mistake():
    with CapturingSmtpServer(credentials={"parley": "s3cret"}) as server:
        mailer = SmtpMailer(SmtpConfig(server.host, server.port, "parley", "wrong", timeout=5))

        with pytest.raises(TransientMailError) as raised:
            mailer.send(notification())

        assert raised.value.code == 535
        assert server.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_missing_credentials_are_transient_too():
    with CapturingSmtpServer(credentials={"parley": "s3cret"}) as server:
        mailer = SmtpMailer(SmtpConfig(server.host, server.port, timeout=5))

        with pytest.raises(TransientMailError) as raised:
            mailer.send(notification())

        assert raised.value.code == 530


# --- connection reuse and its limits ------------------------------------------------------------


def test_a_connection_the_server_closes_while_idle_is_replaced_without_losing_the_message(server, mailer):
    mailer.send(notification(comment_id=1))
    server.respond_with(421, "4.4.2 Idle timeout, closing", stage=SmtpStage.MAIL, times=1)

    mailer.send(notification(comment_id=2))

    server.wait_for(2)
    first, second = server.received
    assert second.peer != first.peer


def test_a_421_on_a_fresh_connection_is_transient_rather_than_retried_forever(server, mailer):
    server.respond_with(421, stage=SmtpStage.MAIL)

    with pytest.raises(TransientMailError):
        mailer.send(notification())


def test_a_refused_recipient_does_not_cost_the_connection(server, mailer):
    mailer.send(notification(to="first@example.com"))
    server.respond_with(550, stage=SmtpStage.RCPT, times=1)
    with pytest.raises(PermanentMailError):
        mailer.send(notification(to="gone@example.com"))

    mailer.send(notification(to="third@example.com"))

    server.wait_for(2)
    first, third = server.received
    assert third.peer == first.peer


def test_a_reply_lost_after_data_is_reported_as_transient_and_not_resent_by_the_mailer(server, mailer):
    mailer.send(notification(comment_id=1))  # so the failing send runs on a reused connection
    server.hang_up_after_data()

    with pytest.raises(TransientMailError):
        mailer.send(notification(comment_id=2))

    # The server kept it: a retry by the caller is the documented duplicate window.
    assert [m["X-Parley-Comment-Id"] for m in server.wait_for(2)] == ["1", "2"]
    mailer.send(notification(comment_id=3))
    assert len(server.wait_for(3)) == 3
