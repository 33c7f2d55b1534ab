"""The embedded VNPay sandbox: its pay page, the IPN it calls, the return it redirects to,
and its merchant web API, checked with signing code written here (not tinhso's)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.support import subprocess_env
from tinhso.core.audit import AuditRecord
from tinhso.payments.vnpay import VNPayGateway
from tinhso.sandbox.models import BankTransaction

PAY = "/sandbox/vnpay/pay"
API = "/sandbox/vnpay/api"
RETURN_URL = "http://testserver/payments/vnpay/return?dossier=H12-1&x=a+b~c"


def form_encode(text: str) -> str:
    """application/x-www-form-urlencoded as PHP's urlencode: keep A-Z a-z 0-9 - _ ."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in "-_."):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def form_hash(fields: dict[str, str], secret: str | None = None) -> str:
    kept = sorted(
        (k, v)
        for k, v in fields.items()
        if k.startswith("vnp_") and v and k not in ("vnp_SecureHash", "vnp_SecureHashType")
    )
    data = "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in kept)
    key = (secret or settings.VNPAY_HASH_SECRET).encode()
    return hmac.new(key, data.encode(), hashlib.sha512).hexdigest()


def gmt7(moment: datetime) -> str:
    return (moment.astimezone(UTC) + timedelta(hours=7)).strftime("%Y%m%d%H%M%S")


def pay_request(*, ref: str = "TS-0001", minutes_left: int = 15, **changes: str) -> dict:
    now = timezone.now()
    fields = {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": settings.VNPAY_TMN_CODE,
        "vnp_Amount": "15000000",
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": ref,
        "vnp_OrderInfo": "Le phi dang ky khai sinh H12-1",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": RETURN_URL,
        "vnp_IpAddr": "127.0.0.1",
        "vnp_CreateDate": gmt7(now - timedelta(minutes=1)),
        "vnp_ExpireDate": gmt7(now + timedelta(minutes=minutes_left)),
        **changes,
    }
    return {**fields, "vnp_SecureHash": form_hash(fields)}


def query_string(fields: dict) -> str:
    return "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in fields.items())


class IPNRecorder:
    """The merchant's IPN endpoint, on a local port: records each call, answers 00."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                recorder.calls.append({"path": parts.path, **dict(parse_qsl(parts.query))})
                body = json.dumps({"RspCode": "00", "Message": "Confirm Success"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ipn(settings):
    recorder = IPNRecorder()
    settings.SITE_URL = recorder.url
    yield recorder
    recorder.close()


def choose(client: Client, fields: dict, choice: str, **extra: str):
    page = client.get(f"{PAY}?{query_string(fields)}")
    assert page.status_code == 200
    data = {"request": page.context["request_query"], "choice": choice, **extra}
    return client.post(PAY, data)


def returned(response) -> dict[str, str]:
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://testserver/payments/vnpay/return?dossier=H12-1&x=a+b~c&")
    return dict(parse_qsl(urlsplit(location).query))


@pytest.mark.django_db
def test_the_pay_page_shows_merchant_order_and_amount(client):
    page = client.get(f"{PAY}?{query_string(pay_request())}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "150.000 đ" in html
    assert "Le phi dang ky khai sinh H12-1" in html
    assert settings.VNPAY_TMN_CODE in html
    for label in ("Thanh toán", "Hủy", "Thất bại", "Không gửi IPN"):
        assert label in html
    assert "<script" not in html.split("</footer>")[0].split("<main")[1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("tampered", "Chữ ký của yêu cầu thanh toán không hợp lệ"),
        ("unsigned", "Chữ ký của yêu cầu thanh toán không hợp lệ"),
        ("other-merchant", "Mã đơn vị chấp nhận thanh toán không đúng"),
        ("bad-amount", "Số tiền không hợp lệ"),
    ],
)
def test_a_bad_request_is_refused_with_a_vietnamese_page(client, fields, message):
    request = {
        "tampered": {**pay_request(), "vnp_Amount": "100"},
        "unsigned": {k: v for k, v in pay_request().items() if k != "vnp_SecureHash"},
        "other-merchant": pay_request(vnp_TmnCode="OTHER001"),
        "bad-amount": pay_request(vnp_Amount="1500050"),
    }[fields]
    page = client.get(f"{PAY}?{query_string(request)}")
    assert page.status_code == 400
    assert message in page.content.decode()
    assert "Thanh toán</button>" not in page.content.decode()
    assert not BankTransaction.objects.exists()


@pytest.mark.django_db
def test_approve_records_calls_the_ipn_and_returns_signed(client, ipn):
    request = pay_request()
    response = choose(client, request, "approve")
    back = returned(response)
    assert back["vnp_SecureHash"] == form_hash(back)
    assert (back["vnp_ResponseCode"], back["vnp_TransactionStatus"]) == ("00", "00")
    assert (back["vnp_Amount"], back["vnp_TxnRef"]) == ("15000000", "TS-0001")
    assert back["vnp_TmnCode"] == settings.VNPAY_TMN_CODE
    (call,) = ipn.calls
    assert call.pop("path") == "/payments/vnpay/ipn"
    assert call == {k: v for k, v in back.items() if k.startswith("vnp_")}
    assert (back["dossier"], back["x"]) == ("H12-1", "a b~c")  # the return URL's own query
    txn = BankTransaction.objects.get()
    assert (txn.status, txn.amount, txn.transaction_no) == (
        "paid",
        150_000,
        back["vnp_TransactionNo"],
    )
    assert txn.ipn_answer == "00 Confirm Success"
    assert txn.create_date == request["vnp_CreateDate"]
    assert (
        AuditRecord.objects.filter(action="sandbox.vnpay.decide", object_id=str(txn.pk)).count()
        == 1
    )
    # The tester sees the IPN's answer on the next page (the site's messages).
    shown = [str(m) for m in response.wsgi_request._messages]
    assert shown == [
        "Cổng thanh toán thử nghiệm đã báo kết quả giao dịch cho hệ thống, và hệ thống đã ghi nhận."
    ]
    assert "IPN" not in shown[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("choice", "code"), [("cancel", "24"), ("fail", "51")])
def test_cancel_and_fail_return_their_codes(client, ipn, choice, code):
    back = returned(choose(client, pay_request(), choice))
    assert back["vnp_SecureHash"] == form_hash(back)
    assert (back["vnp_ResponseCode"], back["vnp_TransactionStatus"]) == (code, "02")
    assert ipn.calls[0]["vnp_ResponseCode"] == code


@pytest.mark.django_db
def test_without_ipn_only_the_browser_returns(client, ipn):
    back = returned(choose(client, pay_request(), "approve", no_ipn="1"))
    assert back["vnp_ResponseCode"] == "00"
    assert ipn.calls == []
    assert BankTransaction.objects.get().ipn_answer == ""


@pytest.mark.django_db
def test_an_expired_request_gets_code_11_whatever_is_clicked(client, ipn):
    fields = pay_request(minutes_left=-1)
    page = client.get(f"{PAY}?{query_string(fields)}")
    assert "quá thời gian chờ" in page.content.decode()
    back = returned(
        client.post(PAY, {"request": page.context["request_query"], "choice": "approve"})
    )
    assert (back["vnp_ResponseCode"], ipn.calls[0]["vnp_ResponseCode"]) == ("11", "11")
    assert BankTransaction.objects.get().status == "expired"


@pytest.mark.django_db
def test_a_second_choice_on_the_same_request_changes_nothing(client, ipn):
    fields = pay_request()
    returned(choose(client, fields, "approve"))
    again = choose(client, fields, "cancel")
    assert again.status_code == 409
    assert "đã có kết quả" in again.content.decode()
    assert BankTransaction.objects.get().status == "paid"
    assert len(ipn.calls) == 1


@pytest.mark.django_db
def test_a_posted_request_is_checked_again(client, ipn):
    fields = pay_request()
    forged = query_string({**fields, "vnp_Amount": "100"})
    response = client.post(PAY, {"request": forged, "choice": "approve"})
    assert response.status_code == 400
    assert not BankTransaction.objects.exists() and ipn.calls == []


@pytest.mark.django_db
def test_the_pay_form_needs_csrf_and_the_api_does_not():
    strict = Client(enforce_csrf_checks=True)
    query = query_string(pay_request())
    assert strict.post(PAY, {"request": query, "choice": "approve"}).status_code == 403
    answer = strict.post(API, data="{}", content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["vnp_ResponseCode"] == "03"


# --- The merchant web API, through tinhso's real client on a live server ------------------


@pytest.fixture
def api_client(live_server, settings):
    return VNPayGateway(
        tmn_code=settings.VNPAY_TMN_CODE,
        hash_secret=settings.VNPAY_HASH_SECRET,
        pay_url=live_server.url + PAY,
        api_url=live_server.url + API,
        timeout=10,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_querydr_and_refund_through_the_sandbox(client, ipn, api_client):
    fields = pay_request(ref="TS-Q1")
    returned(choose(client, fields, "approve", no_ipn="1"))
    created = datetime.strptime(fields["vnp_CreateDate"], "%Y%m%d%H%M%S").replace(
        tzinfo=timezone.get_fixed_timezone(7 * 60)
    )
    outcome = api_client.query(txn_ref="TS-Q1", created_at=created, client_ip="127.0.0.1")
    txn = BankTransaction.objects.get()
    assert (outcome.status, outcome.amount, outcome.transaction_no) == (
        "paid",
        150_000,
        txn.transaction_no,
    )
    missing = api_client.query(txn_ref="TS-NONE", created_at=created, client_ip="127.0.0.1")
    assert missing.status == "unknown"
    common = {"created_at": created, "transaction_no": txn.transaction_no, "client_ip": "127.0.0.1"}
    part = api_client.refund(
        txn_ref="TS-Q1", amount=50_000, requested_by="ketoan", full=False, **common
    )
    assert (part.status, part.gateway_code) == ("refunded", "00/00")
    too_much = api_client.refund(
        txn_ref="TS-Q1", amount=150_000, requested_by="ketoan", full=True, **common
    )
    assert (too_much.status, too_much.gateway_code) == ("rejected", "93")
    txn.refresh_from_db()
    assert txn.refunded_amount == 50_000


@pytest.mark.django_db
def test_the_api_signs_its_answers_and_refuses_a_bad_checksum(client):
    message = {
        "vnp_RequestId": "1",
        "vnp_Command": "querydr",
        "vnp_TmnCode": settings.VNPAY_TMN_CODE,
    }
    message["vnp_SecureHash"] = "00" * 64
    answer = client.post(API, data=json.dumps(message), content_type="application/json").json()
    assert answer["vnp_ResponseCode"] == "97"
    order = (
        "ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|"
        "TransactionNo|TransactionType|TransactionStatus|OrderInfo|PromotionCode|PromotionAmount"
    )
    joined = "|".join(answer.get("vnp_" + name, "") for name in order.split("|"))
    expected = hmac.new(
        settings.VNPAY_HASH_SECRET.encode(), joined.encode(), hashlib.sha512
    ).hexdigest()
    assert answer["vnp_SecureHash"] == expected


@pytest.mark.slow
def test_production_mode_does_not_serve_the_sandbox(tmp_path):
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.urls import resolve, Resolver404\n"
        "print(settings.SANDBOX)\n"
        "try:\n    resolve('/sandbox/vnpay/pay'); print('served')\n"
        "except Resolver404:\n    print('not served')\n"
        "try:\n    resolve('/sandbox/vnpay/api'); print('served')\n"
        "except Resolver404:\n    print('not served')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=subprocess_env(
            DJANGO_SETTINGS_MODULE="tinhso.settings",
            TINHSO_MODE="production",
            SECRET_KEY="k" * 20 + "Zq8#vT2!mW9@xL4$pR7&nB5*" + "j" * 20,
            ALLOWED_HOSTS="dichvucong.daklak.gov.vn",
            TINHSO_VAR_DIR=str(tmp_path),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["False", "not", "served", "not", "served"], result.stderr


@pytest.mark.django_db
def test_the_views_refuse_even_if_mounted_when_sandbox_is_off(client, settings):
    settings.SANDBOX = False
    assert client.get(f"{PAY}?{query_string(pay_request())}").status_code == 404
    assert client.post(API, data="{}", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_the_tester_sees_recent_transactions_with_the_ipn_answers(client, ipn):
    returned(choose(client, pay_request(ref="TS-L1"), "approve"))
    page = client.get("/sandbox/vnpay/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "TS-L1" in html and "150.000 đ" in html and "00 Confirm Success" in html
