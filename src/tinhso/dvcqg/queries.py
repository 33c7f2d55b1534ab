"""Reads for the national sync: a dossier's facts as `fields` wants them."""

from __future__ import annotations

from typing import Any

from tinhso.dossiers.actions import current_appointment
from tinhso.dossiers.models import Dossier, DossierEvent, DossierFile, StepRecord
from tinhso.dvcqg.fields import (
    DossierFacts,
    EventFacts,
    FeeFacts,
    FileFacts,
    ResultFacts,
    SupplementFacts,
)
from tinhso.payments.models import Attempt, Charge, Due

# DuocThanhToanTrucTuyen by the gateway of the paid attempt
PAID_ONLINE: dict[str, int] = {Attempt.Gateway.PAYGOV: 1, Attempt.Gateway.VNPAY: 2}


def latest_version(dossier_id: int) -> int:
    """The dossier's version: the id of its latest timeline line (0 if none)."""
    last = (
        DossierEvent.objects.filter(dossier_id=dossier_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return int(last or 0)


def national_code(dossier: Dossier) -> str:
    """`MaHoSo` on the portal: the portal's own code for a dossier that came from it
    (`InboundDossier`), so its status goes back onto the same record; else tinhso's code."""
    from tinhso.dvcqg.models import InboundDossier

    inbound = (
        InboundDossier.objects.filter(dossier_id=dossier.pk)
        .values_list("national_code", flat=True)
        .first()
    )
    return inbound or dossier.code or ""


def event_facts(dossier: Dossier, events: list[DossierEvent]) -> tuple[EventFacts, ...]:
    steps = list(
        StepRecord.objects.filter(dossier=dossier)
        .select_related("agency", "assignee")
        .order_by("started_at", "pk")
    )
    found = []
    for event in events:
        step = None
        for record in steps:
            if record.started_at <= event.at:
                step = record
        found.append(
            EventFacts(
                id=event.pk,
                at=event.at,
                state=event.state,
                note=event.note,
                handler_name=step.assignee.full_name if step and step.assignee else "",
                unit=step.agency.name if step else "",
                step_started_at=step.started_at if step else None,
                step_due_at=step.due_at if step else None,
            )
        )
    return tuple(found)


def dossier_facts(dossier: Dossier) -> DossierFacts:
    dossier = Dossier.objects.select_related(
        "version__procedure__field", "agency", "reception_agency"
    ).get(pk=dossier.pk)
    procedure = dossier.version.procedure
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("pk"))
    charges = list(Charge.objects.filter(dossier=dossier).order_by("pk"))
    paid = (
        Attempt.objects.filter(charge__dossier=dossier, state=Attempt.State.PAID)
        .order_by("paid_at", "pk")
        .values_list("gateway", flat=True)
    )
    paid_online = max((PAID_ONLINE.get(g, 0) for g in paid), default=0)
    files = DossierFile.objects.filter(dossier=dossier, slot=DossierFile.Slot.COMPONENT)
    refused = dossier.state in (Dossier.State.REFUSED, Dossier.State.REJECTED)
    return DossierFacts(
        code=national_code(dossier),
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        field_code=procedure.field.code if procedure.field else "",
        field_name=procedure.field.name if procedure.field else "",
        channel=dossier.channel,
        state=dossier.state,
        delivery=dossier.delivery,
        applicant_name=dossier.applicant_name,
        applicant_personal_id=dossier.applicant_personal_id,
        email=dossier.applicant_email,
        phone=dossier.applicant_phone,
        agency_name=dossier.agency.name,
        reception_place=dossier.reception_agency.name if dossier.reception_agency else "",
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        appointment_at=current_appointment(dossier),
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        refused_at=dossier.finished_at if refused else None,
        paid_online=paid_online,
        processing_started=sum(1 for e in events if e.state == Dossier.State.RECEIVED) > 1,
        fee_awaited=any(
            c.due == Due.BEFORE_RESULT and c.state == Charge.State.OPEN for c in charges
        ),
        files=tuple(
            FileFacts(
                id=f.pk,
                name=f.original_name,
                component_code=f.component.code if f.component else "",
                digitised=f.digitised,
                reused=f.reused,
                from_national_store=f.from_national_store,
            )
            for f in files.select_related("component", "from_stored")
        ),
        fees=tuple(
            FeeFacts(
                name=str(line.get("name", "")),
                code=str(line.get("code", "")),
                kind=str(line.get("kind", "")),
                amount=int(line.get("amount", 0)),
            )
            for c in charges
            if c.state != Charge.State.CANCELLED
            for line in c.lines
        ),
        supplements=tuple(
            SupplementFacts(
                id=s.pk,
                requested_by=s.requested_by.full_name if s.requested_by else "",
                reason=s.reason,
                requested_at=s.requested_at,
                answered_at=s.answered_at,
            )
            for s in dossier.supplements.select_related("requested_by").order_by("pk")
        ),
        results=tuple(
            ResultFacts(id=r.pk, name=r.name) for r in dossier.results.order_by("issued_at", "pk")
        ),
        events=event_facts(dossier, events),
    )


def sync_overview() -> dict[str, Any]:
    """How far the portal is behind: dossiers (not drafts) whose newest version it holds,
    those it does not, and the sync messages waiting or parked."""
    from django.db.models import Max

    from tinhso.core.models import OutboxMessage
    from tinhso.dvcqg.models import SyncState
    from tinhso.dvcqg.sync import TOPIC

    sent = dict(SyncState.objects.values_list("dossier_id", "sent_version"))
    latest = (
        Dossier.objects.exclude(state=Dossier.State.DRAFT)
        .annotate(latest_event=Max("events__pk"))
        .values_list("pk", "code", "latest_event")
    )
    behind = sorted(str(code) for pk, code, version in latest if (version or 0) > sent.get(pk, 0))
    messages = OutboxMessage.objects.filter(topic=TOPIC)
    parked = [
        {"dossier": m.payload.get("dossier"), "error": m.last_error}
        for m in messages.filter(state=OutboxMessage.State.PARKED).order_by("pk")
    ]
    return {
        "dossiers": len(latest),
        "up_to_date": len(latest) - len(behind),
        "behind": behind,
        "pending": messages.filter(state=OutboxMessage.State.PENDING).count(),
        "parked": parked,
    }


def sync_health(now: Any = None) -> dict[str, Any]:
    """Per agency: dossiers, how many the portal holds in an older state and the age of the
    oldest change it has not got (the lag), parked messages, the last failure; and the parked
    messages themselves, with the portal's reason (the administrator's page)."""
    from django.db.models import Max
    from django.utils import timezone

    from tinhso.core.models import OutboxMessage
    from tinhso.dvcqg.models import SyncState
    from tinhso.dvcqg.sync import TOPIC

    now = now or timezone.now()
    rows = (
        Dossier.objects.exclude(state=Dossier.State.DRAFT)
        .annotate(latest_event=Max("events__pk"))
        .values_list("pk", "code", "agency__code", "agency__name", "latest_event")
    )
    states = {
        s.dossier_id: s
        for s in SyncState.objects.only(
            "dossier_id", "sent_version", "last_failure", "last_failure_at", "last_error"
        )
    }
    parked_messages = list(
        OutboxMessage.objects.filter(topic=TOPIC, state=OutboxMessage.State.PARKED).order_by("pk")
    )
    parked_by_dossier: dict[int, list[Any]] = {}
    for m in parked_messages:
        parked_by_dossier.setdefault(int(m.payload.get("dossier", 0)), []).append(m)
    agencies: dict[str, dict[str, Any]] = {}
    behind_events: list[int] = []
    dossier_agency: dict[int, tuple[str, str]] = {}
    for pk, code, agency_code, agency_name, latest in rows:
        row = agencies.setdefault(
            agency_code,
            {
                "code": agency_code,
                "name": agency_name,
                "dossiers": 0,
                "behind": 0,
                "lag_seconds": 0,
                "parked": 0,
                "last_error": "",
                "last_error_at": None,
            },
        )
        dossier_agency[pk] = (str(code), agency_code)
        row["dossiers"] += 1
        state = states.get(pk)
        if (latest or 0) > (state.sent_version if state else 0):
            row["behind"] += 1
            behind_events.append(pk)
        row["parked"] += len(parked_by_dossier.get(pk, []))
        if (
            state
            and state.last_failure_at
            and (row["last_error_at"] is None or state.last_failure_at > row["last_error_at"])
        ):
            row["last_error"] = portal_reason(state.last_error or state.last_failure)
            row["last_error_at"] = state.last_failure_at
    # the lag: the oldest change the portal does not hold yet, per agency
    if behind_events:
        sent = {pk: (states[pk].sent_version if pk in states else 0) for pk in behind_events}
        oldest: dict[int, Any] = {}
        for dossier_id, event_id, at in DossierEvent.objects.filter(
            dossier_id__in=behind_events
        ).values_list("dossier_id", "pk", "at"):
            if event_id > sent[dossier_id] and (
                dossier_id not in oldest or at < oldest[dossier_id]
            ):
                oldest[dossier_id] = at
        for dossier_id, at in oldest.items():
            row = agencies[dossier_agency[dossier_id][1]]
            row["lag_seconds"] = max(row["lag_seconds"], int((now - at).total_seconds()))
    parked = [
        {
            "id": m.pk,
            "dossier": dossier_agency.get(int(m.payload.get("dossier", 0)), ("", ""))[0],
            "agency": dossier_agency.get(int(m.payload.get("dossier", 0)), ("", ""))[1],
            "reason": portal_reason(m.last_error),
            "attempts": m.attempts,
            "since": m.created_at,
        }
        for m in parked_messages
    ]
    return {"agencies": [agencies[k] for k in sorted(agencies)], "parked": parked}


def portal_reason(error: str) -> str:
    """An error as recorded (`PortalRejected: Cổng DVC quốc gia từ chối …`) without the
    exception's class name, which means nothing to an administrator."""
    import re

    return re.sub(r"^[A-Z][A-Za-z]+: ", "", error or "")
