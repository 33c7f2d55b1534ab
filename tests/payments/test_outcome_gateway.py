"""An outcome is applied only to an attempt made through the gateway that verified it
(actions.apply_outcome): one about another gateway's attempt is refused, nothing written."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditRecord
from tinhso.payments import actions
from tinhso.payments.actions import Result
from tinhso.payments.models import Attempt, Charge, Event, Refund

from .ledger_support import FakeGateway, dossier, outcome, world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("made_through", "reported_by"), [("paygov", "vnpay"), ("vnpay", "paygov")]
)
def test_an_outcome_from_another_gateway_is_refused(made_through, reported_by, caplog):
    charge = actions.charge_for(dossier(world()), "submission")
    attempt = actions.start_attempt(
        charge, FakeGateway(name=made_through), "203.0.113.7", "https://x/ret"
    )
    audits = AuditRecord.objects.count()

    applied = actions.apply_outcome(
        outcome(attempt.txn_ref, 200000, gateway=reported_by), Event.Kind.CALLBACK
    )

    assert applied == actions.Applied(Result.NOT_FOUND, None)
    assert Attempt.objects.get(pk=attempt.pk).state == "pending"
    assert Charge.objects.get(pk=charge.pk).state == "open"
    assert not Event.objects.exists()
    assert not Refund.objects.exists()
    assert AuditRecord.objects.count() == audits
    assert f"reports on {attempt.txn_ref}, an attempt through {made_through}" in caplog.text


def test_an_outcome_from_the_same_gateway_is_applied():
    charge = actions.charge_for(dossier(world()), "submission")
    attempt = actions.start_attempt(
        charge, FakeGateway(name="paygov"), "203.0.113.7", "https://x/ret"
    )
    applied = actions.apply_outcome(outcome(attempt.txn_ref, 200000, gateway="paygov"), "query")
    assert applied.result is Result.APPLIED
    assert Attempt.objects.get(pk=attempt.pk).state == "paid"
