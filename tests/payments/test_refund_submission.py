"""Sending a refund to the gateway (actions.submit_refund): claimed under a lock before the
gateway is called, so money goes out once; an answer that says nothing leaves it claimed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import factories
from tinhso.core.models import AuditRecord
from tinhso.payments import actions, errors
from tinhso.payments.errors import PaymentError
from tinhso.payments.gateways import GatewayUnavailable
from tinhso.payments.models import Refund
from tinhso.people.models import Role

from .ledger_support import FakeGateway, dossier, outcome, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture
def leader(w):
    return factories.official("ld", roles=[(Role.LEADER, w["agencies"]["STP"])])


def paid_attempt(w, amount=200000, number=1):
    charge = actions.charge_for(dossier(w, number), "submission")
    attempt = actions.start_attempt(charge, FakeGateway(), "203.0.113.7", "https://x/ret")
    actions.apply_outcome(outcome(attempt.txn_ref, amount), "callback")
    attempt.refresh_from_db()
    return attempt


@dataclass
class TimingOutGateway(FakeGateway):
    """Processes the refund, then the answer is lost on the way back."""

    def refund(self, **kw: Any):  # type: ignore[override]
        self.refunds.append((kw["txn_ref"], kw["amount"], kw["full"]))
        raise GatewayUnavailable("read timeout")


@dataclass
class ReenteringGateway(FakeGateway):
    """While the first send is at the gateway, a second request for the same refund comes in
    (another officer's click, another worker) with its own copy of the refund."""

    other: Refund | None = None
    actor: Any = None
    second: list[str] = field(default_factory=list)

    def refund(self, **kw: Any):  # type: ignore[override]
        if self.other is not None:
            copy, self.other = self.other, None
            try:
                actions.submit_refund(copy, actor=self.actor, gateway=self)
                self.second.append("sent")
            except PaymentError as exc:
                self.second.append(exc.code.id)
        return super().refund(**kw)


def test_a_refund_is_sent_once_when_two_requests_race(w, leader):
    attempt = paid_attempt(w)
    refund = actions.request_refund(attempt, amount=200000, reason="Từ chối", actor=leader)
    gw = ReenteringGateway(other=Refund.objects.get(pk=refund.pk), actor=leader)

    done = actions.submit_refund(Refund.objects.get(pk=refund.pk), actor=leader, gateway=gw)

    assert gw.refunds == [(attempt.txn_ref, 200000, True)]
    assert gw.second == ["payments.refund_not_open"]
    assert done.state == Refund.State.REFUNDED
    actions_seen = list(
        AuditRecord.objects.filter(action__startswith="payments.refund_")
        .exclude(action="payments.refund_requested")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions_seen == ["payments.refund_submitting", "payments.refund_refunded"]


def test_a_timeout_leaves_the_refund_submitting_and_it_is_never_sent_again(w, leader):
    attempt = paid_attempt(w)
    refund = actions.request_refund(attempt, amount=50000, reason="Thu thừa", actor=leader)
    gw = TimingOutGateway()

    left = actions.submit_refund(refund, actor=leader, gateway=gw)

    assert left.state == Refund.State.SUBMITTING
    assert Refund.objects.get(pk=refund.pk).state == Refund.State.SUBMITTING
    record = AuditRecord.objects.get(action="payments.refund_submitting")
    assert record.changes["state"] == ["requested", "submitting"]
    with pytest.raises(PaymentError) as again:
        actions.submit_refund(refund, actor=leader, gateway=gw)
    assert again.value.code is errors.REFUND_NOT_OPEN
    assert gw.refunds == [(attempt.txn_ref, 50000, False)]


@pytest.mark.parametrize("paid", [150000, 250000])
def test_a_wrong_amount_is_given_back_in_full_of_what_was_paid(w, leader, paid):
    charge = actions.charge_for(dossier(w), "submission")
    attempt = actions.start_attempt(charge, FakeGateway(), "203.0.113.7", "https://x/ret")
    actions.apply_outcome(outcome(attempt.txn_ref, paid), "callback")
    case = Refund.objects.get(attempt=attempt, cause=Refund.Cause.AMOUNT_MISMATCH)
    gw = FakeGateway()

    done = actions.submit_refund(case, actor=leader, gateway=gw)

    assert (done.state, gw.refunds) == ("refunded", [(attempt.txn_ref, paid, True)])
    assert actions.paid_amount(attempt) == paid


def test_part_of_a_paid_attempt_is_a_partial_refund(w, leader):
    attempt = paid_attempt(w)
    refund = actions.request_refund(attempt, amount=199999, reason="Thu thừa", actor=leader)
    gw = FakeGateway()
    actions.submit_refund(refund, actor=leader, gateway=gw)
    assert gw.refunds == [(attempt.txn_ref, 199999, False)]
