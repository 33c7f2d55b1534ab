"""The periodic query (actions.reconcile_pending) and a single query (confirm_by_query) go on
past an attempt the gateway or the ledger cannot settle now: logged, counted, asked again on
the next run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.payments import actions, errors, gateways
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Attempt

from .ledger_support import FakeGateway, dossier, outcome, world

pytestmark = pytest.mark.django_db


def test_one_attempt_that_fails_does_not_stop_the_others(caplog):
    w = world()
    now = timezone.now()
    made = {}
    for n, gw_name in ((1, "vnpay"), (2, "paygov"), (3, "vnpay"), (4, "vnpay")):
        c = actions.charge_for(dossier(w, n), "submission")
        made[n] = actions.start_attempt(
            c,
            FakeGateway(name=gw_name),
            "203.0.113.7",
            "https://x/ret",
            now=now - timedelta(minutes=30 + n),
        )
    vnpay = FakeGateway(
        answers={
            made[1].txn_ref: gateways.BadSignature("the answer's checksum does not match"),
            made[3].txn_ref: gateways.GatewayError("a kind of failure not met before"),
            made[4].txn_ref: outcome(made[4].txn_ref, 200000),
        }
    )

    def gateway_for(name):
        if name == "paygov":
            raise PaymentError(errors.GATEWAY_NOT_CONFIGURED)
        return vnpay

    report = actions.reconcile_pending(now=now, gateway_for=gateway_for)

    states = {n: Attempt.objects.get(pk=a.pk).state for n, a in made.items()}
    assert states == {1: "pending", 2: "pending", 3: "pending", 4: "paid"}
    assert (report.asked, report.applied, report.unavailable, report.failed) == (4, 1, 2, 1)
    assert report.results == {
        made[1].txn_ref: "unavailable",
        made[2].txn_ref: "error",
        made[3].txn_ref: "unavailable",
        made[4].txn_ref: "applied",
    }
    assert f"reconciling {made[2].txn_ref} failed" in caplog.text


def test_confirm_by_query_gives_none_on_any_gateway_error():
    w = world()
    attempt = actions.start_attempt(
        actions.charge_for(dossier(w), "submission"), FakeGateway(), "203.0.113.7", "https://x/r"
    )
    gw = FakeGateway(answers={attempt.txn_ref: gateways.BadSignature("bad answer")})
    assert actions.confirm_by_query(attempt, gateway=gw) is None
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"
