"""What the topic modules share: the small helpers, the permission checks read from
`permissions.py`, the audit/notification helpers, and the legal clock applied to a dossier
(`clock.py` does the arithmetic).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core import audit, compiled_reads, inserts
from tinhso.core.calendar import current_calendar
from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import clock, codes, errors, permissions
from tinhso.dossiers.errors import DossierError
from tinhso.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    ProcessingRoute,
    RouteStep,
    StepRecord,
    SupplementRequest,
)
from tinhso.places.models import Agency


def notify(*args: Any, **kwargs: Any) -> Any:
    """`tinhso.core.notify.notify` (the package's `actions.notify`), looked up at call time so
    that `mock.patch("tinhso.dossiers.actions.notify")` reaches every topic module."""
    from tinhso.dossiers import actions

    return actions.notify(*args, **kwargs)


DOSSIER_FIELDS = [
    "code",
    "state",
    "form_data",
    "delivery",
    "delivery_address",
    "submitted_at",
    "appointment_at",
    "fee_total",
    "fee_status",
]


def _event(dossier: Dossier, note: str = "", at: datetime | None = None) -> DossierEvent:
    event = DossierEvent(dossier=dossier, at=at or timezone.now(), state=dossier.state, note=note)
    inserts.insert(event)  # every action writes one: its INSERT compiled once
    if settings.DVCQG_URL:  # the national portal sync (dvcqg/sync.py), in this transaction
        from tinhso.dvcqg.sync import dossier_changed

        dossier_changed(dossier, event)
    if dossier.state != Dossier.State.DRAFT:
        _ioc_changed(dossier.pk)
    return event


def _ioc_changed(dossier_id: int) -> None:
    """Queue the IOC's rollup refresh (ioc/rollups.py) in the changing transaction."""
    from tinhso.ioc.rollups import dossier_changed

    dossier_changed(dossier_id)


def _owned(dossier: Dossier, user: Any) -> None:
    if dossier.owner_id != getattr(user, "pk", None):
        raise DossierError(errors.DOSSIER_NOT_FOUND)


def _editable(dossier: Dossier) -> None:
    if dossier.state not in {Dossier.State.DRAFT, Dossier.State.SUPPLEMENT_REQUESTED}:
        raise DossierError(errors.NOT_EDITABLE)


def _locked(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().get(pk=dossier.pk)


def _citizen(user: Any) -> Any:
    """The account's citizen row, or None: compiled once and run prepared (every API
    submission reads it; `tinhso.core.compiled_reads`)."""
    from tinhso.people.models import Citizen

    found = compiled_reads.objects(
        "dossiers.citizen_of_user",
        Citizen,
        lambda m: compiled_reads.first_of(Citizen.objects.filter(user_id=m.id("user"))),
        {"user": user.pk},
    )
    return found[0] if found else None


def agency_for(version: ProcedureVersion, chosen: Agency | None = None) -> Agency:
    """The competent agency: the procedure's own, else the one the citizen chose."""
    if version.procedure.agency_id:
        return version.procedure.agency  # type: ignore[return-value]
    if chosen is None:
        raise errors.invalid(errors.AGENCY_REQUIRED, "agency")
    return chosen


def check_can_submit_online(version: ProcedureVersion) -> None:
    if version.state != ProcedureVersion.State.PUBLISHED or not version.procedure.is_active:
        raise errors.invalid(errors.PROCEDURE_NOT_APPLIED, "procedure")
    if not version.accepts_online():
        raise errors.invalid(errors.PROCEDURE_NOT_ONLINE, "procedure")


_NEXT_NUMBER = (
    "INSERT INTO dossiers_dossiercounter (agency_id, day, last) VALUES (%s, %s, 1) "
    "ON CONFLICT (agency_id, day) DO UPDATE SET last = dossiers_dossiercounter.last + 1 "
    "RETURNING last"
)


def next_code(agency: Agency, moment: datetime) -> str:
    """Take the next number of the day for `agency`; call inside the submitting transaction,
    as late as possible (the row stays locked until commit).

    One statement, an upsert that returns the number (PostgreSQL and SQLite 3.35+): the day's
    first dossier makes the row, later ones add one under the row lock the update takes, so
    no two transactions get one number and no number is skipped (a rolled-back transaction
    gives its number back)."""
    day = moment.astimezone(VIETNAM).date()
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [agency.pk, connection.ops.adapt_datefield_value(day)])
        (last,) = cursor.fetchone()
    return codes.dossier_code(agency.code, day, last)


def _appointment(dossier: Dossier, received_at: datetime) -> datetime:
    """The appointment for a dossier received at `received_at` (at submission: the provisional
    one on the electronic receipt; reception recomputes it), on the one legal clock."""
    calendar = current_calendar()
    start = clock.clock_start(calendar, received_at, reception_cutoff())
    return clock.appointment(calendar, start, processing_budget(dossier, start))


def _store_first(item: Any, name: str, content: bytes) -> str:
    """Write `item`'s file before its transaction opens (no storage I/O while rows are
    locked): under the name its field gives, made unique by the storage. The caller sets
    `item.file.name` to the returned name inside the transaction and `_forget`s it if the
    transaction fails, so no orphan is left behind."""
    from django.core.files.base import ContentFile

    field = item._meta.get_field("file")
    target = field.generate_filename(item, name)
    return str(field.storage.save(target, ContentFile(content), max_length=field.max_length))


def _forget(names: list[str]) -> None:
    """Files stored by a transaction that rolled back: remove them, leave nothing behind."""
    storage = DossierFile._meta.get_field("file").storage
    for name in names:
        if name:
            storage.delete(name)


def _processing_pauses(dossier: Dossier) -> list[clock.Interval]:
    """The supplement pauses since reception (those before it do not stop the legal clock:
    it had not started)."""
    return [
        (s.requested_at, s.answered_at) for s in dossier.supplements.filter(during_processing=True)
    ]


def _resume_clock(dossier: Dossier, request: SupplementRequest, now: datetime) -> None:
    """After a pause in processing: appointment and step due time move by the pause."""
    if dossier.clock_start_at is None:
        return
    calendar = current_calendar()
    start = dossier.clock_start_at
    dossier.appointment_at = clock.appointment(
        calendar, start, processing_budget(dossier, start), _processing_pauses(dossier), now
    )
    if dossier.step_due_at is not None:
        dossier.step_due_at = _step_due(dossier, dossier.current_step, now)
        StepRecord.objects.filter(dossier=dossier, outcome=StepRecord.Outcome.OPEN).update(
            due_at=dossier.step_due_at
        )
    if dossier.due_at is not None:
        dossier.due_at = max(dossier.step_due_at or dossier.due_at, dossier.due_at)


def recomputed_appointment(dossier: Dossier, now: datetime) -> datetime | None:
    """The appointment moved by the working time spent waiting for supplements."""
    if dossier.submitted_at is None:
        return None
    calendar = current_calendar()
    start = clock.clock_start(calendar, dossier.submitted_at, reception_cutoff())
    pauses = [(s.requested_at, s.answered_at) for s in dossier.supplements.all()]
    return clock.appointment(calendar, start, processing_budget(dossier, start), pauses, now)


def _now() -> datetime:
    return timezone.now()


def _check_state(dossier: Dossier, action: str) -> None:
    refused = permissions.state_refusal(dossier, action)
    if refused:
        raise refused


# The rules themselves live once in `permissions.py`, shared with the officer's pages.
reception_agencies = permissions.reception_agencies


receivable_competent_agencies = permissions.receivable_competent_agencies


def _permit(user: Any, dossier: Dossier, refused: DossierError | None) -> None:
    permissions.enforce(user, dossier, refused)


def _may_receive(user: Any, dossier: Dossier) -> Agency:
    found = reception_agencies(user, dossier)
    _permit(user, dossier, permissions.receiving(user, dossier) if not found else None)
    if dossier.reception_agency_id:
        for agency in found:
            if agency.pk == dossier.reception_agency_id:
                return agency
    return found[0]


def _may_perform_step(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.performing_step(user, dossier))


def _may_manage_step(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.managing_step(user, dossier))


def _may_decide(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.deciding(user, dossier))


def _may_handle_result(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.handling_result(user, dossier))


def _may_return(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.returning_result(user, dossier))


# A dossier with no route has one step; its record keeps this name (stored, so Vietnamese).
DEFAULT_STEP_NAME = "Xử lý hồ sơ"


def _tell_citizen(dossier: Dossier, subject: str, lines: list[str]) -> None:
    """Queue the citizen's notification in the outbox (e-mail, else SMS)."""
    link = f"{settings.SITE_URL.rstrip('/')}/ho-so-cua-toi/{dossier.code}/"
    body = "\n".join([f"Kính gửi {dossier.applicant_name},", "", *lines, "", link])
    if dossier.applicant_email:
        notify("email", dossier.applicant_email, subject, body)
    elif dossier.applicant_phone:
        notify("sms", dossier.applicant_phone, subject, f"{subject}. {lines[0]}"[:300])


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(VIETNAM):%H:%M ngày %d/%m/%Y}" if moment else "chưa xác định"


def _record(
    action: str, dossier: Dossier, before: dict[str, Any], actor: Any, **extra: Any
) -> None:
    changes: dict[str, Any] = dict(audit.diff(before, audit.snapshot(dossier, TRACKED)))
    changes.update({k: v for k, v in extra.items() if v not in (None, "")})
    audit.record(f"dossier.{action}", dossier, actor=actor, changes=changes)


TRACKED = [
    "state",
    "reception_agency_id",
    "received_at",
    "clock_start_at",
    "appointment_at",
    "route_id",
    "current_step_id",
    "current_agency_id",
    "assignee_id",
    "step_due_at",
    "due_at",
    "finished_at",
    "returned_at",
    "decision_reason",
]


def reception_cutoff() -> time:
    """`DOSSIER_RECEPTION_CUTOFF` ("HH:MM", default 15:00)."""
    text = str(settings.DOSSIER_RECEPTION_CUTOFF or "15:00")
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def within_day() -> clock.WithinDay:
    """`DOSSIER_WITHIN_DAY`: what "trong ngày" means ("end_of_day", the default, or
    "working_day"; see `clock`)."""
    value = getattr(settings, "DOSSIER_WITHIN_DAY", "") or clock.WithinDay.END_OF_DAY
    return clock.WithinDay(value)


def processing_budget(dossier: Dossier, start: datetime) -> timedelta:
    """The dossier's processing time as working time counted from its clock `start`."""
    version = dossier.version
    return clock.budget(
        current_calendar(),
        start,
        days=version.processing_days,
        hours=version.processing_hours,
        within_day=within_day(),
    )


def active_route(procedure_id: int) -> ProcessingRoute | None:
    return (
        ProcessingRoute.objects.filter(procedure_id=procedure_id, is_active=True)
        .order_by("-number")
        .first()
    )


def _step_due(dossier: Dossier, step: RouteStep | None, now: datetime) -> datetime:
    """The due time of `step`: its cumulative share of the dossier's time on the legal clock
    (`clock.step_due`); with no route, the appointment."""
    start = dossier.clock_start_at
    if step is None or start is None:
        return dossier.appointment_at or now
    calendar = current_calendar()
    steps = _steps(dossier)
    index = next((i for i, s in enumerate(steps) if s.pk == step.pk), len(steps) - 1)
    share = clock.share_through([s.share_percent for s in steps], index)
    pauses = _processing_pauses(dossier)
    latest = dossier.apologies.order_by("-created_at", "-pk").first()
    processing = clock.extended_processing(
        calendar,
        start,
        processing_budget(dossier, start),
        latest.new_appointment if latest else None,
        pauses,
        now,
    )
    return clock.step_due(calendar, start, processing, share, pauses, now)


def _enter_step(
    dossier: Dossier, step: RouteStep | None, at: datetime, *, by: Any, assignee: Any = None
) -> None:
    """Put the dossier at `step` at the real moment `at` (the tracking sheet's start): its
    agency, its due time on the legal clock, and a tracking-sheet row."""
    agency = (step.agency if step and step.agency_id else None) or dossier.agency
    due = _step_due(dossier, step, at)
    dossier.current_step = step
    dossier.current_agency = agency
    dossier.assignee = assignee
    dossier.step_due_at = due
    dossier.due_at = due
    StepRecord.objects.create(
        dossier=dossier,
        step=step,
        name=step.name if step else DEFAULT_STEP_NAME,
        agency=agency,
        from_user=by if getattr(by, "pk", None) else None,
        assignee=assignee,
        started_at=at,
        due_at=due,
    )


def _close_step(
    dossier: Dossier, outcome: str, at: datetime, note: str = "", *, by: Any = None
) -> None:
    """End the open step: how, when, and who did it (`by`, the official whose action ends
    it; none for the system), whether or not the step had been assigned to anyone."""
    StepRecord.objects.filter(dossier=dossier, outcome=StepRecord.Outcome.OPEN).update(
        outcome=outcome,
        finished_at=at,
        note=note[:2000],
        performed_by=by if getattr(by, "pk", None) else None,
    )


def _steps(dossier: Dossier) -> list[RouteStep]:
    return list(dossier.route.steps.order_by("position")) if dossier.route else []


def current_appointment(dossier: Dossier) -> datetime | None:
    """The appointment in force: the latest apology's new date, else the legal one."""
    latest = dossier.apologies.order_by("-created_at", "-pk").first()
    return latest.new_appointment if latest else dossier.appointment_at
