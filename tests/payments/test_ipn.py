"""The VNPay IPN and return endpoints, exactly as the protocol asks (docs/payments.md):
signature first (97, nothing recorded), then the order (01), the amount (04, a refund case),
once (00, then 02), anything else 99. Queries are signed here by hand, not by vnpay.py."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from tinhso.core import outbox
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.payments import actions, gateways
from tinhso.payments.models import Attempt, Charge, Event, Receipt, Refund
from tinhso.payments.vnpay import VNPayGateway

from .ledger_support import callback, dossier, outcome, query_string, use_test_merchant, world

IPN = "/payments/vnpay/ipn"
RETURN = "/payments/vnpay/return"


@pytest.fixture(autouse=True)
def merchant(settings):
    use_test_merchant(settings)


@pytest.fixture
def attempt(db):
    w = world()
    charge = actions.charge_for(dossier(w), "submission")
    return actions.start_attempt(charge, "vnpay", "203.0.113.7", "http://testserver" + RETURN)


def ipn(client, fields):
    response = client.get(f"{IPN}?{query_string(fields)}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def nothing_recorded_since(audit_count: int) -> None:
    assert Event.objects.count() == 0
    assert Refund.objects.count() == 0
    assert not OutboxMessage.objects.filter(topic=actions.PAID_TOPIC).exists()
    assert AuditRecord.objects.count() == audit_count


@pytest.mark.django_db
def test_the_payment_url_is_the_signed_gateway_url(attempt):
    assert attempt.payment_url.startswith("https://pay.example.vn/paymentv2/vpcpay.html?")
    assert f"vnp_TxnRef={attempt.txn_ref}" in attempt.payment_url
    assert "vnp_Amount=20000000" in attempt.payment_url


@pytest.mark.django_db
def test_confirmed_once_then_already_confirmed(client, attempt):
    fields = callback(attempt.txn_ref, 200000)
    assert ipn(client, fields) == {"RspCode": "00", "Message": "Confirm Success"}
    assert ipn(client, fields) == {"RspCode": "02", "Message": "Order already confirmed"}
    attempt.refresh_from_db()
    assert (attempt.state, attempt.transaction_no, attempt.gateway_code) == (
        "paid",
        "14000001",
        "00/00",
    )
    assert list(Event.objects.values_list("kind", "verified", "effect")) == [
        ("callback", True, "applied"),
        ("callback", True, "already"),
    ]
    assert Event.objects.first().raw["vnp_TxnRef"] == attempt.txn_ref


@pytest.mark.django_db
def test_unknown_reference(client, attempt):
    assert ipn(client, callback("NOSUCHREF123", 200000)) == {
        "RspCode": "01",
        "Message": "Order not found",
    }
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"


@pytest.mark.django_db
def test_wrong_amount_opens_a_refund_case(client, attempt):
    fields = callback(attempt.txn_ref, 2000)
    assert ipn(client, fields) == {"RspCode": "04", "Message": "Invalid amount"}
    assert ipn(client, fields)["RspCode"] == "04"  # the gateway calls again: no second case
    attempt.refresh_from_db()
    assert attempt.state == "failed"
    assert Charge.objects.get(pk=attempt.charge_id).state == "open"
    assert list(Refund.objects.values_list("cause", "amount")) == [("amount_mismatch", 2000)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forge",
    [
        lambda f: {**f, "vnp_Amount": "100"},  # changed after signing
        lambda f: {k: v for k, v in f.items() if k != "vnp_SecureHash"},  # no hash
        lambda f: {**f, "vnp_SecureHash": "00" * 64},
    ],
)
def test_a_forged_signature_records_nothing(client, attempt, forge):
    before = AuditRecord.objects.count()
    fields = forge(callback(attempt.txn_ref, 200000))
    assert ipn(client, fields) == {"RspCode": "97", "Message": "Invalid signature"}
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"
    nothing_recorded_since(before)
    # ... and the genuine call that follows is applied as if the forgery never came
    assert ipn(client, callback(attempt.txn_ref, 200000))["RspCode"] == "00"


@pytest.mark.django_db
def test_signed_with_another_secret_or_for_another_merchant(client, attempt):
    before = AuditRecord.objects.count()
    other = callback(attempt.txn_ref, 200000, secret="SOMEONEELSESECRET0123456789ABCDEF")
    assert ipn(client, other)["RspCode"] == "97"
    foreign = callback(attempt.txn_ref, 200000, tmn="OTHERTMN")
    assert ipn(client, foreign)["RspCode"] == "97"
    nothing_recorded_since(before)


@pytest.mark.django_db
def test_anything_else_is_99(client, attempt, monkeypatch):
    # a correctly signed message that cannot be read (an amount not in đồng × 100)
    odd = callback(attempt.txn_ref, 200000)
    odd = {k: v for k, v in odd.items() if k != "vnp_SecureHash"}
    odd["vnp_Amount"] = "12345"
    from .ledger_support import signed

    assert ipn(client, signed(odd)) == {"RspCode": "99", "Message": "Unknown error"}
    # the gateway has not settled it yet (07: held as suspicious)
    assert ipn(client, callback(attempt.txn_ref, 200000, code="07", status="07"))["RspCode"] == "99"
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"

    # the ledger fails (the database is down): 99, and the gateway calls again
    def broken(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(actions, "apply_outcome", broken)
    assert ipn(client, callback(attempt.txn_ref, 200000))["RspCode"] == "99"


@pytest.mark.django_db
def test_a_cancelled_payment_is_confirmed_as_cancelled(client, attempt):
    fields = callback(attempt.txn_ref, 200000, code="24", status="02", transaction_no="0")
    assert ipn(client, fields)["RspCode"] == "00"
    assert Attempt.objects.get(pk=attempt.pk).state == "cancelled"
    assert ipn(client, fields)["RspCode"] == "02"


@pytest.mark.django_db
def test_the_ipn_is_get_only_and_needs_no_csrf_token(attempt):
    client = Client(enforce_csrf_checks=True)
    assert client.post(IPN, callback(attempt.txn_ref, 200000)).status_code == 405
    assert ipn(client, callback(attempt.txn_ref, 200000))["RspCode"] == "00"


# --- the return page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_return_never_marks_paid_on_the_browsers_word(client, attempt, monkeypatch):
    def unreachable(self, **kwargs):
        raise gateways.GatewayUnavailable("timeout")

    monkeypatch.setattr(VNPayGateway, "query", unreachable)
    response = client.get(f"{RETURN}?{query_string(callback(attempt.txn_ref, 200000))}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "đang xác nhận giao dịch" in page
    assert attempt.txn_ref in page
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"
    assert Charge.objects.get(pk=attempt.charge_id).state == "open"
    assert list(Event.objects.values_list("kind", "effect")) == [("return", "display")]


@pytest.mark.django_db
def test_the_return_asks_the_gateway_and_applies_its_verified_answer(client, attempt, monkeypatch):
    asked = []

    def answer(self, *, txn_ref, created_at, client_ip):
        asked.append((txn_ref, created_at, client_ip))
        return outcome(txn_ref, 200000)

    monkeypatch.setattr(VNPayGateway, "query", answer)
    response = client.get(f"{RETURN}?{query_string(callback(attempt.txn_ref, 200000))}")
    page = response.content.decode()
    assert "Đã thanh toán thành công" in page
    assert "200.000 đồng" in page
    assert asked == [(attempt.txn_ref, attempt.created_at, "203.0.113.7")]
    assert Attempt.objects.get(pk=attempt.pk).state == "paid"
    assert list(Event.objects.values_list("kind", "effect")) == [
        ("return", "display"),
        ("query", "applied"),
    ]
    # a reload after the IPN asks nothing more
    client.get(f"{RETURN}?{query_string(callback(attempt.txn_ref, 200000))}")
    assert len(asked) == 1


@pytest.mark.django_db
def test_a_forged_return_shows_a_vietnamese_page_and_records_nothing(client, attempt):
    before = AuditRecord.objects.count()
    fields = {**callback(attempt.txn_ref, 200000), "vnp_ResponseCode": "00", "vnp_Amount": "1"}
    response = client.get(f"{RETURN}?{query_string(fields)}")
    assert response.status_code == 400
    assert "chữ ký không hợp lệ" in response.content.decode()
    nothing_recorded_since(before)


@pytest.mark.django_db
def test_a_cancelled_return_says_so(client, attempt):
    fields = callback(attempt.txn_ref, 200000, code="24", status="02", transaction_no="0")
    page = client.get(f"{RETURN}?{query_string(fields)}").content.decode()
    assert "Giao dịch chưa hoàn tất" in page
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"  # the IPN says, not the browser


# --- the same IPN, 50 times at once ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_deliveries_pay_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only: SQLite runs one write transaction at a time, so there is no "
            "concurrent delivery to prove; the PostgreSQL suite under CI runs this test"
        )
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = world()
    charge = actions.charge_for(dossier(w), "submission")
    attempt = actions.start_attempt(charge, "vnpay", "203.0.113.7", "http://testserver" + RETURN)
    url = f"{IPN}?{query_string(callback(attempt.txn_ref, 200000))}"
    barrier = threading.Barrier(50)
    answers: list[str] = []
    failures: list[BaseException] = []

    def deliver() -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=30)
            answers.append(Client().get(url).json()["RspCode"])
        except BaseException as exc:  # reported below, with the thread's own error
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert Counter(answers) == {"00": 1, "02": 49}
    while outbox.run_once():
        pass
    assert Attempt.objects.filter(charge=charge, state="paid").count() == 1
    assert Receipt.objects.filter(charge=charge).count() == 1
    assert OutboxMessage.objects.filter(topic=actions.PAID_TOPIC).count() == 1
    assert OutboxMessage.objects.filter(topic="notify").count() == 1
    assert Event.objects.filter(attempt=attempt, kind="callback").count() == 50
    assert AuditRecord.objects.filter(action="payments.paid").count() == 1
