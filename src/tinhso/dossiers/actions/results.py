"""The decision (approve, refuse) and the result: attach, mark ready, return, issue.
Decree 118/2025/NĐ-CP.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from tinhso.core import audit, outbox
from tinhso.core.text import normalize
from tinhso.dossiers import errors, permissions
from tinhso.dossiers.actions._common import (
    TRACKED,
    _check_state,
    _close_step,
    _event,
    _forget,
    _ioc_changed,
    _locked,
    _may_decide,
    _may_handle_result,
    _may_return,
    _now,
    _permit,
    _record,
    _store_first,
    _tell_citizen,
)
from tinhso.dossiers.actions.submission import charge_due
from tinhso.dossiers.errors import DossierError
from tinhso.dossiers.models import (
    Dossier,
    DossierResult,
    StepRecord,
)
from tinhso.dossiers.uploads import check_file
from tinhso.payments import actions as payments
from tinhso.payments import queries as payment_queries
from tinhso.verify import actions as electronic


def _decide(dossier: Dossier, officer: Any, action: str, reason: str) -> Dossier:
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, action)
        _may_decide(officer, locked)
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        _close_step(locked, StepRecord.Outcome.FINISHED, now, reason, by=officer)
        locked.state = Dossier.State.APPROVED if action == "approve" else Dossier.State.REFUSED
        locked.finished_at = now
        locked.decision_reason = reason if action == "refuse" else ""
        locked.assignee = None
        locked.save()
        if action == "approve":
            _event(locked, "Lãnh đạo đã phê duyệt hồ sơ.", now)
            _record("approved", locked, before, officer)
        else:
            _event(locked, f"Từ chối giải quyết: {reason}", now)
            _record("refused", locked, before, officer)
            # In this transaction: a refusal that commits always leaves its refund case.
            payments.refund_refused_dossier(locked)
            _tell_citizen(
                locked, f"Hồ sơ {locked.code} không được giải quyết", [f"Lý do: {reason}"]
            )
    return locked


def approve(dossier: Dossier, *, officer: Any) -> Dossier:
    """Phê duyệt: the leader at the last step approves; the result is prepared next."""
    return _decide(dossier, officer, "approve", "")


def refuse(dossier: Dossier, *, officer: Any, reason: str) -> Dossier:
    """Từ chối giải quyết, with the reason written back to the citizen."""
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.REFUSE_REASON_REQUIRED, "reason")
    return _decide(dossier, officer, "refuse", reason)


def attach_result(dossier: Dossier, name: str, content: bytes, *, officer: Any) -> DossierResult:
    """Đính kèm kết quả: an uploaded file, or the signed PDF the documents module hands over.

    A PDF is made an electronic result here (verify/actions.py): signed with the deciding
    agency's seal, with a QR code to its /xac-thuc/ page, when the agency has a certificate.

    Hook for the documents module: call `attach_result(dossier, name, signed_pdf_bytes,
    officer=signer)` once the document is signed; nothing else is needed here.
    """
    name = normalize(name)[:500]
    if not name:
        raise errors.invalid(errors.RESULT_NAME_REQUIRED, "name")
    kind = check_file(name, content, already_in_dossier=0)
    # refused before anything is written (a fresh read, no lock); checked again under it
    current = Dossier.objects.get(pk=dossier.pk)
    _check_state(current, "attach_result")
    _may_handle_result(officer, current)
    # the electronic result: signed with the agency's seal and its verification QR code,
    # before the transaction (verify/actions.py); the stored file is the signed one
    sealed = electronic.seal(current, name, content, kind)
    if sealed is not None:
        content = sealed.content
    result = DossierResult(
        dossier=dossier,
        name=name,
        kind=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    # the file first, outside the transaction (no storage I/O under the dossier's lock)
    stored = _store_first(result, f"{dossier.pk}-{result.sha256[:16]}.{kind}", content)
    try:
        with transaction.atomic():
            locked = _locked(dossier)
            _check_state(locked, "attach_result")
            _may_handle_result(officer, locked)
            result.dossier = locked
            result.issued_at = _now()
            result.file.name = stored
            result.save()
            if sealed is not None:
                electronic.record(sealed, result, actor=officer)
            audit.record(
                "dossier.result_attached",
                locked,
                actor=officer,
                changes={"result": [None, {"name": name, "sha256": result.sha256}]},
            )
            _ioc_changed(locked.pk)  # the IOC's rollups count electronic results
    except BaseException:
        _forget([stored])
        raise
    return result


def mark_ready(dossier: Dossier, *, officer: Any) -> Dossier:
    """Xác nhận đã có kết quả: the citizen is told to collect it (or gets it online)."""
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "mark_ready")
        _permit(officer, locked, permissions.marking_ready(officer, locked))
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        locked.state = Dossier.State.RESULT_READY
        locked.current_agency = locked.reception_agency or locked.agency
        locked.save()
        _event(locked, "Đã có kết quả giải quyết.", now)
        _record("result_ready", locked, before, officer)
        _tell_citizen(
            locked,
            f"Hồ sơ {locked.code} đã có kết quả",
            [f"Kết quả: {locked.results.first()}", f"Cách nhận: {locked.get_delivery_display()}"],
        )
        # In the same transaction: no one can return the result between "ready" and its fee.
        charge_due(locked, "before_result", actor=officer)
    return locked


RETURN_WAYS = {"desk": "tại Bộ phận Một cửa", "online": "trực tuyến", "post": "qua bưu chính"}


def return_result(dossier: Dossier, *, officer: Any, how: str) -> Dossier:
    """Trả kết quả at the desk, online or by post (also the written refusal)."""
    if how not in RETURN_WAYS:
        raise errors.invalid(errors.RETURN_HOW_REQUIRED, "how")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "return_result")
        _may_return(officer, locked)
        if how == "online" and not locked.results.exists():
            raise errors.invalid(errors.NO_ELECTRONIC_RESULT, "how")
        if payment_queries.result_waits_for_payment(locked):
            raise DossierError(errors.RESULT_WAITS_FOR_PAYMENT)
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        locked.state = Dossier.State.RETURNED
        locked.returned_at = now
        locked.save()
        _event(locked, f"Đã trả kết quả {RETURN_WAYS[how]}.", now)
        _record("result_returned", locked, before, officer, how=how)
        # the electronic result enters the citizen's data store (datastore/handlers.py)
        outbox.enqueue("datastore.result_returned", {"dossier": locked.pk})
        _tell_citizen(
            locked, f"Đã trả kết quả hồ sơ {locked.code}", [f"Cách trả: {RETURN_WAYS[how]}."]
        )
    return locked


def issue_result(dossier: Dossier, name: str, content: bytes, *, officer: Any) -> DossierResult:
    """System shortcut (demo loader, citizen-side tests): result on a dossier with no route.

    Not reachable from any page or endpoint; officials go through approve → attach_result →
    mark_ready, which check their roles.
    """
    kind = check_file(name, content, already_in_dossier=0)
    sealed = electronic.seal(Dossier.objects.get(pk=dossier.pk), name, content, kind)
    if sealed is not None:
        content = sealed.content
    result = DossierResult(
        dossier=dossier,
        name=normalize(name),
        kind=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    stored = _store_first(result, f"{dossier.pk}-{result.sha256[:16]}.{kind}", content)
    try:
        with transaction.atomic():
            locked = _locked(dossier)
            if locked.state not in {Dossier.State.SUBMITTED, Dossier.State.RECEIVED}:
                raise DossierError(errors.NOT_BEING_PROCESSED)
            before = audit.snapshot(locked, ["state"])
            now = _now()
            result.dossier = locked
            result.issued_at = now
            result.file.name = stored
            result.save()
            if sealed is not None:
                electronic.record(sealed, result, actor=officer)
            # a received dossier has an open step: it ends here with the dossier, or the
            # tracking sheet would show it still in progress (and late) after the result
            _close_step(locked, StepRecord.Outcome.FINISHED, now, by=officer)
            locked.state = Dossier.State.RESULT_READY
            locked.finished_at = now
            locked.save(update_fields=["state", "finished_at", "updated_at"])
            _event(locked, f"Đã có kết quả: {result.name}", now)
            audit.record(
                "dossier.result_issued",
                locked,
                actor=officer,
                changes={**audit.diff(before, {"state": locked.state}), "result": result.name},
            )
            charge_due(locked, "before_result", actor=officer)
    except BaseException:
        _forget([stored])
        raise
    return result
