"""VNPay 2.1.0: signing against vectors written out by hand, reading returns and IPNs, and the
merchant web API (QueryDR, refund) against an independent peer in its own process."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.payments.peer_process import peer
from tinhso.payments import gateways
from tinhso.payments.gateways import BadSignature, GatewayRefused, GatewayUnavailable
from tinhso.payments.vnpay import VNPayGateway, clean_order_info

SECRET = "TESTSECRETKEY0123456789ABCDEFGHIJ"
TMN = "TESTTMN1"


def by_hand(text: str, secret: str = SECRET) -> str:
    """HMAC-SHA512 of a literal string, lower-case hex: what VNPay computes."""
    return hmac.new(secret.encode(), text.encode("utf-8"), hashlib.sha512).hexdigest()


def make_gateway(api_url: str = "http://127.0.0.1:9/api", timeout: float = 5) -> VNPayGateway:
    return VNPayGateway(
        tmn_code=TMN,
        hash_secret=SECRET,
        pay_url="https://pay.example.vn/paymentv2/vpcpay.html",
        api_url=api_url,
        timeout=timeout,
    )


# The payment request of 150,000 đồng, created 14:30:00 and expiring 14:45:00 GMT+7, with a
# return URL holding "?", "&", "=", "+", "~" and "/" (each encoded as PHP's urlencode does),
# written out by hand in sorted order.
PAYMENT_STRING = (
    "vnp_Amount=15000000&vnp_Command=pay&vnp_CreateDate=20261205143000&vnp_CurrCode=VND"
    "&vnp_ExpireDate=20261205144500&vnp_IpAddr=203.0.113.7&vnp_Locale=vn"
    "&vnp_OrderInfo=Le+phi+dang+ky+khai+sinh+G01.2+so+12&vnp_OrderType=other"
    "&vnp_ReturnUrl=https%3A%2F%2Fdvc.example.vn%2Fpayments%2Fvnpay%2Freturn%3Fa%3D1%26b%3Dx%2By%7Ez%2Fw"
    "&vnp_TmnCode=TESTTMN1&vnp_TxnRef=TS-20261205-0001&vnp_Version=2.1.0"
)


def test_the_payment_url_is_signed_as_written_out_by_hand():
    url = make_gateway().start(
        txn_ref="TS-20261205-0001",
        amount=150_000,
        order_info="Lệ phí đăng ký khai sinh (G01.2) số #12",
        return_url="https://dvc.example.vn/payments/vnpay/return?a=1&b=x+y~z/w",
        client_ip="203.0.113.7",
        created_at=datetime(2026, 12, 5, 7, 30, tzinfo=UTC),
        expires_at=datetime(2026, 12, 5, 7, 45, tzinfo=UTC),
    )
    assert url == (
        "https://pay.example.vn/paymentv2/vpcpay.html?"
        + PAYMENT_STRING
        + "&vnp_SecureHash="
        + by_hand(PAYMENT_STRING)
    )


def test_a_vietnamese_value_is_signed_as_its_utf8_bytes_and_empty_fields_are_left_out():
    fields = {
        "vnp_TmnCode": TMN,
        "vnp_OrderInfo": "Lệ phí 50% & thuế = 0",
        "vnp_BankTranNo": "",
        "vnp_Amount": "100",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": "A1",
        "vnp_SecureHashType": "HmacSHA512",
    }
    written = (
        "vnp_Amount=100&vnp_OrderInfo=L%E1%BB%87+ph%C3%AD+50%25+%26+thu%E1%BA%BF+%3D+0"
        "&vnp_ResponseCode=00&vnp_TmnCode=TESTTMN1&vnp_TransactionStatus=00&vnp_TxnRef=A1"
    )
    fields["vnp_SecureHash"] = by_hand(written)
    outcome = make_gateway().read_callback(fields)
    assert (outcome.txn_ref, outcome.amount, outcome.status) == ("A1", 1, "paid")


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("Lệ phí đăng ký khai sinh", "Le phi dang ky khai sinh"),
        ("ĐĂNG KÝ KẾT HÔN: hồ sơ H12-0001", "DANG KY KET HON: ho so H12-0001"),
        ("a~b+c&d=e/f  g_h", "a b c d e f g_h"),
    ],
)
def test_order_info_keeps_letters_digits_space_and_four_marks(given, sent):
    assert clean_order_info(given) == sent


def return_fields(**changes: str) -> dict[str, str]:
    fields = {
        "vnp_Amount": "15000000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14226112",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Le phi dang ky khai sinh",
        "vnp_PayDate": "20261205143512",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": TMN,
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": "TS-20261205-0001",
        **changes,
    }
    written = "&".join(
        f"{name}={value.replace(' ', '+')}" for name, value in sorted(fields.items()) if value
    )
    return {**fields, "vnp_SecureHash": by_hand(written)}


def test_a_signed_return_is_read_with_amount_in_dong_and_pay_date_in_gmt7():
    outcome = make_gateway().read_callback(return_fields())
    assert outcome == gateways.Outcome(
        txn_ref="TS-20261205-0001",
        amount=150_000,
        status="paid",
        gateway_code="00/00",
        transaction_no="14226112",
        paid_at=datetime(2026, 12, 5, 7, 35, 12, tzinfo=UTC),
        raw=return_fields(),
        gateway="vnpay",
    )


def test_the_hash_may_come_in_upper_case():
    fields = return_fields()
    fields["vnp_SecureHash"] = fields["vnp_SecureHash"].upper()
    assert make_gateway().read_callback(fields).status == "paid"


def test_round_trip_from_the_payment_url_to_verification():
    gateway = make_gateway()
    url = gateway.start(
        txn_ref="R-1",
        amount=20_000,
        order_info="Phí",
        return_url="http://127.0.0.1:8000/payments/vnpay/return",
        client_ip="127.0.0.1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_at=datetime(2026, 1, 1, 0, 15, tzinfo=UTC),
    )
    query = dict(parse_qsl(urlsplit(url).query))
    # The request is no callback (no response code), but its signature holds as one would.
    outcome = gateway.read_callback(query)
    assert (outcome.txn_ref, outcome.amount) == ("R-1", 20_000)
    query["vnp_Amount"] = "2100000"
    with pytest.raises(BadSignature):
        gateway.read_callback(query)


@pytest.mark.parametrize(
    "change",
    [
        {"vnp_Amount": "15000100"},
        {"vnp_ResponseCode": "24"},
        {"vnp_TxnRef": "TS-20261205-0002"},
        {"vnp_BankTranNo": ""},  # a field removed
        {"vnp_Extra": "1"},  # a field added
    ],
)
def test_a_tampered_field_is_a_bad_signature(change):
    fields = {**return_fields(), **change}
    with pytest.raises(BadSignature):
        make_gateway().read_callback(fields)


def test_a_missing_hash_is_a_bad_signature():
    fields = return_fields()
    del fields["vnp_SecureHash"]
    with pytest.raises(BadSignature):
        make_gateway().read_callback(fields)


def test_another_merchants_message_is_refused_even_if_signed_with_our_secret():
    with pytest.raises(BadSignature):
        make_gateway().read_callback(return_fields(vnp_TmnCode="OTHER001"))


def test_a_message_signed_with_another_secret_is_refused():
    fields = return_fields()
    fields["vnp_SecureHash"] = by_hand("vnp_Amount=15000000", secret="another")
    with pytest.raises(BadSignature):
        make_gateway().read_callback(fields)


@pytest.mark.parametrize(
    ("response", "status", "expected"),
    [
        ("00", "00", "paid"),
        ("24", "02", "cancelled"),
        ("11", "02", "failed"),
        ("51", "02", "failed"),
        ("65", "02", "failed"),
        ("07", "07", "pending"),
    ],
)
def test_response_codes_become_statuses(response, status, expected):
    fields = return_fields(vnp_ResponseCode=response, vnp_TransactionStatus=status)
    outcome = make_gateway().read_callback(fields)
    assert (outcome.status, outcome.gateway_code) == (expected, f"{response}/{status}")
    assert (outcome.paid_at is not None) == (expected == "paid")


def test_gateway_from_settings_uses_the_configured_merchant(settings):
    settings.VNPAY_TMN_CODE = TMN
    settings.VNPAY_HASH_SECRET = SECRET
    settings.VNPAY_URL = "https://pay.example.vn/paymentv2/vpcpay.html"
    settings.VNPAY_API_URL = "https://pay.example.vn/merchant_webapi/api/transaction"
    settings.PAYMENTS_GATEWAY_TIMEOUT = 7
    built = gateways.gateway("vnpay")
    assert isinstance(built, VNPayGateway)
    assert (built.name, built.tmn_code, built.timeout) == ("vnpay", TMN, 7)
    assert SECRET not in repr(built)


# --- The merchant web API against a peer in its own process ------------------------------


@pytest.fixture
def vnpay_peer(tmp_path):
    log = tmp_path / "requests.jsonl"
    with peer("vnpay_peer.py", TMN, SECRET, str(log)) as url:
        yield url + "/merchant_webapi/api/transaction", log


def sent(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


CREATED = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)


@pytest.mark.slow
def test_querydr_finds_a_payment(vnpay_peer):
    url, log = vnpay_peer
    outcome = make_gateway(url).query(txn_ref="PAID-1", created_at=CREATED, client_ip="10.0.0.5")
    assert (outcome.status, outcome.amount, outcome.transaction_no) == ("paid", 150_000, "14226112")
    assert outcome.gateway_code == "00/00"
    assert outcome.paid_at == datetime(2026, 12, 5, 7, 30, 15, tzinfo=UTC)
    (request,) = sent(log)
    assert request["vnp_Command"] == "querydr"
    assert request["vnp_TransactionDate"] == "20261205143000"
    assert request["vnp_IpAddr"] == "10.0.0.5"
    assert len(request["vnp_RequestId"]) == 32


@pytest.mark.slow
def test_querydr_pending_and_not_found(vnpay_peer):
    url, _ = vnpay_peer
    gateway = make_gateway(url)
    pending = gateway.query(txn_ref="PENDING-1", created_at=CREATED, client_ip="10.0.0.5")
    assert (pending.status, pending.gateway_code, pending.paid_at) == ("pending", "00/01", None)
    missing = gateway.query(txn_ref="NONE-1", created_at=CREATED, client_ip="10.0.0.5")
    assert (missing.status, missing.gateway_code, missing.amount) == ("unknown", "91", 0)


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["BADSIG-1", "OTHER-1"])
def test_querydr_refuses_an_answer_with_a_bad_signature_or_merchant(vnpay_peer, ref):
    url, _ = vnpay_peer
    with pytest.raises(BadSignature):
        make_gateway(url).query(txn_ref=ref, created_at=CREATED, client_ip="10.0.0.5")


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["SLOW-1", "BROKEN-1"])
def test_querydr_timeout_and_5xx_are_unavailable(vnpay_peer, ref):
    url, _ = vnpay_peer
    with pytest.raises(GatewayUnavailable):
        make_gateway(url, timeout=1).query(txn_ref=ref, created_at=CREATED, client_ip="1.2.3.4")


def test_an_unreachable_gateway_is_unavailable():
    with pytest.raises(GatewayUnavailable):
        make_gateway("http://127.0.0.1:9/api", timeout=1).query(
            txn_ref="PAID-1", created_at=CREATED, client_ip="1.2.3.4"
        )


@pytest.mark.slow
def test_a_request_for_another_merchant_is_refused_with_the_gateways_code(vnpay_peer):
    url, _ = vnpay_peer
    gateway = make_gateway(url)
    gateway.tmn_code = "WRONG001"
    with pytest.raises(GatewayRefused) as refused:
        gateway.query(txn_ref="PAID-1", created_at=CREATED, client_ip="1.2.3.4")
    assert refused.value.code == "02"


@pytest.mark.slow
def test_refund_full_partial_and_refused(vnpay_peer):
    url, log = vnpay_peer
    gateway = make_gateway(url)
    common = {
        "created_at": CREATED,
        "transaction_no": "14226112",
        "requested_by": "ketoan01",
        "client_ip": "10.0.0.5",
    }
    full = gateway.refund(txn_ref="PAID-2", amount=150_000, full=True, **common)
    assert (full.status, full.gateway_code) == ("submitted", "00/05")
    partial = gateway.refund(txn_ref="DONE-2", amount=50_000, full=False, **common)
    assert (partial.status, partial.gateway_code) == ("refunded", "00/00")
    refused = gateway.refund(txn_ref="NEVER-2", amount=50_000, full=True, **common)
    assert (refused.status, refused.gateway_code) == ("rejected", "95")
    first, second, _ = sent(log)
    assert (first["vnp_TransactionType"], first["vnp_Amount"]) == ("02", "15000000")
    assert (second["vnp_TransactionType"], second["vnp_Amount"]) == ("03", "5000000")
    assert (first["vnp_CreateBy"], first["vnp_TransactionNo"]) == ("ketoan01", "14226112")


def decide(peer_url: str, payment_url: str, choice: str, ipn: str = ""):
    import urllib.request

    base = peer_url.rsplit("/merchant_webapi", 1)[0]
    request = urllib.request.Request(
        base + "/test/decide",
        data=json.dumps({"url": payment_url, "choice": choice, "ipn": ipn}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_the_peer_pays_a_url_we_signed_and_querydr_finds_it_without_any_ipn(vnpay_peer):
    url, _ = vnpay_peer
    gateway = make_gateway(url)
    payment_url = gateway.start(
        txn_ref="TS-E2E-1",
        amount=75_000,
        order_info="Lệ phí chứng thực bản sao",
        return_url="https://dvc.example.vn/payments/vnpay/return",
        client_ip="10.0.0.5",
        created_at=CREATED,
        expires_at=CREATED,
    )
    result = decide(url, payment_url, "approve")
    back = dict(parse_qsl(urlsplit(result["return_url"]).query))
    assert gateway.read_callback(back).status == "paid"  # the peer signed it with its own code
    outcome = gateway.query(txn_ref="TS-E2E-1", created_at=CREATED, client_ip="10.0.0.5")
    assert (outcome.status, outcome.amount) == ("paid", 75_000)
    assert outcome.transaction_no == back["vnp_TransactionNo"]


@pytest.mark.slow
def test_the_peer_refuses_a_tampered_payment_url(vnpay_peer):
    import urllib.error

    url, _ = vnpay_peer
    payment_url = make_gateway(url).start(
        txn_ref="TS-E2E-2",
        amount=75_000,
        order_info="Phi",
        return_url="https://dvc.example.vn/r",
        client_ip="10.0.0.5",
        created_at=CREATED,
        expires_at=CREATED,
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        decide(url, payment_url.replace("vnp_Amount=7500000", "vnp_Amount=100"), "approve")
    assert refused.value.code == 400
