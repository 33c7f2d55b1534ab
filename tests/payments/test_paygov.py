"""PayGov (reconstructed messages): checksums against strings written out by hand, CONFIRM
read and verified, INIT/QUERY/GET_BILL against an independent peer in its own process."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.payments.peer_process import peer
from tinhso.payments import gateways
from tinhso.payments.gateways import (
    BadSignature,
    GatewayError,
    GatewayRefused,
    GatewayUnavailable,
)
from tinhso.payments.paygov import PayGovGateway

PARTNER = "TINHSO"
SECRET = "paygov-secret-0123"
TOKEN = "token-abc"
CREATED = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)  # 14:30:00 GMT+7


def by_hand(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_gateway(url: str = "http://127.0.0.1:9/", timeout: float = 5) -> PayGovGateway:
    return PayGovGateway(
        url=url, partner_code=PARTNER, secret=SECRET, token=TOKEN, version="1.0.6", timeout=timeout
    )


def test_the_init_checksum_is_the_sha256_written_out_by_hand():
    message = make_gateway().init_message(
        txn_ref="TS-1",
        amount=150_000,
        order_info="Lệ phí hộ tịch | bản sao",
        client_ip="203.0.113.7",
        created_at=CREATED,
        receipt={"MaHoSo": "H12-1"},
    )
    written = (
        "INIT|1.0.6|TINHSO|TS-1|150000|PAY|WEB|DESKTOP|vi-VN|VND||Lệ phí hộ tịch | bản sao"
        "|20261205143000|203.0.113.7|paygov-secret-0123"
    )
    assert message["MaXacThuc"] == by_hand(written)
    assert (message["ThoiGianGD"], message["SoTien"]) == ("20261205143000", "150000")
    assert message["ThongTinBienLai"] == {"MaHoSo": "H12-1"}


def confirm(**changes: str) -> dict[str, str]:
    fields = {
        "LoaiBanTin": "CONFIRM",
        "MaLoi": "00",
        "MaDoiTac": PARTNER,
        "MaThamChieu": "TS-1",
        "SoTien": "150000",
        "MaTienTe": "VND",
        "MaGiaoDich": "PG000123",
        "MaNganHang": "VCB",
        "ThoiGianGD": "20261205143512",
        "ThongTinGiaoDich": "Lệ phí hộ tịch",
        **changes,
    }
    written = "|".join(
        fields[name]
        for name in (
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
    )
    return {**fields, "MaXacThuc": by_hand(written + "|" + SECRET)}


def test_a_signed_confirm_is_a_paid_outcome():
    outcome = make_gateway().read_callback(confirm())
    assert outcome == gateways.Outcome(
        txn_ref="TS-1",
        amount=150_000,
        status="paid",
        gateway_code="00",
        transaction_no="PG000123",
        paid_at=datetime(2026, 12, 5, 7, 35, 12, tzinfo=UTC),
        raw=confirm(),
        gateway="paygov",
    )


def test_a_confirm_with_an_error_code_is_failed():
    outcome = make_gateway().read_callback(confirm(MaLoi="24"))
    assert (outcome.status, outcome.gateway_code, outcome.paid_at) == ("failed", "24", None)


@pytest.mark.parametrize(
    "broken",
    [
        {"SoTien": "150001"},
        {"MaThamChieu": "TS-2"},
        {"MaXacThuc": ""},
    ],
)
def test_a_tampered_or_unsigned_confirm_is_a_bad_signature(broken):
    with pytest.raises(BadSignature):
        make_gateway().read_callback({**confirm(), **broken})


def test_another_partners_confirm_is_refused():
    with pytest.raises(BadSignature):
        make_gateway().read_callback(confirm(MaDoiTac="KHAC"))


def test_from_settings_and_unconfigured(settings):
    settings.PAYGOV_URL = ""
    with pytest.raises(ImproperlyConfigured):
        gateways.gateway("paygov")
    settings.PAYGOV_URL = "https://paygov.example.vn/api"
    settings.PAYGOV_PARTNER_CODE = PARTNER
    settings.PAYGOV_SECRET = SECRET
    settings.PAYGOV_TOKEN = TOKEN
    built = gateways.gateway("paygov")
    assert isinstance(built, PayGovGateway)
    assert (built.name, built.partner_code, built.version) == ("paygov", PARTNER, "1.0.6")
    assert SECRET not in repr(built) and TOKEN not in repr(built)


# --- Against the peer --------------------------------------------------------------------


@pytest.fixture
def paygov_peer(tmp_path):
    log = tmp_path / "requests.jsonl"
    with peer("paygov_peer.py", PARTNER, SECRET, TOKEN, str(log)) as url:
        yield url + "/api", log


def sent(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.slow
def test_init_returns_the_payment_page(paygov_peer):
    url, log = paygov_peer
    page = make_gateway(url).start(
        txn_ref="TS-7",
        amount=150_000,
        order_info="Lệ phí hộ tịch",
        return_url="https://dvc.example.vn/payments/paygov/return",
        client_ip="10.0.0.5",
        created_at=CREATED,
        expires_at=CREATED,
    )
    assert page == "https://thanhtoan.example.vn/pay?ref=TS-7"
    (request,) = sent(log)
    assert request["Authorization"] == "Bearer token-abc"
    assert (request["LoaiBanTin"], request["ThongTinGiaoDich"]) == ("INIT", "Lệ phí hộ tịch")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ref", "status", "code"),
    [("PAID-1", "paid", "00/1"), ("PENDING-1", "pending", "00/3"), ("FAILED-1", "failed", "00/4")],
)
def test_query_states(paygov_peer, ref, status, code):
    url, log = paygov_peer
    outcome = make_gateway(url).query(txn_ref=ref, created_at=CREATED, client_ip="10.0.0.5")
    assert (outcome.status, outcome.gateway_code, outcome.amount) == (status, code, 150_000)
    assert (outcome.paid_at is not None) == (status == "paid")
    (request,) = sent(log)
    assert (request["LoaiBanTin"], request["ThoiGianGD"]) == ("QUERY", "20261205143000")


@pytest.mark.slow
def test_query_not_found_is_unknown(paygov_peer):
    url, _ = paygov_peer
    outcome = make_gateway(url).query(txn_ref="NONE-1", created_at=CREATED, client_ip="10.0.0.5")
    assert (outcome.status, outcome.gateway_code) == ("unknown", "91")


@pytest.mark.slow
def test_query_answer_with_a_bad_checksum(paygov_peer):
    url, _ = paygov_peer
    with pytest.raises(BadSignature):
        make_gateway(url).query(txn_ref="BADSIG-1", created_at=CREATED, client_ip="10.0.0.5")


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["SLOW-1", "BROKEN-1"])
def test_timeout_and_5xx_are_unavailable(paygov_peer, ref):
    url, _ = paygov_peer
    with pytest.raises(GatewayUnavailable):
        make_gateway(url, timeout=1).query(txn_ref=ref, created_at=CREATED, client_ip="1.2.3.4")


def test_unreachable_is_unavailable():
    with pytest.raises(GatewayUnavailable):
        make_gateway(timeout=1).query(txn_ref="PAID-1", created_at=CREATED, client_ip="1.2.3.4")


@pytest.mark.slow
def test_a_wrong_secret_is_refused_by_the_platform(paygov_peer):
    url, _ = paygov_peer
    gateway = make_gateway(url)
    gateway.secret = "wrong"
    # The platform's answer (97) is signed with the real secret, which we no longer hold.
    with pytest.raises(BadSignature):
        gateway.query(txn_ref="PAID-1", created_at=CREATED, client_ip="1.2.3.4")


@pytest.mark.slow
def test_without_the_token_the_call_fails_without_retry(paygov_peer):
    url, _ = paygov_peer
    gateway = make_gateway(url)
    gateway.token = ""
    with pytest.raises(GatewayError) as error:
        gateway.query(txn_ref="PAID-1", created_at=CREATED, client_ip="1.2.3.4")
    assert not isinstance(error.value, GatewayUnavailable)


@pytest.mark.slow
def test_get_bill_returns_the_receipt(paygov_peer):
    url, log = paygov_peer
    bill = make_gateway(url).get_bill(txn_ref="PAID-3", created_at=CREATED)
    assert (bill["SoBienLai"], bill["KyHieu"]) == ("0000123", "BL-25")
    assert sent(log)[0]["LoaiBanTin"] == "GET_BILL"


def test_refund_is_not_part_of_the_messages():
    with pytest.raises(GatewayRefused) as refused:
        make_gateway().refund(
            txn_ref="PAID-1",
            amount=1,
            created_at=CREATED,
            transaction_no="PG1",
            requested_by="x",
            client_ip="1.2.3.4",
            full=True,
        )
    assert refused.value.code == "unsupported"
