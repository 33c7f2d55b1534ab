"""Incoming documents (văn bản đến, Decree 30/2020/NĐ-CP Điều 20–23): registration or
rejection, paper documents scanned at the desk, assignment with a deadline in working days,
progress and completion, the answer to a sender's recall or update, and links to related
documents and one-stop dossiers. Each step tells the sender its status (Điều 21.2).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from tinhso.core import audit
from tinhso.core.calendar import current_calendar
from tinhso.core.text import normalize, normalize_block
from tinhso.documents import edxml, errors, numbering, permissions
from tinhso.documents.actions._common import (
    PDF,
    _file,
    _index,
    _local,
    _locked,
    _now,
    _refuse,
    _replace_main,
    _transition,
)
from tinhso.documents.actions.exchange import _send_status
from tinhso.documents.actions.registers import issue_number
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import (
    Assignment,
    Direction,
    Document,
    DocumentFile,
    Progress,
    StatusEvent,
)
from tinhso.documents.queries import visible_documents
from tinhso.places.models import Agency


def _report_to_sender(doc: Document, code: str, description: str) -> None:
    if doc.sender_code and doc.exchange_id:
        _send_status(doc, code, description, to=doc.sender_code)


def register_incoming(document: Document, *, actor: Any) -> Document:
    """Vào sổ văn bản đến: the next số đến of the agency's incoming register; status 03."""
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.registering, actor, doc)
        issued = issue_number(
            doc.agency,
            _local(_now()).year,
            Direction.INCOMING,
            secret=bool(doc.secrecy),
            document=doc,
            actor=actor,
        )
        doc.register, doc.register_number, doc.registered_at = (
            issued.register,
            issued.number,
            _now(),
        )
        doc.save(update_fields=["register", "register_number", "registered_at"])
        _transition(
            doc, {Document.State.RECEIVED}, Document.State.REGISTERED, "documents.register", actor
        )
        _report_to_sender(doc, StatusEvent.Code.ACCEPTED, "Đã tiếp nhận, vào sổ văn bản đến")
    return doc


def reject_incoming(document: Document, *, reason: str, actor: Any) -> Document:
    """Từ chối tiếp nhận (status 02), with the reason."""
    reason = normalize(reason).strip()
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.rejecting, actor, doc)
        if not reason:
            raise errors.invalid(errors.REASON_REQUIRED, "reason", "Cần ghi lý do từ chối.")
        _transition(
            doc, {Document.State.RECEIVED}, Document.State.REJECTED, "documents.reject", actor
        )
        _report_to_sender(doc, StatusEvent.Code.REJECTED, reason)
    return doc


def record_paper_document(
    agency: Agency,
    *,
    doc_type: str,
    subject: str,
    number_and_notation: str,
    sender_name: str,
    document_date: date | None,
    pdf: bytes,
    actor: Any,
) -> Document:
    """A paper document, scanned and uploaded by the clerk (state: received)."""
    if actor is not None:
        _refuse(permissions.recording_paper(actor, agency))
    subject = normalize(subject).strip()
    if not subject:
        raise errors.invalid(errors.SUBJECT_REQUIRED, "subject")
    if not pdf.startswith(b"%PDF-"):
        raise errors.invalid(errors.NOT_A_PDF, "scan", "Bản quét phải là tệp PDF.")
    try:
        parsed = numbering.parse(normalize(number_and_notation))
    except numbering.NotationError as exc:
        raise errors.invalid(errors.BAD_NOTATION, "number_and_notation", str(exc)) from None
    with transaction.atomic():
        doc = Document.objects.create(
            agency=agency,
            direction=Direction.INCOMING,
            state=Document.State.RECEIVED,
            channel=Document.Channel.PAPER,
            doc_type=doc_type if doc_type in numbering.DOCUMENT_TYPES else "CV",
            subject=subject,
            number=parsed.number[:20],
            notation=parsed.notation[:60],
            document_date=document_date,
            sender_name=normalize(sender_name)[:300],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        _file(doc, DocumentFile.Kind.MAIN, f"ban-quet-{doc.pk}.pdf", PDF, pdf)
        _index(doc)
        doc.save(update_fields=["subject_key", "search_text"])
        audit.record("documents.receive_paper", doc, actor=actor)
    return doc


def assign(
    document: Document,
    *,
    instruction: str,
    days: int,
    unit: Agency | None = None,
    assignee: Any = None,
    actor: Any,
) -> Assignment:
    """The leader assigns the document with instructions and a deadline in working days."""
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.assigning, actor, doc)
        if unit is None and assignee is None:
            raise errors.invalid(errors.ASSIGNEE_REQUIRED, "unit_code")
        if unit is not None and unit.pk != doc.agency_id and unit.parent_id != doc.agency_id:
            raise errors.invalid(errors.UNKNOWN_UNIT, "unit_code")
        if assignee is not None and not permissions.may_be_assigned(assignee, doc.agency):
            raise errors.invalid(errors.UNKNOWN_OFFICIAL, "assignee", username=assignee.username)
        if days < 1:
            raise errors.invalid(errors.BAD_DAYS, "days")
        deadline = current_calendar().add_working_time(_now(), days=days)
        item = Assignment.objects.create(
            document=doc,
            unit=unit,
            assignee=assignee,
            instruction=normalize(instruction),
            deadline=deadline,
            assigned_by=actor if getattr(actor, "pk", None) else None,
        )
        if doc.state == Document.State.REGISTERED:
            _transition(
                doc, {Document.State.REGISTERED}, Document.State.ASSIGNED, "documents.assign", actor
            )
            _report_to_sender(doc, StatusEvent.Code.ASSIGNED, "Đã phân công xử lý")
        audit.record(
            "documents.assignment.create",
            item,
            changes={"deadline": [None, deadline.isoformat()]},
            actor=actor,
        )
    return item


may_record_progress = permissions.may_record_progress


def record_progress(
    document: Document, *, note: str, actor: Any, assignment: Assignment | None = None
) -> Progress:
    """Ghi tiến độ xử lý on an open assignment of the document (the actor's own when none is
    given, or the only open one for a leader); the assignment becomes PROGRESS.

    The first progress on a document tells the sender status 05 "Đang xử lý" (QCVN 102:2016);
    the note itself is internal and is not sent, and later notes send nothing more.
    """
    note = normalize_block(note)
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.recording_progress, actor, doc)
        if not note:
            raise errors.invalid(errors.NOTE_REQUIRED, "note")
        if len(note) > 5_000:
            raise errors.invalid(errors.NOTE_TOO_LONG, "note")
        active = doc.assignments.filter(state__in=Assignment.ACTIVE).select_related(
            "unit", "document__agency"
        )
        if assignment is not None:
            item = active.filter(pk=assignment.pk).first()
            if item is None:
                raise DocumentError(errors.ASSIGNMENT_CLOSED)
        else:
            mine = [a for a in active if a.assignee_id == getattr(actor, "pk", None)]
            mine = mine or [
                a for a in active if a.unit is not None and may_record_progress(actor, a)
            ]
            if not mine and len(active) == 1:
                mine = list(active)
            if len(mine) != 1:
                raise errors.invalid(errors.ASSIGNMENT_REQUIRED, "assignment_id")
            item = mine[0]
        if not may_record_progress(actor, item):
            raise DocumentError(errors.NOT_HANDLER)
        entry = Progress.objects.create(assignment=item, note=note, author=actor, at=_now())
        if item.state == Assignment.State.OPEN:
            item.state = Assignment.State.PROGRESS
            item.save(update_fields=["state"])
        audit.record(
            "documents.progress",
            item,
            changes={"state": [None, item.state], "progress": [None, entry.pk]},
            actor=actor,
        )
        first = not doc.statuses.filter(outgoing=True, code=StatusEvent.Code.PROCESSING).exists()
        if first:
            _report_to_sender(doc, StatusEvent.Code.PROCESSING, "Đang xử lý")
    return entry


def finish(document: Document, *, result: str, actor: Any) -> Document:
    """Hoàn thành xử lý (status 06); open assignments are closed with the result."""
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.finishing, actor, doc)
        now = _now()
        doc.assignments.filter(state__in=Assignment.ACTIVE).update(
            state=Assignment.State.DONE, completed_at=now, result=normalize(result)
        )
        _transition(
            doc,
            {Document.State.REGISTERED, Document.State.ASSIGNED},
            Document.State.FINISHED,
            "documents.finish",
            actor,
        )
        _report_to_sender(doc, StatusEvent.Code.FINISHED, "Hoàn thành xử lý")
    return doc


def answer_change(document: Document, *, accept: bool, actor: Any) -> Document:
    """The clerk answers a recall or update from the sender: 15 (agree) or 16 (refuse).

    Agreeing to a recall or revoke marks the document recalled; agreeing to an update or
    replacement takes the new files from the message.
    """
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.answering_change, actor, doc)
        change = doc.pending_change
        before = audit.snapshot(doc, ["state", "pending_change"])
        if accept and change in ("recall", "revoke"):
            doc.state = Document.State.RECALLED
        elif accept and change in ("update", "replace") and doc.pending_message is not None:
            message = edxml.parse(bytes(doc.pending_message.data))
            assert isinstance(message, edxml.Message)
            if message.attachments:
                _replace_main(doc, message.attachments[0].data)
        doc.pending_change = ""
        doc.pending_message = None
        doc.save(update_fields=["state", "pending_change", "pending_message", "updated_at"])
        audit.record(
            "documents.change.answer",
            doc,
            changes=audit.diff(before, audit.snapshot(doc, ["state", "pending_change"])),
            actor=actor,
        )
        code = StatusEvent.Code.CHANGE_ACCEPTED if accept else StatusEvent.Code.CHANGE_REJECTED
        _report_to_sender(doc, code, "Đồng ý" if accept else "Từ chối")
    return doc


def related_document(user: Any, pk: int) -> Document:
    """The document to link to, if `user` sees it (a refusal on `related_id` otherwise)."""
    related = visible_documents(user).filter(pk=pk).first()
    if related is None:
        raise errors.invalid(errors.RELATED_NOT_FOUND, "related_id")
    return related


def link(
    document: Document,
    *,
    related: Document | None = None,
    dossier_code: str = "",
    actor: Any,
) -> Document:
    """Liên kết: a related document of the same agency, or a one-stop dossier by its code."""
    dossier_code = normalize(dossier_code).strip()
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.linking, actor, doc)
        if related is None and not dossier_code:
            raise errors.invalid(errors.LINK_REQUIRED, "related_id")
        if related is not None and (related.pk == doc.pk or related.agency_id != doc.agency_id):
            raise errors.invalid(errors.LINK_OTHER_AGENCY, "related_id")
        changes: dict[str, Any] = {}
        if related is not None:
            doc.related.add(related)
            changes["related"] = [None, related.pk]
        if dossier_code and dossier_code not in doc.dossier_codes:
            doc.dossier_codes = [*doc.dossier_codes, dossier_code[:40]]
            doc.save(update_fields=["dossier_codes"])
            changes["dossier_codes"] = [None, dossier_code[:40]]
        audit.record("documents.link", doc, changes=changes, actor=actor)
    return doc
