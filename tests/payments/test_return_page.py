"""The citizen's return page (views.vnpay_return): whatever the gateway's query or the ledger
does, it shows where things stand, never a server error."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tinhso.payments import actions, errors, gateways
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Attempt, Event
from tinhso.payments.vnpay import VNPayGateway, to_amount

from .ledger_support import (
    FakeGateway,
    callback,
    dossier,
    outcome,
    query_string,
    signed,
    use_test_merchant,
    world,
)

RETURN = "/payments/vnpay/return"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def merchant(settings):
    use_test_merchant(settings)


@pytest.fixture
def attempt():
    charge = actions.charge_for(dossier(world()), "submission")
    return actions.start_attempt(charge, "vnpay", "203.0.113.7", "http://testserver" + RETURN)


def _pending_page(client, attempt):
    response = client.get(f"{RETURN}?{query_string(callback(attempt.txn_ref, 200000))}")
    assert response.status_code == 200
    assert "đang xác nhận giao dịch" in response.content.decode()
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"


def test_an_unverifiable_query_answer_shows_the_pending_state(client, attempt, monkeypatch):
    def forged_answer(self, **kwargs):
        raise gateways.BadSignature("vnp_SecureHash does not match")

    monkeypatch.setattr(VNPayGateway, "query", forged_answer)
    _pending_page(client, attempt)
    assert list(Event.objects.values_list("kind", flat=True)) == ["return"]


@pytest.mark.parametrize(
    "error",
    [PaymentError(errors.GATEWAY_NOT_CONFIGURED), gateways.GatewayError("new kind")],
)
def test_a_ledger_or_gateway_error_shows_the_pending_state(client, attempt, monkeypatch, error):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(actions, "confirm_by_query", broken)
    _pending_page(client, attempt)


@pytest.mark.parametrize("amount", ["²00", "2000²", "２００"])
def test_a_signed_amount_that_is_not_ascii_digits_is_unreadable(client, attempt, amount):
    fields = {k: v for k, v in callback(attempt.txn_ref, 200000).items() if k != "vnp_SecureHash"}
    response = client.get(f"{RETURN}?{query_string(signed({**fields, 'vnp_Amount': amount}))}")
    assert response.status_code == 400
    assert not Event.objects.exists()


@pytest.mark.parametrize("amount", ["²00", "١٠٠", "1e5", "", "-100"])
def test_to_amount_refuses_anything_but_ascii_digits_with_a_gateway_error(amount):
    with pytest.raises(gateways.GatewayError):
        to_amount(amount)


# --- what a refund case tells the citizen ----------------------------------------------------


def _page(client, txn_ref, amount):
    response = client.get(f"{RETURN}?{query_string(callback(txn_ref, amount))}")
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_a_wrong_amount_says_so_and_that_the_charge_is_still_due(client, attempt):
    actions.apply_outcome(outcome(attempt.txn_ref, 150000), "callback")
    page = _page(client, attempt.txn_ref, 150000)
    assert "đã trừ 150.000 đồng, khác số tiền phải nộp 200.000 đồng" in page
    assert "vẫn chưa được nộp: Ông/Bà cần thanh toán lại đúng 200.000 đồng" in page
    assert "không cần thanh toán lại" not in page


def test_a_payment_after_expiry_says_so_and_that_the_charge_is_still_due(client, attempt):
    actions.expire_attempt(attempt)
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    page = _page(client, attempt.txn_ref, 200000)
    assert "sau khi giao dịch đã hết hạn hoặc đã bị hủy" in page
    assert "cần thanh toán lại đúng 200.000 đồng" in page
    assert "không khớp" not in page and "khác số tiền" not in page


def test_a_second_payment_says_it_was_paid_twice_and_nothing_is_due(client, attempt):
    later = actions.start_attempt(
        attempt.charge, FakeGateway(name="paygov"), "203.0.113.7", "https://x/r"
    )
    actions.apply_outcome(outcome(later.txn_ref, 200000, gateway="paygov"), "callback")
    actions.apply_outcome(outcome(attempt.txn_ref, 200000, transaction_no="15"), "callback")
    page = _page(client, attempt.txn_ref, 200000)
    assert (
        "đã được nộp bằng một giao dịch khác; 200.000 đồng của giao dịch này là nộp trùng" in page
    )
    assert "đã được nộp; Ông/Bà không cần thanh toán lại" in page
    assert "cần thanh toán lại đúng" not in page


# --- reloads ---------------------------------------------------------------------------------


def test_reloading_the_same_return_keeps_one_event_and_asks_once_a_minute(
    client, attempt, monkeypatch
):
    asked = []

    def unreachable(self, *, txn_ref, created_at, client_ip):
        asked.append(txn_ref)
        raise gateways.GatewayUnavailable("timeout")

    monkeypatch.setattr(VNPayGateway, "query", unreachable)
    url = f"{RETURN}?{query_string(callback(attempt.txn_ref, 200000))}"
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert asked == [attempt.txn_ref]
    assert Event.objects.filter(kind="return").count() == 1

    # another signed return (another message from the gateway) is kept too
    other = callback(attempt.txn_ref, 200000, transaction_no="14000002")
    client.get(f"{RETURN}?{query_string(other)}")
    assert Event.objects.filter(kind="return").count() == 2
    assert asked == [attempt.txn_ref]

    # a minute later the page may ask again
    later = actions._now() + actions.RETURN_QUERY_EVERY
    monkeypatch.setattr(actions, "_now", lambda: later)
    client.get(url)
    assert asked == [attempt.txn_ref, attempt.txn_ref]
    assert Event.objects.filter(kind="return").count() == 2


def test_a_return_with_the_signature_in_upper_case_is_the_same_return(client, attempt):
    fields = callback(attempt.txn_ref, 200000, code="24", status="02", transaction_no="0")
    upper = {**fields, "vnp_SecureHash": fields["vnp_SecureHash"].upper()}
    client.get(f"{RETURN}?{query_string(fields)}")
    client.get(f"{RETURN}?{query_string(upper)}")
    assert Event.objects.filter(kind="return").count() == 1


def test_the_database_keeps_one_return_event_per_signature(attempt):
    def kept(kind="return", signature="ab12"):
        return Event.objects.create(
            attempt=attempt,
            txn_ref=attempt.txn_ref,
            kind=kind,
            signature=signature,
            received_at=attempt.created_at,
        )

    kept()
    with pytest.raises(IntegrityError), transaction.atomic():
        kept()
    kept(kind="callback")  # only returns are kept once
    kept(signature="")  # and only those with a signature
    kept(signature="")
    assert Event.objects.count() == 4


def test_the_return_page_leads_back_to_the_dossier(client, attempt):
    """Usability walk: after paying or cancelling, the only way on was the home page."""
    dossier = attempt.charge.dossier
    page = _page(client, attempt.txn_ref, attempt.amount)
    assert f'href="/ho-so-cua-toi/{dossier.code}/"' in page
    assert f"Quay lại hồ sơ {dossier.code}" in page
