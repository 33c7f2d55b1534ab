"""The ledger end to end against a VNPay stand-in in its own process (tests/payments/
vnpay_peer.py, with its own signing code): pay, cancel, fail, expire; the IPN before, after or
without the return; QueryDR finding a payment whose IPN never came. The peer plays the
payment page (`/test/decide`), calls our IPN on the live server and gives the signed return."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from tests.payments.peer_process import peer
from tinhso.payments import actions
from tinhso.payments.models import Attempt, Event, Refund

from .ledger_support import SECRET, TMN, dossier, world

pytestmark = pytest.mark.django_db(transaction=True)

IPN = "/payments/vnpay/ipn"
RETURN = "/payments/vnpay/return"


@pytest.fixture
def gateway_url(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with peer("vnpay_peer.py", TMN, SECRET, str(tmp_path / "peer.log")) as url:
        settings.VNPAY_TMN_CODE = TMN
        settings.VNPAY_HASH_SECRET = SECRET
        settings.VNPAY_URL = url + "/paymentv2/vpcpay.html"
        settings.VNPAY_API_URL = url + "/merchant_webapi/api/transaction"
        yield url


@pytest.fixture
def attempt(gateway_url, live_server):
    w = world()
    charge = actions.charge_for(dossier(w), "submission")
    return actions.start_attempt(charge, "vnpay", "203.0.113.7", live_server.url + RETURN)


def decide(gateway_url: str, attempt: Attempt, choice: str, ipn: str = "") -> dict:
    body = json.dumps({"url": attempt.payment_url, "choice": choice, "ipn": ipn}).encode()
    request = urllib.request.Request(
        gateway_url + "/test/decide", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=20) as answer:
        return json.loads(answer.read())


def browse_back(return_url: str) -> str:
    """The citizen's browser following the gateway's redirect to our return page."""
    parts = urlsplit(return_url)
    response = Client().get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    return response.content.decode()


def state(attempt: Attempt) -> str:
    return Attempt.objects.get(pk=attempt.pk).state


@pytest.mark.parametrize(
    "choice, expected, page",
    [
        ("approve", "paid", "Đã thanh toán thành công"),
        ("cancel", "cancelled", "Giao dịch đã bị hủy"),
        ("fail", "failed", "Thanh toán không thành công"),
        ("expire", "failed", "Thanh toán không thành công"),
    ],
)
def test_the_ipn_before_the_return(gateway_url, live_server, attempt, choice, expected, page):
    result = decide(gateway_url, attempt, choice, live_server.url + IPN)
    assert json.loads(result["ipn"]["body"]) == {"RspCode": "00", "Message": "Confirm Success"}
    assert state(attempt) == expected
    assert page in browse_back(result["return_url"])


def test_the_return_before_the_ipn_asks_querydr_and_the_late_ipn_is_already_confirmed(
    gateway_url, attempt
):
    result = decide(gateway_url, attempt, "approve")  # the IPN is held back
    assert "Đã thanh toán thành công" in browse_back(result["return_url"])
    assert state(attempt) == "paid"
    assert list(Event.objects.values_list("kind", "effect")) == [
        ("return", "display"),
        ("query", "applied"),
    ]
    late = Client().get(f"{IPN}?{urlsplit(result['return_url']).query}").json()
    assert late == {"RspCode": "02", "Message": "Order already confirmed"}


def test_neither_ipn_nor_return_querydr_finds_the_payment(gateway_url, attempt):
    decide(gateway_url, attempt, "approve")  # the citizen closed the tab; the IPN was lost
    assert state(attempt) == "pending"
    report = actions.reconcile_pending(now=timezone.now() + timedelta(minutes=20))
    assert (report.asked, report.applied) == (1, 1)
    assert state(attempt) == "paid"
    assert Attempt.objects.get(pk=attempt.pk).transaction_no.startswith("140000")


def test_an_attempt_never_paid_is_expired_after_querydr_knows_nothing(gateway_url, attempt):
    report = actions.reconcile_pending(now=timezone.now() + timedelta(minutes=31))
    assert (report.asked, report.expired) == (1, 1)
    assert state(attempt) == "expired"


def test_a_payment_after_expiry_becomes_a_refund_case(gateway_url, live_server, attempt):
    actions.expire_attempt(attempt)
    result = decide(gateway_url, attempt, "approve", live_server.url + IPN)
    assert json.loads(result["ipn"]["body"])["RspCode"] == "00"
    assert state(attempt) == "expired"
    assert list(Refund.objects.values_list("cause", "amount", "state")) == [
        ("late_payment", 200000, "requested")
    ]
