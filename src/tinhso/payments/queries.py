"""Reads of the payment ledger that hold personal data, loaded only for who may see them.

Legal source: Decree 13/2023/NĐ-CP (personal data: a receipt names its payer). A receipt is
the dossier owner's, and an official's who sees the dossier (an official's read is recorded
in the audit trail); for anyone else it does not exist (404, never 403).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.dossiers import permissions as dossier_rules
from tinhso.payments.models import Receipt


def access_receipt(user: Any, pk: int) -> Receipt:
    receipt = (
        Receipt.objects.select_related("charge__dossier__agency", "attempt").filter(pk=pk).first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if receipt is not None:
        dossier = receipt.charge.dossier
        if dossier.owner_id == user.pk:
            return receipt
        if dossier_rules.sees(user, dossier):
            audit.record_read(receipt, ["payer_name", "amount"], actor=user)
            return receipt
    raise Http404(_("Không tìm thấy biên lai."))


def payment_state(dossier: Any) -> str:
    """What an officer's page or queue shows about a dossier's fees: "none" (nothing
    charged), "unpaid", "pending" (an online attempt under way), "paid", "refund_case" (money
    to give back, not yet given) or "refunded"."""
    from tinhso.payments.models import Attempt, Charge, Refund

    charges = list(Charge.objects.filter(dossier=dossier))
    if not charges:
        return "none"
    refunds = Refund.objects.filter(attempt__charge__dossier=dossier)
    open_states = (Refund.State.REQUESTED, Refund.State.SUBMITTING, Refund.State.SUBMITTED)
    if refunds.filter(state__in=open_states).exists():
        return "refund_case"
    if any(c.state == Charge.State.OPEN for c in charges):
        pending = Attempt.objects.filter(
            charge__in=charges, state__in=(Attempt.State.CREATED, Attempt.State.PENDING)
        )
        return "pending" if pending.exists() else "unpaid"
    if refunds.filter(state=Refund.State.REFUNDED).exists():
        return "refunded"
    return "paid"


def result_waits_for_payment(dossier: Any) -> bool:
    """Whether the result must be held back: a charge due before the result is still open
    (Decree 45/2020 art. 9: the fee is paid before the result is handed over)."""
    from tinhso.payments.models import Charge, Due

    return Charge.objects.filter(
        dossier=dossier, due=Due.BEFORE_RESULT, state=Charge.State.OPEN
    ).exists()
