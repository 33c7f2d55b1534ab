"""PayGov's CONFIRM at /payments/paygov/confirm, in the IPN's shape (docs/payments.md,
"PayGov"): checksum first (97, nothing recorded), then the reference (01), the amount (04, a
refund case), once (00, then 02), anything else 99. CONFIRMs are signed here by hand
(SHA-256 of the fields written out), and by the PayGov peer in its own process."""

from __future__ import annotations

import hashlib
import json
import urllib.request

import pytest

from tests.payments.peer_process import peer
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.payments import actions
from tinhso.payments.models import Attempt, Charge, Event, Refund

from .ledger_support import FakeGateway, dossier, world

CONFIRM = "/payments/paygov/confirm"
PARTNER = "TINHSO"
SECRET = "paygov-secret-0123"
TOKEN = "token-abc"
SIGNED = (
    "LoaiBanTin",
    "MaLoi",
    "MaDoiTac",
    "MaThamChieu",
    "SoTien",
    "MaTienTe",
    "MaGiaoDich",
    "MaNganHang",
    "ThoiGianGD",
    "ThongTinGiaoDich",
)
CONFIRMED = {"MaLoi": "00", "MoTaLoi": "Xác nhận thành công"}
ALREADY = {"MaLoi": "02", "MoTaLoi": "Giao dịch đã được xác nhận trước đó"}
NOT_FOUND = {"MaLoi": "01", "MoTaLoi": "Không tìm thấy giao dịch"}
WRONG_AMOUNT = {"MaLoi": "04", "MoTaLoi": "Số tiền không khớp"}
BAD_CHECKSUM = {"MaLoi": "97", "MoTaLoi": "Mã xác thực không hợp lệ"}
ERROR = {"MaLoi": "99", "MoTaLoi": "Lỗi không xác định, vui lòng gửi lại"}


@pytest.fixture(autouse=True)
def platform(settings):
    settings.PAYGOV_URL = "http://127.0.0.1:9/api"
    settings.PAYGOV_PARTNER_CODE = PARTNER
    settings.PAYGOV_SECRET = SECRET
    settings.PAYGOV_TOKEN = TOKEN


@pytest.fixture
def attempt(db):
    charge = actions.charge_for(dossier(world()), "submission")
    return actions.start_attempt(
        charge, FakeGateway(name="paygov"), "203.0.113.7", "http://testserver/"
    )


def signed(ref: str, amount: int, secret: str = SECRET, **changes: str) -> dict[str, str]:
    fields = {
        "LoaiBanTin": "CONFIRM",
        "MaLoi": "00",
        "MaDoiTac": PARTNER,
        "MaThamChieu": ref,
        "SoTien": str(amount),
        "MaTienTe": "VND",
        "MaGiaoDich": "PG000123",
        "MaNganHang": "VCB",
        "ThoiGianGD": "20261205143512",
        "ThongTinGiaoDich": "Lệ phí cung cấp thông tin",
        **changes,
    }
    text = "|".join([*(fields[name] for name in SIGNED), secret])
    return {**fields, "MaXacThuc": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def post(client, body) -> dict:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
    response = client.post(CONFIRM, data=data, content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def nothing_recorded_since(audit_count: int, attempt: Attempt | None = None) -> None:
    assert Event.objects.count() == 0
    assert Refund.objects.count() == 0
    assert not OutboxMessage.objects.filter(topic=actions.PAID_TOPIC).exists()
    assert AuditRecord.objects.count() == audit_count
    if attempt is not None:
        attempt.refresh_from_db()
        assert attempt.state == "pending"


@pytest.mark.django_db
def test_confirmed_once_then_already_confirmed(client, attempt):
    message = signed(attempt.txn_ref, 200000)
    assert post(client, message) == CONFIRMED
    assert post(client, message) == ALREADY
    attempt.refresh_from_db()
    assert (attempt.state, attempt.transaction_no, attempt.gateway_code) == (
        "paid",
        "PG000123",
        "00",
    )
    assert Charge.objects.get(pk=attempt.charge_id).state == "paid"
    assert list(Event.objects.values_list("kind", "verified", "effect", "amount")) == [
        ("callback", True, "applied", 200000),
        ("callback", True, "already", 200000),
    ]
    assert Event.objects.first().raw["MaThamChieu"] == attempt.txn_ref
    assert OutboxMessage.objects.filter(topic=actions.PAID_TOPIC).count() == 1


@pytest.mark.django_db
def test_a_failure_report_fails_the_attempt(client, attempt):
    assert post(client, signed(attempt.txn_ref, 200000, MaLoi="24")) == CONFIRMED
    attempt.refresh_from_db()
    assert (attempt.state, attempt.gateway_code) == ("failed", "24")
    assert Charge.objects.get(pk=attempt.charge_id).state == "open"


@pytest.mark.django_db
def test_wrong_amount_opens_one_refund_case(client, attempt):
    message = signed(attempt.txn_ref, 199000)
    assert post(client, message) == WRONG_AMOUNT
    assert post(client, message) == WRONG_AMOUNT  # the platform calls again: no second case
    attempt.refresh_from_db()
    assert attempt.state == "failed"
    assert Charge.objects.get(pk=attempt.charge_id).state == "open"
    assert list(Refund.objects.values_list("cause", "amount", "state")) == [
        ("amount_mismatch", 199000, "requested")
    ]


@pytest.mark.django_db
def test_unknown_reference(client, attempt):
    assert post(client, signed("NOSUCHREF123", 200000)) == NOT_FOUND
    assert list(Event.objects.values_list("attempt", "txn_ref", "effect")) == [
        (None, "NOSUCHREF123", "not_found")
    ]
    attempt.refresh_from_db()
    assert attempt.state == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forge",
    [
        lambda m: {**m, "SoTien": "1"},  # changed after signing
        lambda m: {k: v for k, v in m.items() if k != "MaXacThuc"},
        lambda m: {**m, "MaXacThuc": "00" * 32},
        lambda m: signed(m["MaThamChieu"], 200000, secret="someone-elses-secret"),
        lambda m: signed(m["MaThamChieu"], 200000, MaDoiTac="KHAC"),  # another partner's
        # a QUERY answer is signed over the same fields: replayed here it is no CONFIRM
        lambda m: signed(m["MaThamChieu"], 200000, LoaiBanTin="QUERY"),
        lambda m: b"not json",
        lambda m: b"\xff\xfe",
        lambda m: [m],
    ],
)
def test_a_forged_confirm_records_nothing(client, attempt, forge):
    before = AuditRecord.objects.count()
    assert post(client, forge(signed(attempt.txn_ref, 200000))) == BAD_CHECKSUM
    nothing_recorded_since(before, attempt)


@pytest.mark.django_db
def test_another_currency_is_not_applied(client, attempt):
    before = AuditRecord.objects.count()
    assert post(client, signed(attempt.txn_ref, 200000, MaTienTe="USD")) == ERROR
    nothing_recorded_since(before, attempt)


@pytest.mark.django_db
def test_an_attempt_through_vnpay_is_not_confirmed_by_paygov(client):
    charge = actions.charge_for(dossier(world()), "submission")
    vnpay = actions.start_attempt(charge, FakeGateway(name="vnpay"), "203.0.113.7", "http://x/")
    before = AuditRecord.objects.count()
    assert post(client, signed(vnpay.txn_ref, 200000)) == NOT_FOUND
    nothing_recorded_since(before, vnpay)


@pytest.mark.django_db
def test_not_configured_is_an_error_and_records_nothing(client, attempt, settings):
    settings.PAYGOV_SECRET = ""
    before = AuditRecord.objects.count()
    assert post(client, signed(attempt.txn_ref, 200000)) == ERROR
    nothing_recorded_since(before, attempt)


@pytest.mark.django_db
def test_only_post(client):
    assert client.get(CONFIRM).status_code == 405


# --- the platform's side, played by the peer in its own process ----------------------------


@pytest.fixture
def paygov_peer(settings, tmp_path):
    with peer("paygov_peer.py", PARTNER, SECRET, TOKEN, str(tmp_path / "peer.log")) as url:
        settings.PAYGOV_URL = url + "/api"
        yield url


def platform_confirms(peer_url: str, our_url: str, ref: str, amount: int, **extra) -> dict:
    body = json.dumps({"url": our_url, "ref": ref, "amount": amount, **extra}).encode()
    request = urllib.request.Request(
        peer_url + "/test/confirm", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_init_then_the_platforms_confirm(paygov_peer, live_server):
    charge = actions.charge_for(dossier(world()), "submission")
    attempt = actions.start_attempt(charge, "paygov", "203.0.113.7", live_server.url + "/")
    assert attempt.payment_url == f"https://thanhtoan.example.vn/pay?ref={attempt.txn_ref}"
    ours = live_server.url + CONFIRM

    forged = platform_confirms(
        paygov_peer, ours, attempt.txn_ref, 200000, secret="someone-elses-secret"
    )
    assert (forged["status"], forged["body"]) == (200, BAD_CHECKSUM)
    assert Event.objects.count() == 0

    first = platform_confirms(paygov_peer, ours, attempt.txn_ref, 200000)
    again = platform_confirms(paygov_peer, ours, attempt.txn_ref, 200000)
    assert (first["status"], first["body"]) == (200, CONFIRMED)
    assert (again["status"], again["body"]) == (200, ALREADY)
    attempt.refresh_from_db()
    assert (attempt.state, attempt.transaction_no) == ("paid", "PG000777")
    assert list(Event.objects.values_list("effect", flat=True)) == ["applied", "already"]

    unknown = platform_confirms(paygov_peer, ours, "NOSUCHREF123", 200000)
    assert unknown["body"] == NOT_FOUND


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_platform_reports_another_amount(paygov_peer, live_server):
    charge = actions.charge_for(dossier(world()), "submission")
    attempt = actions.start_attempt(charge, "paygov", "203.0.113.7", live_server.url + "/")
    answer = platform_confirms(paygov_peer, live_server.url + CONFIRM, attempt.txn_ref, 210000)
    assert answer["body"] == WRONG_AMOUNT
    attempt.refresh_from_db()
    assert attempt.state == "failed"
    assert list(Refund.objects.values_list("cause", "amount")) == [("amount_mismatch", 210000)]
