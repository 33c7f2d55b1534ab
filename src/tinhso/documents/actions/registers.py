"""Registers and numbers (sổ văn bản, cấp số): Decree 30/2020/NĐ-CP Điều 15 and 22.2. Each
register row is its own counter; a number is issued exactly once and never reused, even when
cancelled (hủy số).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.core import audit
from tinhso.core.text import normalize
from tinhso.documents import errors
from tinhso.documents.actions._common import _now
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import Document, IssuedNumber, Register
from tinhso.places.models import Agency


def register_for(agency: Agency, year: int, direction: str, *, secret: bool = False) -> Register:
    register, _ = Register.objects.get_or_create(
        agency=agency, year=year, direction=direction, secret=secret
    )
    return register


def issue_number(
    agency: Agency,
    year: int,
    direction: str,
    *,
    secret: bool = False,
    document: Document | None = None,
    actor: Any = None,
) -> IssuedNumber:
    """Take the next number of a register, exactly once, whatever runs concurrently.

    The register row is the counter: it is locked (SELECT … FOR UPDATE; on SQLite the
    IMMEDIATE transaction holds the write lock) until the transaction commits.
    """
    with transaction.atomic():
        register_for(agency, year, direction, secret=secret)  # get_or_create survives races
        register = Register.objects.select_for_update().get(
            agency=agency, year=year, direction=direction, secret=secret
        )
        register.last_number += 1
        register.save(update_fields=["last_number"])
        issued = IssuedNumber.objects.create(
            register=register, number=register.last_number, document=document
        )
        audit.record(
            "documents.number.issue",
            issued,
            changes={"number": [None, issued.number], "register": [None, register.pk]},
            actor=actor,
        )
    return issued


def cancel_number(issued: IssuedNumber, *, reason: str, actor: Any) -> IssuedNumber:
    """Record that an issued number was cancelled (hủy số). The number is never reused."""
    reason = normalize(reason).strip()
    if not reason:
        raise errors.invalid(errors.REASON_REQUIRED, "reason", "Cần ghi lý do hủy số.")
    with transaction.atomic():
        row = IssuedNumber.objects.select_for_update().get(pk=issued.pk)
        if row.cancelled_at is not None:
            raise DocumentError(errors.NUMBER_CANCELLED)
        row.cancelled_at = _now()
        row.cancel_reason = reason[:500]
        row.save(update_fields=["cancelled_at", "cancel_reason"])
        audit.record(
            "documents.number.cancel",
            row,
            changes={"reason": [None, row.cancel_reason]},
            actor=actor,
        )
    return row
