"""Who may take a payment at the counter and who may give money back: each rule once.

Legal sources: Decree 118/2025/NĐ-CP (the one-stop desk receives dossiers and collects the
fees and charges that go with them); Law on Fees and Charges 2015 art. 12 (the collecting
agency accounts for what it collects and returns what it took wrongly).

A rule returns None when the official may act, or the refusal the action raises: out of
reach is "not found" (the dossier's existence does not leak), a visible dossier without the
role is "forbidden". There is no finance role yet (people.Role): refunds are decided by the
leader or head of unit of the competent agency, or an administrator.
"""

from __future__ import annotations

from typing import Any

from tinhso.dossiers import permissions as dossier_rules
from tinhso.dossiers.models import Dossier
from tinhso.payments import errors
from tinhso.payments.errors import PaymentError
from tinhso.people.models import Role
from tinhso.people.queries import agencies_where

REFUND_ROLES = (Role.LEADER, Role.HEAD_OF_UNIT, Role.ADMINISTRATOR)


def _out_of_reach(user: Any, dossier: Dossier) -> PaymentError | None:
    if getattr(user, "is_staff", False):
        return None
    if not dossier_rules.sees(user, dossier):
        return PaymentError(errors.CHARGE_NOT_FOUND)
    return None


def taking_payment(user: Any, dossier: Dossier) -> PaymentError | None:
    """A receiving officer of a desk that receives for the dossier's agency takes its fee."""
    refused = _out_of_reach(user, dossier)
    if refused is not None:
        return refused
    if getattr(user, "is_staff", False) or dossier_rules.reception_agencies(user, dossier):
        return None
    return PaymentError(errors.NOT_ALLOWED)


def handling_refunds(user: Any, dossier: Dossier) -> PaymentError | None:
    """The competent agency's leader or head of unit (or an administrator) gives money back."""
    refused = _out_of_reach(user, dossier)
    if refused is not None:
        return refused
    if getattr(user, "is_staff", False):
        return None
    for role in REFUND_ROLES:
        if agencies_where(user, role).filter(pk=dossier.agency_id).exists():
            return None
    return PaymentError(errors.NOT_ALLOWED)


def enforce(refused: PaymentError | None) -> None:
    if refused is not None:
        raise refused
