"""Notification channels against real local servers: SMTP (aiosmtpd) and HTTP gateways."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tinhso.core import notify, outbox
from tinhso.core.models import OutboxMessage
from tinhso.core.notify import HttpSmsChannel, Notification, SmtpEmailChannel, ZaloZnsChannel


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks readiness on the port it was given
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


NOTE = Notification(
    "email",
    "cong.dan@example.vn",
    "Hồ sơ đã được tiếp nhận",
    "Hồ sơ H15.50-261008-0975 của ông Nguyễn Văn Đức đã được tiếp nhận.",
    reference="tinhso-outbox-42",
)


def test_smtp_delivers_utf8_mail_with_a_stable_message_id(smtp_server):
    inbox, port = smtp_server
    SmtpEmailChannel(f"smtp://127.0.0.1:{port}").send(NOTE)
    [mail] = inbox.messages
    assert mail["To"] == "cong.dan@example.vn"
    assert mail["Message-ID"] == "<tinhso-outbox-42@127.0.0.1>"
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(mail["Subject"]))) == "Hồ sơ đã được tiếp nhận"
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert "Nguyễn Văn Đức" in body


def test_smtp_refused_recipient_is_permanent_and_a_dead_server_is_retryable(smtp_server):
    inbox, port = smtp_server
    inbox.refuse.add("cong.dan@example.vn")
    with pytest.raises(outbox.PermanentError):
        SmtpEmailChannel(f"smtp://127.0.0.1:{port}").send(NOTE)
    with pytest.raises(outbox.RetryableError):
        SmtpEmailChannel("smtp://127.0.0.1:1").send(NOTE)


@pytest.mark.django_db
def test_a_queued_email_goes_through_the_outbox_to_the_smtp_server(smtp_server, settings):
    inbox, port = smtp_server
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    message = notify.notify("email", "cong.dan@example.vn", "Thông báo", "Nội dung có dấu: Đắk Lắk")
    assert outbox.run_once("w1") == 1
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Message-ID"] == f"<tinhso-outbox-{message.pk}@127.0.0.1>"
    assert OutboxMessage.objects.get(pk=message.pk).state == "delivered"


@pytest.mark.django_db
def test_without_smtp_the_embedded_default_writes_eml_files(settings, tmp_path):
    settings.EMAIL_URL = ""
    settings.VAR_DIR = tmp_path
    message = notify.notify("email", "a@example.vn", "Chào", "Nội dung")
    outbox.run_once("w1")
    mail = message_from_bytes((tmp_path / "mail" / f"tinhso-outbox-{message.pk}.eml").read_bytes())
    assert mail["To"] == "a@example.vn"


class Gateway:
    """A local HTTP server that records requests and answers what the test says."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict]] = []
        self.status, self.answer = 200, {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                gateway.requests.append(
                    (
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(self.rfile.read(length)),
                    )
                )
                body = json.dumps(gateway.answer).encode()
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    yield gw
    gw.server.shutdown()


SMS = Notification("sms", "0912345678", "", "Ho so da duoc tiep nhan", reference="tinhso-outbox-7")


def test_sms_gateway_request_and_outcomes(gateway):
    channel = HttpSmsChannel(gateway.url, "s3cret", "UBNDDAKLAK")
    gateway.answer = {"status": "accepted"}
    channel.send(SMS)
    headers, body = gateway.requests[0]
    assert headers["authorization"] == "Bearer s3cret"
    assert body == {
        "to": "0912345678",
        "brandname": "UBNDDAKLAK",
        "message": "Ho so da duoc tiep nhan",
        "reference": "tinhso-outbox-7",
    }
    gateway.answer = {"status": "rejected", "error": "invalid number"}
    with pytest.raises(outbox.PermanentError, match="invalid number"):
        channel.send(SMS)
    gateway.status = 503
    with pytest.raises(outbox.RetryableError, match="503"):
        channel.send(SMS)
    gateway.status = 400
    with pytest.raises(outbox.PermanentError):
        channel.send(SMS)


def test_zalo_zns_request_and_error_codes(gateway):
    channel = ZaloZnsChannel(gateway.url, "zalo-token")
    note = Notification(
        "zalo",
        "0912345678",
        "",
        "",
        reference="tinhso-outbox-9",
        template_id="231677",
        data={"ma_ho_so": "000.00.15.H16-261122-0001"},
    )
    gateway.answer = {"error": 0, "message": "Success"}
    channel.send(note)
    headers, body = gateway.requests[0]
    assert headers["access_token"] == "zalo-token"
    assert body == {
        "phone": "84912345678",
        "template_id": "231677",
        "template_data": {"ma_ho_so": "000.00.15.H16-261122-0001"},
        "tracking_id": "tinhso-outbox-9",
    }
    gateway.answer = {"error": -124, "message": "Access token invalid"}
    with pytest.raises(outbox.RetryableError):
        channel.send(note)
    gateway.answer = {"error": -118, "message": "Zalo account not existed"}
    with pytest.raises(outbox.PermanentError, match="-118"):
        channel.send(note)


def test_unreachable_gateway_is_retryable():
    with pytest.raises(outbox.RetryableError):
        HttpSmsChannel("http://127.0.0.1:1/send", "t", "B").send(SMS)


@pytest.mark.django_db
def test_embedded_default_logs_sms_and_says_it_was_not_sent(settings, caplog):
    settings.SMS_URL = ""
    notify.notify("sms", "0912345678", "", "Ma ho so 0001")
    with caplog.at_level("INFO", logger="tinhso.notify"):
        outbox.run_once("w1")
    assert "SMS to 0912345678 (local log adapter, not sent" in caplog.text


@pytest.mark.django_db
def test_a_delivered_notification_keeps_no_address_or_text(settings, tmp_path):
    """The probe read look-up secrets from delivered e-mails kept in the outbox: once sent,
    the address and the text are erased; the e-mail itself was sent whole."""
    settings.EMAIL_URL = ""
    settings.VAR_DIR = tmp_path
    message = notify.notify("email", "a@example.vn", "Biên nhận", "Mã tra cứu: K7Q2-9XPM")
    assert outbox.run_once("w1") == 1
    message.refresh_from_db()
    assert message.state == "delivered"
    assert "K7Q2-9XPM" not in json.dumps(message.payload, ensure_ascii=False)
    assert "a@example.vn" not in json.dumps(message.payload)
    assert message.payload["to"] == outbox.ERASED
    assert message.payload["channel"] == "email"
    [sent] = (tmp_path / "mail").glob("*.eml")
    assert "K7Q2-9XPM" in message_from_bytes(sent.read_bytes()).get_payload(decode=True).decode()


@pytest.mark.django_db
def test_the_admin_never_shows_a_pending_notification_text(client):
    from tests import factories

    factories.sign_in(client, factories.official("quantri", is_staff=True, totp=True))
    message = notify.notify("sms", "0912345678", "", "Mã tra cứu: K7Q2-9XPM")
    page = client.get(f"/quan-tri/core/outboxmessage/{message.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "K7Q2-9XPM" not in html
    assert "0912345678" not in html
    assert "sms" in html


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["sms", "zalo", "email"])
def test_production_without_a_gateway_parks_the_message_instead_of_logging_it(
    settings, tmp_path, caplog, channel
):
    """One-time codes and look-up secrets never land in a production log or folder."""
    settings.PRODUCTION = True
    settings.EMAIL_URL = settings.SMS_URL = settings.ZALO_URL = ""
    settings.VAR_DIR = tmp_path
    to = "a@example.vn" if channel == "email" else "0912345678"
    message = notify.notify(channel, to, "Mã", "Mã xác nhận: 482913", essential=True)
    outbox.run_once("w1")
    message.refresh_from_db()
    assert message.state == "parked"
    assert "482913" not in caplog.text
    assert not (tmp_path / "mail").exists()
