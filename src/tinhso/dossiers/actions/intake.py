"""Reception (tiếp nhận, Mẫu 01), supplement requests (Mẫu 02), refusal to receive (Mẫu 03),
and intake at the counter or by post. Decree 118/2025/NĐ-CP: any one-stop desk of the
province receives; the legal clock starts at valid reception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.catalogue import eforms
from tinhso.catalogue.models import ProcedureVersion
from tinhso.core import audit
from tinhso.core.calendar import current_calendar
from tinhso.core.identifiers import InvalidIdentifier, validate_personal_id
from tinhso.core.text import normalize
from tinhso.dossiers import clock, errors
from tinhso.dossiers.actions._common import (
    TRACKED,
    _check_state,
    _enter_step,
    _event,
    _forget,
    _locked,
    _may_perform_step,
    _may_receive,
    _now,
    _record,
    _store_first,
    _tell_citizen,
    _when,
    active_route,
    agency_for,
    processing_budget,
    reception_cutoff,
)
from tinhso.dossiers.actions.drafts import delivery_errors
from tinhso.dossiers.actions.submission import _finish_submission, charge_at_submission
from tinhso.dossiers.models import (
    Dossier,
    DossierFile,
    SupplementRequest,
)
from tinhso.dossiers.uploads import RejectedFile, check_file
from tinhso.payments import actions as payments
from tinhso.places.models import Agency


def receive(dossier: Dossier, *, officer: Any) -> Dossier:
    """Tiếp nhận (Mẫu 01): the legal clock starts; the dossier goes to its route's first step."""
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "receive")
        desk = _may_receive(officer, locked)
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        calendar = current_calendar()
        start = clock.clock_start(calendar, now, reception_cutoff())
        locked.reception_agency = desk
        locked.received_at = now
        locked.clock_start_at = start
        locked.appointment_at = clock.appointment(calendar, start, processing_budget(locked, start))
        locked.route = active_route(locked.version.procedure_id)
        first = locked.route.steps.order_by("position").first() if locked.route else None
        locked.state = Dossier.State.RECEIVED
        _enter_step(locked, first, now, by=officer)  # the step starts now; its due time
        # counts on the legal clock from `start` (a Saturday's reception: Monday 07:30)
        locked.save()
        _event(locked, f"Đã tiếp nhận hồ sơ tại {desk.name}.", now)
        _record("received", locked, before, officer)
        _tell_citizen(
            locked,
            f"Đã tiếp nhận hồ sơ {locked.code}",
            [
                f"Hồ sơ {locked.code} đã được tiếp nhận tại {desk.name}.",
                f"Ngày hẹn trả kết quả: {_when(locked.appointment_at)}.",
            ],
        )
    return locked


@dataclass(frozen=True)
class MissingItem:
    """One line of the supplement request (Mẫu 02): a component and what is wrong with it."""

    component_id: int
    reason: str


def request_supplement(
    dossier: Dossier,
    *,
    reason: str,
    fields: list[str],
    component_ids: list[int],
    officer: Any,
    items: list[MissingItem] | None = None,
) -> SupplementRequest:
    """Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02); in processing the clock pauses.

    `officer=None` is the system itself (the demo loader and the citizen-side tests); the views
    and the API always pass the signed-in official, whose roles are checked.
    """
    reason = normalize(reason)[:2000]
    items = list(items or [])
    if not reason and not items:
        raise errors.invalid(errors.SUPPLEMENT_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "request_supplement")
        in_processing = locked.state == Dossier.State.RECEIVED
        if officer is not None:
            if in_processing:
                _may_perform_step(officer, locked)
            else:
                locked.reception_agency = _may_receive(officer, locked)
        components = {c.pk: c for c in locked.version.components.all()}
        lines = []
        for item in items:
            component = components.get(item.component_id)
            if component is None:
                raise errors.invalid(errors.UNKNOWN_COMPONENT, "items")
            lines.append(
                {
                    "component": component.pk,
                    "name": component.name,
                    "reason": normalize(item.reason),
                }
            )
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        request = SupplementRequest.objects.create(
            dossier=locked,
            requested_at=now,
            reason=reason,
            fields=list(fields),
            items=lines,
            during_processing=in_processing,
            requested_by=officer if getattr(officer, "pk", None) else None,
        )
        request.components.set(
            [
                components[pk]
                for pk in set(component_ids) | {i["component"] for i in lines}
                if pk in components
            ]
        )
        locked.state = Dossier.State.SUPPLEMENT_REQUESTED
        locked.save()
        _event(locked, f"Yêu cầu bổ sung: {reason or lines[0]['reason']}", now)
        _record("supplement_requested", locked, before, officer, reason=reason, items=lines)
        _tell_citizen(
            locked,
            f"Yêu cầu bổ sung hồ sơ {locked.code}",
            [f"Hồ sơ {locked.code} cần bổ sung: {reason}"]
            + [f"- {i['name']}: {i['reason']}" for i in lines],
        )
    return request


def reject(dossier: Dossier, *, officer: Any, reason: str) -> Dossier:
    """Từ chối tiếp nhận hồ sơ (Mẫu 03), with the reason."""
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.REJECT_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "reject")
        desk = _may_receive(officer, locked)
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        locked.state = Dossier.State.REJECTED
        locked.reception_agency = desk
        locked.decision_reason = reason
        locked.finished_at = now
        locked.save()
        _event(locked, f"Từ chối tiếp nhận: {reason}", now)
        _record("rejected", locked, before, officer)
        # In this transaction: a refusal that commits always leaves its refund case.
        payments.refund_refused_dossier(locked)
        _tell_citizen(locked, f"Từ chối tiếp nhận hồ sơ {locked.code}", [f"Lý do: {reason}"])
    return locked


@dataclass(frozen=True)
class PaperComponent:
    """A component handed in on paper: scanned (`content`) and whether the scan is digitised
    with legal value (Decision 766 indicator 4.2)."""

    component_id: int
    filename: str
    content: bytes
    digitised: bool


def intake(
    version: ProcedureVersion,
    *,
    officer: Any,
    channel: str,
    personal_id: str,
    full_name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    form: Mapping[str, Any] | None = None,
    components: list[PaperComponent] | None = None,
    delivery: str = "counter",
    delivery_address: str = "",
    agency: Agency | None = None,
    reused: Mapping[int, str] | None = None,
) -> Dossier:
    """Tiếp nhận trực tiếp / qua bưu chính on the citizen's behalf: code, receipt, clock.

    `reused` maps a component to a ref of the citizen's data store (the counter's picker,
    docs/datastore.md "Reuse"): attached by reference, resolved against the store of the
    account with that personal ID only; any other ref is UNKNOWN_STORED_DOCUMENT and the
    whole intake is refused with nothing written.

    Decree 118/2025: the desk receives regardless of the administrative boundary within the
    province; the dossier goes to the competent agency, not to the desk that took it.
    """
    from tinhso.people.actions import ensure_citizen_account

    if channel not in {Dossier.Channel.COUNTER, Dossier.Channel.POST}:
        raise errors.invalid(errors.CHANNEL_INVALID, "channel")
    chosen = agency_for(version, agency)
    probe = Dossier(agency=chosen, version=version)
    desk = _may_receive(officer, probe)
    cleaned, problems = eforms.validate(version.eform_schema, dict(form or {}))
    problems = {f"form.{k}": v for k, v in problems.items()}
    problems.update(delivery_errors(version, delivery, delivery_address))
    reused = {int(k): v for k, v in (reused or {}).items() if v}
    given = {c.component_id for c in components or []} | set(reused)
    for requirement in version.components.all():
        if requirement.required and requirement.pk not in given:
            problems[f"component-{requirement.pk}"] = _("Thiếu “%(name)s”.") % {
                "name": requirement.name[:120]
            }
    for index, item in enumerate(components or []):
        if not version.components.filter(pk=item.component_id).exists():
            problems[f"components.{index}"] = str(errors.UNKNOWN_COMPONENT.message)
        else:
            try:
                check_file(item.filename, item.content, already_in_dossier=0)
            except RejectedFile as exc:
                problems[f"components.{index}"] = exc.message
    name = normalize(full_name)
    if not name:
        problems["full_name"] = _("Vui lòng nhập họ và tên người nộp.")
    try:
        validate_personal_id((personal_id or "").strip())
    except InvalidIdentifier as exc:
        problems["personal_id"] = exc.message
    if problems:
        raise errors.invalid_input(problems)
    # the files first, outside the transaction (no storage I/O under its locks)
    written: list[DossierFile] = []
    try:
        for item in components or []:
            record = DossierFile(
                component_id=item.component_id,
                original_name=normalize(item.filename)[:255] or "tep",
                kind=check_file(item.filename, item.content, already_in_dossier=0),
                size=len(item.content),
                sha256=hashlib.sha256(item.content).hexdigest(),
                digitised=item.digitised,
            )
            record.file.name = _store_first(record, record.original_name, item.content)
            written.append(record)
    except BaseException:
        _forget([record.file.name or "" for record in written])
        raise
    stored = [record.file.name or "" for record in written]
    try:
        with transaction.atomic():
            user = ensure_citizen_account(
                personal_id=personal_id, full_name=name, phone=phone, email=email, source=channel
            )
            dossier = Dossier.objects.create(
                version=version,
                agency=chosen,
                owner=user,
                channel=channel,
                applicant_name=name,
                applicant_phone=phone,
                applicant_email=email,
                applicant_address=normalize(address),
                form_data=cleaned,
                form_complete=True,
                delivery=delivery,
                delivery_address=normalize(delivery_address) if delivery == "post" else "",
                fee_total=version.total_fee,
                fee_status=Dossier.FeeStatus.UNPAID if version.total_fee else "none",
                reception_agency=desk,
            )
            for record in written:
                record.dossier = dossier
                record.save()
            _attach_reused(dossier, reused, officer=officer)
            _finish_submission(dossier, user=officer)
            receive(dossier, officer=officer)
            charge_at_submission(dossier, actor=officer)
    except BaseException:
        _forget(stored)
        raise
    dossier.refresh_from_db()
    return dossier


def _attach_reused(dossier: Dossier, reused: Mapping[int, str], *, officer: Any) -> None:
    """The counter's picks from the citizen's store, by reference, in intake's transaction."""
    from tinhso.dossiers.datastore import store_for

    if not reused:
        return
    store = store_for(dossier.owner)
    components = {c.pk: c for c in dossier.version.components.all()}
    for component_id, ref in sorted(reused.items()):
        component = components.get(component_id)
        row, result = store.resolve(ref)
        if component is None or (row is None and result is None):
            raise errors.invalid(errors.UNKNOWN_STORED_DOCUMENT, f"stored-{component_id}")
        if not any(d.ref == ref for d in store.offers([component])[component.pk]):
            raise errors.invalid(errors.STORED_DOCUMENT_NOT_FOR_COMPONENT, f"stored-{component_id}")
        source = row if row is not None else result
        DossierFile.objects.create(
            dossier=dossier,
            component=component,
            original_name=(str(row) if row is not None else result.name)[:255],
            kind=row.file_kind if row is not None else result.kind,
            size=0,
            sha256=source.sha256,
            file=source.file.name,
            from_result=result,
            from_stored=row,
            reused=True,
            digitised=True,
        )
        audit.record(
            "dossier.file_from_datastore",
            dossier,
            actor=officer,
            changes={"file": [None, {"component": component.pk, "ref": ref}]},
        )
