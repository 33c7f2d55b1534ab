"""Refunds sent to VNPay and left "submitted" are asked about (actions.reconcile_refunds, the
worker's `payments.reconcile_refunds` and `tinhso payments reconcile`): QueryDR on the paid
transaction reports the refund, and the ledger follows it, audited. Against the VNPay
stand-in in its own process (tests/payments/vnpay_peer.py, its own signing code): the citizen
pays on its page, a leader's refund is accepted in progress (00/05), then the bank moves it
on (`/test/refund`)."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.payments.peer_process import peer
from tinhso.core.models import AuditRecord
from tinhso.payments import actions
from tinhso.payments.models import Attempt, Event, Refund
from tinhso.people.models import Role

from .ledger_support import SECRET, TMN, dossier, world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

IPN = "/payments/vnpay/ipn"
LATER = timedelta(minutes=16)  # past REFUND_ASK_AFTER


@pytest.fixture
def gateway_url(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with peer("vnpay_peer.py", TMN, SECRET, str(tmp_path / "peer.log")) as url:
        settings.VNPAY_TMN_CODE = TMN
        settings.VNPAY_HASH_SECRET = SECRET
        settings.VNPAY_URL = url + "/paymentv2/vpcpay.html"
        settings.VNPAY_API_URL = url + "/merchant_webapi/api/transaction"
        yield url


def post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=20) as answer:
        return json.loads(answer.read())


@pytest.fixture
def submitted(gateway_url, live_server):
    """A payment made on the peer's page (its IPN to the live server), and a leader's full
    refund of it, which the peer accepts as in progress."""
    w = world()
    charge = actions.charge_for(dossier(w), "submission")
    attempt = actions.start_attempt(charge, "vnpay", "203.0.113.7", live_server.url + "/r")
    answer = post(
        gateway_url + "/test/decide",
        {"url": attempt.payment_url, "choice": "approve", "ipn": live_server.url + IPN},
    )
    assert json.loads(answer["ipn"]["body"])["RspCode"] == "00"
    leader = factories.official("ld", roles=[(Role.LEADER, w["agencies"]["STP"])])
    attempt = Attempt.objects.get(pk=attempt.pk)
    refund = actions.request_refund(attempt, amount=200000, reason="Thu nhầm", actor=leader)
    refund = actions.submit_refund(refund, actor=leader)
    assert (refund.state, refund.gateway_code) == ("submitted", "00/05")
    return gateway_url, attempt, refund


def bank(gateway_url: str, attempt: Attempt, status: str) -> None:
    post(gateway_url + "/test/refund", {"txn_ref": attempt.txn_ref, "status": status})


def later() -> object:
    return timezone.now() + LATER


def test_a_refund_the_gateway_reports_done_becomes_refunded(submitted):
    gateway_url, attempt, refund = submitted
    # not asked while it may still be on its way
    assert actions.reconcile_refunds().asked == 0
    # still in progress at the bank (06): unchanged, the answer kept
    bank(gateway_url, attempt, "06")
    report = actions.reconcile_refunds(now=later())
    assert (report.asked, report.unchanged) == (1, 1)
    assert Refund.objects.get(pk=refund.pk).state == "submitted"
    # done: refunded, audited, the answer kept as an event of the attempt
    bank(gateway_url, attempt, "00")
    report = actions.reconcile_refunds(now=later())
    assert (report.asked, report.refunded) == (1, 1)
    refund.refresh_from_db()
    assert (refund.state, refund.gateway_code) == ("refunded", "00/00")
    record = AuditRecord.objects.get(action="payments.refund_refunded")
    assert record.changes["state"] == ["submitted", "refunded"]
    assert list(
        Event.objects.filter(attempt=attempt, kind="query").values_list("effect", flat=True)
    ) == ["unchanged", "refund_refunded"]
    # settled: never asked again, and the payment itself stays paid
    assert actions.reconcile_refunds(now=later()).asked == 0
    assert Attempt.objects.get(pk=attempt.pk).state == "paid"


def test_a_refund_the_gateway_refused_becomes_rejected(submitted):
    gateway_url, attempt, refund = submitted
    bank(gateway_url, attempt, "09")
    report = actions.reconcile_refunds(now=later())
    assert report.rejected == 1
    refund.refresh_from_db()
    assert (refund.state, refund.gateway_code) == ("rejected", "00/09")
    assert AuditRecord.objects.filter(action="payments.refund_rejected").count() == 1


def test_a_refund_whose_answer_was_lost_is_settled_from_the_query(submitted):
    gateway_url, attempt, refund = submitted
    Refund.objects.filter(pk=refund.pk).update(state="submitting", gateway_code="")
    bank(gateway_url, attempt, "05")
    actions.reconcile_refunds(now=later())
    assert Refund.objects.get(pk=refund.pk).state == "submitted"  # the gateway has it
    bank(gateway_url, attempt, "00")
    actions.reconcile_refunds(now=later())
    assert Refund.objects.get(pk=refund.pk).state == "refunded"


def test_a_gateway_that_does_not_answer_leaves_it_submitted(submitted, settings):
    _url, _attempt, refund = submitted
    settings.VNPAY_API_URL = "http://127.0.0.1:9/api"
    report = actions.reconcile_refunds(now=later())
    assert (report.asked, report.unavailable) == (1, 1)
    assert Refund.objects.get(pk=refund.pk).state == "submitted"


def test_the_command_asks_about_refunds(submitted):
    gateway_url, attempt, refund = submitted
    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - LATER)
    bank(gateway_url, attempt, "00")
    out = StringIO()
    call_command("payments", "reconcile", stdout=out)
    assert "refunds sent and not settled asked: 1, refunded: 1" in out.getvalue()
    assert Refund.objects.get(pk=refund.pk).state == "refunded"
