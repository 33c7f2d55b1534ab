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
