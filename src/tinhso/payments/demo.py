"""Demo payments for the demo citizen (phone 0912345678). Never in production.

Legal source: Decree 45/2020/NĐ-CP art. 9 (fees paid online). Four dossiers of a procedure
with a fee due at submission, submitted through the same action the API uses (fixed
Idempotency-Keys, so running the demo again finds them): two wait for an online payment, each
with a started VNPay attempt open for two days (its signed URL in `tinhso payments list
--state pending --json`); one is paid through VNPay, by a callback signed as the embedded
sandbox signs it, and has its electronic receipt; one was paid at the counter and refunded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core.context import acting_as
from tinhso.dossiers.models import Dossier
from tinhso.payments import actions, fees
from tinhso.payments.models import Attempt, Charge, Event, Refund

AFTER = ("dossiers",)  # `tinhso demo load` (tinhso.core.demo): the demo dossiers and people first

FIRST_KEY = 101  # demo-dossier-101 ... 104: apart from the dossiers app's own demo keys
DEMO_OPEN_FOR = timedelta(days=2)  # a demo attempt stays payable while someone tries it


class DemoRefused(Exception):
    """The demo signs with the public demo secret: not in production."""


@dataclass
class DemoResult:
    pending: list[str] = field(default_factory=list)
    paid: str = ""
    refunded: str = ""
    skipped: str = ""


def _fee_bearing(citizen: Any) -> tuple[ProcedureVersion, dict[str, Any]] | None:
    """The most popular online procedure of a competent agency with a fee due at submission
    for the demo citizen's sample form."""
    from tinhso.dossiers import demo as dossiers_demo

    versions = (
        ProcedureVersion.objects.filter(
            state=ProcedureVersion.State.PUBLISHED,
            procedure__is_active=True,
            procedure__agency__isnull=False,
        )
        .exclude(online_type=ProcedureVersion.OnlineType.NONE)
        .select_related("procedure__agency")
        .order_by("-procedure__popularity", "procedure__code")
    )
    for version in versions:
        if not version.accepts_online():
            continue
        form = dossiers_demo._form_for(version, citizen)
        if form is None:
            continue
        try:
            owed = fees.compute(version.fees, form).total_due("submission")
        except fees.FeeError:
            continue
        if owed:
            return version, form
    return None


def _pay_by_sandbox_callback(attempt: Attempt) -> None:
    """What the embedded sandbox sends when the tester approves: a callback signed with the
    configured (demo) secret, read and verified by the VNPay adapter like any other."""
    from tinhso.payments import gateways, vnpay

    if attempt.state != Attempt.State.PENDING:
        return
    fields = {
        "vnp_Amount": str(int(attempt.amount) * 100),
        "vnp_BankCode": "NCB",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": actions.order_info(attempt.charge),
        "vnp_PayDate": vnpay.format_time(timezone.now()),
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": settings.VNPAY_TMN_CODE,
        "vnp_TransactionNo": f"9{attempt.pk:07d}",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": attempt.txn_ref,
    }
    fields["vnp_SecureHash"] = vnpay.sign(fields, settings.VNPAY_HASH_SECRET)
    outcome = gateways.gateway("vnpay").read_callback(fields)
    actions.apply_outcome(outcome, Event.Kind.CALLBACK)


def _settle_side_effects(charge: Charge) -> None:
    """The receipt and the fee status now, as the worker would after commit (idempotent: the
    worker's later delivery finds them)."""
    attempt = charge.attempts.get(state=Attempt.State.PAID)
    actions.mark_dossier_paid(charge.dossier)
    actions.issue_receipt(attempt)


def _official(username: str) -> Any:
    from tinhso.people.models import User

    return User.objects.filter(username=username).first()


def _refund_actor(dossier: Dossier) -> Any:
    from tinhso.people.models import Role, User

    return (
        User.objects.filter(
            roles__agency=dossier.agency, roles__role__in=(Role.LEADER, Role.HEAD_OF_UNIT)
        )
        .order_by("username")
        .first()
        or User.objects.filter(is_staff=True).order_by("username").first()
    )


def load_demo() -> DemoResult:
    if settings.MODE == "production":
        raise DemoRefused("the demo payments are not for production")
    from tinhso.dossiers import demo as dossiers_demo
    from tinhso.people import demo as people_demo
    from tinhso.people.models import User

    dossiers_demo.load_demo()
    user = User.objects.get(phone=people_demo.CITIZEN_PHONE)
    result = DemoResult()
    picked = _fee_bearing(getattr(user, "citizen", None))
    if picked is None:
        result.skipped = "no online procedure with a fee due at submission"
        return result
    version, form = picked
    with acting_as(user, channel="command"):
        submitted = [dossiers_demo._submit(user, version, form, FIRST_KEY + n) for n in range(4)]
    charges = []
    for dossier in submitted:
        with acting_as(user, channel="command"):
            charge = actions.charge_for(dossier, "submission")
        if charge is None:
            result.skipped = f"{dossier.code} owes nothing at submission"
            return result
        charges.append(charge)
    for charge in charges[:3]:  # two left waiting, one paid online
        if not charge.attempts.exists():
            with acting_as(user, channel="web", client_address="127.0.0.1"):
                actions.start_attempt(
                    charge, "vnpay", "127.0.0.1", actions.return_url(), expires_in=DEMO_OPEN_FOR
                )
    result.pending = [c.dossier.code or "" for c in charges[:2]]
    with acting_as(None, channel="command"):
        paid = charges[2]
        for attempt in paid.attempts.filter(state=Attempt.State.PENDING):
            _pay_by_sandbox_callback(attempt)
        paid.refresh_from_db()
        if paid.state == Charge.State.PAID:
            _settle_side_effects(paid)
            result.paid = paid.dossier.code or ""
    refunded = charges[3]
    officer = _official("tiepnhan")
    actor = _refund_actor(refunded.dossier)
    if officer is None or actor is None:
        result.skipped = "no demo receiving officer or leader for the refund"
        return result
    if not refunded.attempts.exists():
        with acting_as(officer, channel="web"):
            actions.record_counter_payment(
                refunded, officer=officer, method="cash", receipt_no="DEMO-0000001"
            )
        refunded.refresh_from_db()
        _settle_side_effects(refunded)
    attempt = refunded.attempts.get(state=Attempt.State.PAID)
    if not attempt.refunds.exists():
        with acting_as(actor, channel="web"):
            refund = actions.request_refund(
                attempt,
                amount=int(attempt.amount),
                reason="Hồ sơ mẫu: thu nhầm tại quầy, hoàn lại toàn bộ.",
                actor=actor,
            )
            actions.submit_refund(refund, actor=actor)
    if attempt.refunds.filter(state=Refund.State.REFUNDED).exists():
        result.refunded = refunded.dossier.code or ""
    return result
