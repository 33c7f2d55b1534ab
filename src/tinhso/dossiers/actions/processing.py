"""Processing along the route: assignment, forwarding with papers, opinions, returning to
an earlier step, the apology with a new appointment (Mẫu 04) and its reminder.
Decree 118/2025/NĐ-CP.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.text import normalize
from tinhso.dossiers import errors, permissions
from tinhso.dossiers.actions._common import (
    TRACKED,
    _check_state,
    _close_step,
    _enter_step,
    _event,
    _forget,
    _locked,
    _may_manage_step,
    _may_perform_step,
    _now,
    _permit,
    _record,
    _steps,
    _store_first,
    _tell_citizen,
    _when,
    current_appointment,
    notify,
)
from tinhso.dossiers.errors import DossierError, NotAllowed
from tinhso.dossiers.models import (
    Apology,
    ApologyReminder,
    Dossier,
    OpinionRequest,
    ProcessingPaper,
    StepRecord,
)
from tinhso.dossiers.uploads import check_file
from tinhso.places.models import Agency


def assign(dossier: Dossier, *, officer: Any, to: Any) -> Dossier:
    """Phân công: the head of the current step's unit gives the step to one official."""
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "assign")
        _may_manage_step(officer, locked)
        refused = permissions.assigning_to(to, locked)
        if refused:
            raise refused
        before = audit.snapshot(locked, TRACKED)
        locked.assignee = to
        locked.save()
        StepRecord.objects.filter(dossier=locked, outcome=StepRecord.Outcome.OPEN).update(
            assignee=to
        )
        _record("assigned", locked, before, officer)
        if to.email:
            notify(
                "email",
                to.email,
                f"Được phân công xử lý hồ sơ {locked.code}",
                f"Hồ sơ {locked.code} ({locked.version.name}) được giao cho Ông/Bà; "
                f"hạn của bước: {_when(locked.step_due_at)}.\n"
                f"{settings.SITE_URL.rstrip('/')}/mot-cua/ho-so/{locked.code}/",
            )
    return locked


@dataclass(frozen=True)
class Paper:
    """A file a performer hands on with the step: `kind` is a `ProcessingPaper.Kind`."""

    kind: str
    filename: str
    content: bytes


def _check_papers(papers: list[Paper]) -> None:
    total = 0
    for paper in papers:
        if paper.kind not in ProcessingPaper.Kind.values:
            raise errors.invalid(errors.PAPER_KIND_INVALID, "papers")
        check_file(paper.filename, paper.content, already_in_dossier=total)
        total += len(paper.content)


def _write_papers(dossier: Dossier, papers: list[Paper], officer: Any) -> list[ProcessingPaper]:
    """The papers' files, written before the transaction (no storage I/O under the lock);
    the rows are saved by `_save_papers` inside it. Each item's `file.name` is its stored
    file, for `_forget` if the transaction fails."""
    items: list[ProcessingPaper] = []
    try:
        for paper in papers:
            name = normalize(paper.filename)[:255] or "tep"
            item = ProcessingPaper(
                dossier=dossier,
                kind=paper.kind,
                original_name=name,
                file_kind=check_file(name, paper.content, already_in_dossier=0),
                size=len(paper.content),
                sha256=hashlib.sha256(paper.content).hexdigest(),
                uploaded_by=officer if getattr(officer, "pk", None) else None,
            )
            item.file.name = _store_first(item, name, paper.content)
            items.append(item)
    except BaseException:
        _forget([item.file.name or "" for item in items])
        raise
    return items


def _save_papers(
    items: list[ProcessingPaper], dossier: Dossier, record: StepRecord | None, now: datetime
) -> None:
    for item in items:
        item.dossier = dossier
        item.step_record = record
        item.uploaded_at = now
        item.save()


def forward(
    dossier: Dossier, *, officer: Any, note: str = "", papers: list[Paper] | None = None
) -> Dossier:
    """Chuyển bước tiếp theo (possibly to another agency: liên thông), with the papers the
    next step reads: the draft result and the appraisal note (hồ sơ trình)."""
    papers = list(papers or [])
    _check_papers(papers)
    items: list[ProcessingPaper] = []
    if papers:  # refused before anything is written (a fresh read, no lock), then the files
        fresh = Dossier.objects.get(pk=dossier.pk)
        _check_state(fresh, "forward")
        _permit(officer, fresh, permissions.forwarding(officer, fresh))
        items = _write_papers(fresh, papers, officer)
    try:
        with transaction.atomic():
            locked = _locked(dossier)
            _check_state(locked, "forward")
            _permit(officer, locked, permissions.forwarding(officer, locked))
            current = locked.current_step.position if locked.current_step else 0
            later = [s for s in _steps(locked) if s.position > current]
            waiting = locked.opinions.filter(answered_at__isnull=True).select_related("agency")
            if waiting:
                names = ", ".join(o.agency.name for o in waiting)
                raise DossierError(
                    errors.OPINIONS_PENDING, _("Còn chờ ý kiến của: %(names)s.") % {"names": names}
                )
            before = audit.snapshot(locked, TRACKED)
            now = _now()
            note = normalize(note)[:2000]
            record = locked.step_records.filter(outcome=StepRecord.Outcome.OPEN).last()
            _save_papers(items, locked, record, now)
            _close_step(locked, StepRecord.Outcome.FORWARDED, now, note, by=officer)
            _enter_step(locked, later[0], now, by=officer)
            locked.save()
            agency = locked.current_agency
            _event(locked, f"Chuyển xử lý: {later[0].name} ({agency.name if agency else ''}).", now)
            _record(
                "forwarded",
                locked,
                before,
                officer,
                note=note,
                papers=[{"kind": p.kind, "name": p.filename} for p in papers] or None,
            )
    except BaseException:
        _forget([item.file.name or "" for item in items])
        raise
    return locked


def request_opinions(
    dossier: Dossier, *, officer: Any, agencies: list[Agency], question: str
) -> list[OpinionRequest]:
    """Xin ý kiến song song: several agencies at once, each due by the current step's due time;
    the step cannot be forwarded until all have answered."""
    question = normalize(question)[:2000]
    if not question:
        raise errors.invalid(errors.QUESTION_REQUIRED, "question")
    if not agencies:
        raise errors.invalid(errors.OPINION_AGENCIES_REQUIRED, "agencies")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "request_opinions")
        _may_perform_step(officer, locked)
        asked = set(
            locked.opinions.filter(answered_at__isnull=True).values_list("agency_id", flat=True)
        )
        if asked & {a.pk for a in agencies} or locked.current_agency_id in {a.pk for a in agencies}:
            raise errors.invalid(errors.OPINION_AGENCY_INVALID, "agencies")
        now = _now()
        due = locked.step_due_at or now
        made = [
            OpinionRequest.objects.create(
                dossier=locked,
                agency=agency,
                question=question,
                requested_by=officer,
                requested_at=now,
                due_at=due,
            )
            for agency in agencies
        ]
        _event(locked, "Xin ý kiến: " + ", ".join(a.name for a in agencies), now)
        audit.record(
            "dossier.opinions_requested",
            locked,
            actor=officer,
            changes={"opinions": [None, [a.code for a in agencies]], "question": question},
        )
    return made


def give_opinion(dossier: Dossier, *, officer: Any, answer: str) -> OpinionRequest:
    """Cho ý kiến: an official of an asked agency answers its open request."""
    answer = normalize(answer)[:4000]
    if not answer:
        raise errors.invalid(errors.ANSWER_REQUIRED, "answer")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "give_opinion")
        mine = permissions.opinion_agencies(officer)
        opinion = (
            locked.opinions.select_for_update()
            .filter(answered_at__isnull=True, agency_id__in=mine)
            .order_by("pk")
            .first()
        )
        if opinion is None:
            _permit(officer, locked, NotAllowed(errors.NOT_CONSULTED))
            raise NotAllowed(errors.NOT_CONSULTED)  # (`_permit` always raises here)
        now = _now()
        opinion.answer = answer
        opinion.answered_by = officer
        opinion.answered_at = now
        opinion.save()
        audit.record(
            "dossier.opinion_given",
            locked,
            actor=officer,
            changes={"opinion": [None, {"agency": opinion.agency.code, "answer": answer}]},
        )
    return opinion


def return_to_step(dossier: Dossier, *, officer: Any, position: int, reason: str) -> Dossier:
    """Trả lại một bước trước (e.g. the leader sends the draft back to the specialist)."""
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.RETURN_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "return_to_step")
        _permit(officer, locked, permissions.returning_to_step(officer, locked))
        current = locked.current_step.position if locked.current_step else 0
        target = next((s for s in _steps(locked) if s.position == position), None)
        if target is None or position >= current:
            raise errors.invalid(errors.RETURN_POSITION_INVALID, "position")
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        _close_step(locked, StepRecord.Outcome.RETURNED, now, reason, by=officer)
        _enter_step(locked, target, now, by=officer)
        locked.save()
        _event(locked, f"Trả lại bước “{target.name}”: {reason}", now)
        _record("returned_to_step", locked, before, officer, reason=reason)
    return locked


def extend(dossier: Dossier, *, officer: Any, reason: str, new_appointment: datetime) -> Apology:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04) from the agency at fault.

    The agency at fault is the current step's agency; it must apologise before the dossier
    becomes late, so a new appointment is refused once the appointment has passed.
    """
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.DELAY_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "extend")
        _may_manage_step(officer, locked)
        now = _now()
        current = current_appointment(locked)
        if current is None or now > current:
            raise DossierError(errors.ALREADY_LATE)
        if new_appointment <= current:
            raise errors.invalid(errors.NEW_APPOINTMENT_TOO_EARLY, "new_appointment")
        before = audit.snapshot(locked, TRACKED)
        apology = Apology.objects.create(
            dossier=locked,
            agency=locked.current_agency or locked.agency,
            reason=reason,
            previous_appointment=current,
            new_appointment=new_appointment,
            created_by=officer,
            created_at=now,
        )
        if locked.step_due_at and locked.step_due_at < new_appointment:
            locked.due_at = new_appointment
            locked.save()
        _event(locked, f"Xin lỗi và hẹn lại ngày trả kết quả: {_when(new_appointment)}.", now)
        _record(
            "extended",
            locked,
            before,
            officer,
            apology={"agency": apology.agency.code, "new": new_appointment.isoformat()},
            reason=reason,
        )
        _tell_citizen(
            locked,
            f"Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {locked.code}",
            [
                f"{apology.agency.name} xin lỗi Ông/Bà vì hồ sơ chậm: {reason}",
                f"Ngày hẹn trả kết quả mới: {_when(new_appointment)}.",
            ],
        )
    return apology


def remind_apologies(now: datetime | None = None) -> list[ApologyReminder]:
    """Ask the agency at fault for its apology before a dossier becomes late (Decree
    118/2025: the agency that causes the delay apologises and sets a new appointment).

    Runs periodically (`dossiers/jobs.py`). The leaders and heads of the agency at fault get
    one e-mail per dossier and appointment; a new appointment after an apology starts over.
    """
    from django.db.models import Q

    from tinhso.dossiers import queries
    from tinhso.people.models import RoleAssignment

    now = now or _now()
    # The warning is in working hours; three weeks of calendar covers it across Tết.
    horizon = now + timedelta(days=21)
    candidates = Dossier.objects.filter(state=Dossier.State.RECEIVED).filter(
        Q(appointment_at__lte=horizon) | Q(step_due_at__lte=now)
    )
    sent = []
    for dossier in candidates.select_related("version", "current_agency").iterator():
        agency = queries.apology_due(dossier, now)
        appointment = current_appointment(dossier)
        if agency is None or appointment is None:
            continue
        with transaction.atomic():
            reminder, created = ApologyReminder.objects.get_or_create(
                dossier=dossier,
                agency=agency,
                appointment=appointment,
                defaults={"sent_at": now},
            )
            if not created:
                continue
            emails = sorted(
                set(
                    RoleAssignment.objects.filter(
                        agency=agency, role__in=permissions.MANAGING_ROLES
                    )
                    .exclude(user__email="")
                    .values_list("user__email", flat=True)
                )
            )
            subject = f"Cần xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier.code}"
            body = (
                f"Hồ sơ {dossier.code} hẹn trả kết quả {_when(appointment)} có nguy cơ trễ hạn "
                f"tại {agency.name}. Theo quy định, cơ quan gây chậm phải có Phiếu xin lỗi và "
                "hẹn lại ngày trả kết quả (Mẫu 04) trước khi hồ sơ quá hạn."
            )
            for email in emails:
                notify("email", email, subject, body)
            audit.record(
                "dossier.apology_requested",
                dossier,
                actor=None,
                changes={
                    "agency": [None, agency.code],
                    "appointment": [None, appointment],
                    "notified": [None, emails],
                },
            )
        sent.append(reminder)
    return sent
