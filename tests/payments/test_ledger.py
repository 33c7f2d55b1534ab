"""The payment ledger (payments/actions.py): charges, attempts, outcomes applied once, refund
cases instead of silent drops, receipts and the dossier's fee status through the outbox,
the counter, refunds and both reconciliations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests import factories
from tinhso.core import outbox
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers.models import Dossier
from tinhso.payments import actions, errors
from tinhso.payments.actions import Result
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Attempt, Charge, Event, Receipt, Refund
from tinhso.people.models import Role

from .ledger_support import FakeGateway, dossier, outcome, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture
def charge(w):
    return actions.charge_for(dossier(w), "submission")


def start(charge, gw=None, **kw):
    return actions.start_attempt(charge, gw or FakeGateway(), "203.0.113.7", "https://x/ret", **kw)


def deliver_all():
    while outbox.run_once():
        pass


# --- charges --------------------------------------------------------------------------------


def test_a_charge_is_computed_once_and_frozen(w):
    d = dossier(w, so_ban_sao=2)
    charge = actions.charge_for(d, "submission")
    assert (charge.total, [line["code"] for line in charge.lines]) == (200000, ["LLTP"])
    later = actions.charge_for(d, "before_result")
    assert (later.total, later.lines[0]["quantity"]) == (16000, 2)
    w["version"].fees = [{**w["version"].fees[0], "amount": 999}]
    w["version"].save()
    d.refresh_from_db()
    assert actions.charge_for(d, "submission").pk == charge.pk
    assert Charge.objects.get(pk=charge.pk).total == 200000
    assert AuditRecord.objects.filter(action="payments.charge").count() == 2


def test_nothing_owed_makes_no_charge(w):
    assert actions.charge_for(dossier(w, doi_tuong="ho_ngheo"), "submission") is None
    assert Charge.objects.count() == 0


def test_a_draft_or_a_bad_due_point_is_refused(w):
    d = dossier(w)
    with pytest.raises(PaymentError) as bad_due:
        actions.charge_for(d, "tomorrow")
    assert bad_due.value.code is errors.UNKNOWN_DUE
    Dossier.objects.filter(pk=d.pk).update(state=Dossier.State.DRAFT, code=None)
    d.refresh_from_db()
    with pytest.raises(PaymentError) as draft:
        actions.charge_for(d, "submission")
    assert draft.value.code is errors.NOT_SUBMITTED


# --- attempts -------------------------------------------------------------------------------


def test_an_attempt_starts_pending_with_its_url_and_expiry(charge, settings):
    settings.PAYMENTS_EXPIRY_MINUTES = 20
    attempt = start(charge)
    assert attempt.state == Attempt.State.PENDING
    assert attempt.payment_url == f"https://fake.example/pay?ref={attempt.txn_ref}&amount=200000"
    assert attempt.expires_at - attempt.created_at == timedelta(minutes=20)
    assert attempt.txn_ref.isalnum()
    actions_done = list(
        AuditRecord.objects.filter(object_type="payments.attempt", object_id=str(attempt.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions_done == ["payments.attempt_created", "payments.attempt_started"]


def test_coming_back_to_pay_reuses_the_open_attempt(charge):
    first = start(charge)
    assert start(charge).pk == first.pk
    assert start(charge, FakeGateway(name="paygov")).pk != first.pk


def test_a_paid_charge_cannot_be_started_again(charge):
    attempt = start(charge)
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), Event.Kind.CALLBACK)
    with pytest.raises(PaymentError) as caught:
        start(charge)
    assert caught.value.code is errors.ALREADY_PAID


# --- outcomes -------------------------------------------------------------------------------


def test_paid_is_applied_once_and_queues_its_side_effects_once(charge):
    attempt = start(charge)
    first = actions.apply_outcome(outcome(attempt.txn_ref, 200000), Event.Kind.CALLBACK)
    second = actions.apply_outcome(outcome(attempt.txn_ref, 200000), Event.Kind.CALLBACK)
    assert (first.result, second.result) == (Result.APPLIED, Result.ALREADY)
    attempt.refresh_from_db()
    charge.refresh_from_db()
    assert (attempt.state, attempt.transaction_no, charge.state) == ("paid", "14000001", "paid")
    assert OutboxMessage.objects.filter(topic=actions.PAID_TOPIC).count() == 1
    assert list(Event.objects.values_list("effect", flat=True)) == ["applied", "already"]
    assert AuditRecord.objects.filter(action="payments.paid").count() == 1


def test_paid_is_final(charge):
    attempt = start(charge)
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), Event.Kind.CALLBACK)
    later = actions.apply_outcome(outcome(attempt.txn_ref, 200000, "failed"), Event.Kind.QUERY)
    assert later.result is Result.ALREADY
    assert Attempt.objects.get(pk=attempt.pk).state == "paid"


def test_a_wrong_amount_is_a_refund_case_not_a_payment(charge):
    attempt = start(charge)
    for _ in range(3):  # the gateway repeats its call after 04
        applied = actions.apply_outcome(outcome(attempt.txn_ref, 20000), Event.Kind.CALLBACK)
        assert applied.result is Result.WRONG_AMOUNT
    attempt.refresh_from_db()
    charge.refresh_from_db()
    assert (attempt.state, charge.state) == ("failed", "open")
    (case,) = Refund.objects.all()
    assert (case.cause, case.amount, case.state) == ("amount_mismatch", 20000, "requested")
    assert not OutboxMessage.objects.filter(topic=actions.PAID_TOPIC).exists()


def test_a_payment_after_expiry_is_a_refund_case(charge):
    attempt = start(charge)
    assert actions.expire_attempt(attempt)
    first = actions.apply_outcome(outcome(attempt.txn_ref, 200000), Event.Kind.CALLBACK)
    again = actions.apply_outcome(outcome(attempt.txn_ref, 200000), Event.Kind.CALLBACK)
    assert (first.result, again.result) == (Result.REFUND_CASE, Result.ALREADY)
    assert Attempt.objects.get(pk=attempt.pk).state == "expired"
    assert list(Refund.objects.values_list("cause", "amount")) == [("late_payment", 200000)]


def test_a_second_payment_of_a_paid_charge_is_a_refund_case(charge):
    one = start(charge)
    two = start(charge, FakeGateway(name="paygov"))
    actions.apply_outcome(outcome(one.txn_ref, 200000), Event.Kind.CALLBACK)
    applied = actions.apply_outcome(
        outcome(two.txn_ref, 200000, transaction_no="9", gateway="paygov"), "callback"
    )
    assert applied.result is Result.REFUND_CASE
    assert list(Refund.objects.values_list("attempt__txn_ref", "cause")) == [
        (two.txn_ref, "duplicate")
    ]
    assert Attempt.objects.filter(charge=charge, state="paid").count() == 1


def test_a_later_verified_success_wins_over_an_earlier_failure(charge):
    attempt = start(charge)
    assert actions.apply_outcome(outcome(attempt.txn_ref, 200000, "failed"), "callback").result is (
        Result.APPLIED
    )
    assert Attempt.objects.get(pk=attempt.pk).state == "failed"
    assert actions.apply_outcome(outcome(attempt.txn_ref, 200000), "query").result is Result.APPLIED
    assert Attempt.objects.get(pk=attempt.pk).state == "paid"


def test_cancelled_and_unknown(charge):
    attempt = start(charge)
    assert actions.apply_outcome(outcome(attempt.txn_ref, 0, "pending"), "query").result is (
        Result.UNCHANGED
    )
    assert actions.apply_outcome(outcome("NOSUCHREF", 1), "callback").result is Result.NOT_FOUND
    assert actions.apply_outcome(
        outcome(attempt.txn_ref, 200000, "cancelled"), "callback"
    ).result is (Result.APPLIED)
    assert Attempt.objects.get(pk=attempt.pk).state == "cancelled"


def test_the_database_refuses_a_second_paid_attempt_for_a_charge(charge):
    one, two = start(charge), start(charge, FakeGateway(name="paygov"))
    Attempt.objects.filter(pk=one.pk).update(state="paid")
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.filter(pk=two.pk).update(state="paid")


# --- side effects ---------------------------------------------------------------------------


def test_the_outbox_issues_one_receipt_sets_the_fee_status_and_mails_once(charge):
    attempt = start(charge)
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), Event.Kind.CALLBACK)
    message = OutboxMessage.objects.get(topic=actions.PAID_TOPIC)
    deliver_all()
    outbox.HANDLERS[actions.PAID_TOPIC](message)  # delivered again: nothing more happens
    (receipt,) = Receipt.objects.all()
    assert (receipt.number, receipt.amount, receipt.attempt_id) == (1, 200000, attempt.pk)
    assert receipt.label.endswith("số 0000001")
    assert Dossier.objects.get(pk=charge.dossier_id).fee_status == "paid"
    mails = OutboxMessage.objects.filter(topic="notify")
    assert mails.count() == 1


def test_receipts_are_numbered_in_sequence(w):
    numbers = []
    for n in (1, 2):
        c = actions.charge_for(dossier(w, n), "submission")
        a = start(c)
        actions.apply_outcome(outcome(a.txn_ref, 200000, transaction_no=str(n)), "callback")
        deliver_all()
        numbers.append(Receipt.objects.get(charge=c).number)
    assert numbers == [1, 2]


# --- the counter ----------------------------------------------------------------------------


def test_the_counter_records_a_cash_payment(w, charge):
    officer = factories.official(roles=[(Role.RECEIVING_OFFICER, w["agencies"]["STP"])])
    attempt = actions.record_counter_payment(
        charge, officer=officer, method="cash", receipt_no="0001234"
    )
    assert (attempt.gateway, attempt.state, attempt.transaction_no) == (
        "counter",
        "paid",
        "0001234",
    )
    assert Event.objects.get(attempt=attempt).kind == "counter"
    with pytest.raises(PaymentError) as twice:
        actions.record_counter_payment(charge, officer=officer, method="card", receipt_no="2")
    assert twice.value.code is errors.ALREADY_PAID


def test_the_counter_waits_while_the_citizen_is_paying_online(w, charge):
    """Cash taken while the citizen is on the gateway's page would be a second payment."""
    officer = factories.official(roles=[(Role.RECEIVING_OFFICER, w["agencies"]["STP"])])
    online = start(charge)
    with pytest.raises(PaymentError) as waiting:
        actions.record_counter_payment(charge, officer=officer, method="cash", receipt_no="7")
    assert (waiting.value.code, waiting.value.status) == (errors.ONLINE_PAYMENT_IN_PROGRESS, 409)
    assert list(Attempt.objects.values_list("pk", "state")) == [(online.pk, online.state)]
    # once that attempt has expired, the desk may take the charge
    Attempt.objects.filter(pk=online.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    paid = actions.record_counter_payment(charge, officer=officer, method="cash", receipt_no="7")
    assert (paid.gateway, paid.state) == ("counter", "paid")


def test_the_counter_refuses_bad_input_and_officials_without_the_role(w, charge):
    officer = factories.official(roles=[(Role.RECEIVING_OFFICER, w["agencies"]["STP"])])
    with pytest.raises(PaymentError) as bad:
        actions.record_counter_payment(charge, officer=officer, method="cheque", receipt_no="")
    assert set(bad.value.fields) == {"method", "receipt_no"}
    specialist = factories.official("cv2", roles=[(Role.SPECIALIST, w["agencies"]["STP"])])
    with pytest.raises(PaymentError) as refused:
        actions.record_counter_payment(charge, officer=specialist, method="cash", receipt_no="1")
    assert refused.value.code is errors.NOT_ALLOWED
    stranger = factories.official("cv3")
    with pytest.raises(PaymentError) as hidden:
        actions.record_counter_payment(charge, officer=stranger, method="cash", receipt_no="1")
    assert hidden.value.code is errors.CHARGE_NOT_FOUND
    assert not Attempt.objects.exists()


# --- refunds --------------------------------------------------------------------------------


def test_a_refund_is_requested_up_to_what_was_paid_and_submitted(w, charge):
    leader = factories.official("ld", roles=[(Role.LEADER, w["agencies"]["STP"])])
    attempt = start(charge)
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    attempt.refresh_from_db()
    refund = actions.request_refund(attempt, amount=150000, reason="Hồ sơ bị từ chối", actor=leader)
    with pytest.raises(PaymentError) as too_much:
        actions.request_refund(attempt, amount=60000, reason="thêm", actor=leader)
    assert too_much.value.code is errors.REFUND_TOO_LARGE
    assert "50000" in too_much.value.message
    gw = FakeGateway()
    done = actions.submit_refund(refund, actor=leader, gateway=gw)
    assert (done.state, gw.refunds) == ("refunded", [(attempt.txn_ref, 150000, False)])
    with pytest.raises(PaymentError) as again:
        actions.submit_refund(done, actor=leader, gateway=gw)
    assert again.value.code is errors.REFUND_NOT_OPEN


def test_only_a_leader_refunds_and_only_a_paid_attempt(w, charge):
    attempt = start(charge)
    clerk = factories.official("vt", roles=[(Role.RECEIVING_OFFICER, w["agencies"]["STP"])])
    leader = factories.official("ld", roles=[(Role.LEADER, w["agencies"]["STP"])])
    with pytest.raises(PaymentError) as role:
        actions.request_refund(attempt, amount=1, reason="x", actor=clerk)
    assert role.value.code is errors.NOT_ALLOWED
    with pytest.raises(PaymentError) as unpaid:
        actions.request_refund(attempt, amount=1, reason="x", actor=leader)
    assert unpaid.value.code is errors.NOT_PAID
    assert not Refund.objects.exists()


# --- reconciliation -------------------------------------------------------------------------


def test_reconcile_pending_asks_within_the_window_and_applies(w):
    now = timezone.now()
    made = {}
    for n, age in (
        (1, timedelta(minutes=5)),
        (2, timedelta(minutes=20)),
        (3, timedelta(minutes=50)),
        (4, timedelta(hours=2)),
        (5, timedelta(days=4)),
    ):
        c = actions.charge_for(dossier(w, n), "submission")
        made[n] = start(c, now=now - age)
    gw = FakeGateway(
        answers={
            made[2].txn_ref: outcome(made[2].txn_ref, 200000),  # the IPN never came
            made[3].txn_ref: outcome(made[3].txn_ref, 0, "unknown"),  # never reached the page
        }
    )  # 4: the gateway is unreachable
    report = actions.reconcile_pending(now=now, gateway_for=lambda name: gw)
    assert sorted(gw.asked) == sorted([made[2].txn_ref, made[3].txn_ref, made[4].txn_ref])
    states = {n: Attempt.objects.get(pk=a.pk).state for n, a in made.items()}
    assert states == {1: "pending", 2: "paid", 3: "expired", 4: "pending", 5: "expired"}
    assert (report.asked, report.applied, report.expired, report.unavailable) == (3, 1, 2, 1)
    assert Event.objects.filter(kind="query").count() == 2


def test_reconcile_settlement_lists_every_difference(w):
    paid, pending, wrong = (
        start(actions.charge_for(dossier(w, n), "submission")) for n in (1, 2, 3)
    )
    lost = start(actions.charge_for(dossier(w, 4), "submission"))
    for a in (paid, wrong, lost):
        actions.apply_outcome(outcome(a.txn_ref, 200000, transaction_no=a.txn_ref), "callback")
    today = timezone.localdate()
    csv_text = (
        "txn_ref,amount,status\n"
        f"{paid.txn_ref},200000,paid\n"
        f"{pending.txn_ref},200000,paid\n"
        f"{wrong.txn_ref},190000,paid\n"
        f"{wrong.txn_ref},190000,paid\n"
        "UNKNOWN1,5000,paid\n"
    )
    found = actions.reconcile_settlement(today, csv_text)
    assert sorted((d.kind, d.txn_ref) for d in found) == sorted(
        [
            ("not_paid_in_ledger", pending.txn_ref),
            ("amount_differs", wrong.txn_ref),
            ("duplicate_in_file", wrong.txn_ref),
            ("missing_in_ledger", "UNKNOWN1"),
            ("missing_in_file", lost.txn_ref),
        ]
    )
    assert actions.reconcile_settlement(date(2000, 1, 1), "txn_ref,amount\n") == []
    assert AuditRecord.objects.filter(action="payments.settlement_reconciled").count() == 2


@pytest.mark.parametrize(
    "text", ["ref;amount\nA;1\n", "txn_ref,amount\nA,mười\n", "", "txn_ref,amount\nA,5²\n"]
)
def test_a_settlement_file_that_cannot_be_read_is_a_typed_error(text):
    with pytest.raises(PaymentError) as caught:
        actions.reconcile_settlement(date(2026, 12, 5), text)
    assert caught.value.code is errors.SETTLEMENT_INVALID
    assert caught.value.fields


# --- what the dossiers app reads and calls --------------------------------------------------


def test_the_payment_state_an_officer_sees(w):
    from tinhso.payments import queries

    d = dossier(w)
    assert queries.payment_state(d) == "none"
    charge = actions.charge_for(d, "submission")
    assert queries.payment_state(d) == "unpaid"
    attempt = start(charge)
    assert queries.payment_state(d) == "pending"
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    assert queries.payment_state(d) == "paid"
    (case,) = actions.refund_refused_dossier(d)
    assert queries.payment_state(d) == "refund_case"
    leader = factories.official("ld", roles=[(Role.LEADER, w["agencies"]["STP"])])
    actions.submit_refund(case, actor=leader, gateway=FakeGateway())
    assert queries.payment_state(d) == "refunded"


def test_a_refused_dossier_gets_one_refund_case_for_what_is_left(w):
    d = dossier(w)
    attempt = start(actions.charge_for(d, "submission"))
    actions.apply_outcome(outcome(attempt.txn_ref, 200000), "callback")
    leader = factories.official("ld", roles=[(Role.LEADER, w["agencies"]["STP"])])
    attempt.refresh_from_db()
    actions.request_refund(attempt, amount=50000, reason="thu thừa", actor=leader)
    (case,) = actions.refund_refused_dossier(d)
    assert (case.cause, case.amount, case.state) == ("dossier_refused", 150000, "requested")
    assert actions.refund_refused_dossier(d) == []
    assert Refund.objects.count() == 2


def test_the_result_waits_while_a_charge_before_the_result_is_open(w):
    from tinhso.payments import queries

    d = dossier(w, so_ban_sao=1)
    assert not queries.result_waits_for_payment(d)  # nothing charged yet
    charge = actions.charge_for(d, "before_result")
    assert queries.result_waits_for_payment(d)
    attempt = start(charge)
    actions.apply_outcome(outcome(attempt.txn_ref, 8000), "callback")
    assert not queries.result_waits_for_payment(d)
