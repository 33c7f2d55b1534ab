"""Drafts and their review (dự thảo, trình duyệt): create a draft from an uploaded PDF or DOCX
or from the agency template, revise it (earlier files kept as versions), submit it to the
ordered reviewers ending with the competent signer, approve or return it (Decree
30/2020/NĐ-CP, drafting and approval before signature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tinhso.core import audit
from tinhso.core.text import normalize, normalize_block
from tinhso.documents import convert, errors, numbering, permissions, rendering
from tinhso.documents.actions._common import (
    PDF,
    _file,
    _index,
    _local,
    _locked,
    _notation,
    _now,
    _refuse,
    _refuse_active_content,
    _transition,
)
from tinhso.documents.models import (
    Direction,
    Document,
    DocumentFile,
    Recipient,
    ReviewStep,
    Urgency,
)
from tinhso.places.models import Agency


@dataclass(frozen=True)
class RecipientSpec:
    organ_id: str
    name: str


def create_draft(
    agency: Agency,
    *,
    doc_type: str,
    subject: str,
    content: str = "",
    unit: str = "",
    urgency: str = Urgency.NORMAL,
    secrecy: str = "",
    signer: Any = None,
    signer_position: str = "",
    place: str = "",
    recipients: list[RecipientSpec] | None = None,
    pdf: bytes | None = None,
    docx: bytes | None = None,
    file_name: str = "",
    actor: Any,
) -> Document:
    """Dự thảo: from an uploaded PDF or DOCX, or rendered from the agency template.

    A DOCX is converted to PDF with LibreOffice (`convert.docx_to_pdf`, before the
    transaction: a failed conversion saves nothing) and kept as the editable source file.
    `actor=None` is the platform itself (a command, the demo data): no drafter is recorded.
    """
    if actor is not None:
        _refuse(permissions.creating_draft(actor, agency, signer))
    elif signer is not None and not permissions.may_sign(signer, agency):
        raise errors.invalid(errors.SIGNER_NOT_LEADER, "signer_username")
    subject = normalize(subject).strip()
    if not subject:
        raise errors.invalid(errors.SUBJECT_REQUIRED, "subject")
    if doc_type not in numbering.DOCUMENT_TYPES:
        raise errors.invalid(errors.BAD_DOC_TYPE, "doc_type")
    if pdf is not None and docx is not None:
        raise errors.invalid(errors.ONE_FILE, "file")
    if pdf is not None and not pdf.startswith(b"%PDF-"):
        raise errors.invalid(errors.NOT_A_PDF, "file", "Tệp dự thảo phải là tệp PDF.")
    _notation(doc_type, agency, unit)  # refuses a bad unit
    recipients = recipients or []
    if docx is not None:
        pdf = _convert(docx)
    if pdf is not None:
        _refuse_active_content(pdf)
    with transaction.atomic():
        doc = Document.objects.create(
            agency=agency,
            direction=Direction.OUTGOING,
            state=Document.State.DRAFT,
            doc_type=doc_type,
            subject=subject,
            content=normalize(content),
            unit=unit,
            urgency=urgency,
            secrecy=secrecy,
            signer=signer,
            signer_name=getattr(signer, "full_name", "") or "",
            signer_position=normalize(signer_position),
            place=normalize(place),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        if pdf is None:
            draft = rendering.Draft(
                agency_name=agency.name,
                parent_name=agency.parent.name if agency.parent else "",
                number_line=f"Số: /{numbering.notation(doc_type, agency.short_name, unit)}",
                place=doc.place,
                day=_local(_now()).date(),
                type_name=numbering.type_name(doc_type) if doc_type != "CV" else "",
                subject=subject,
                content=doc.content,
                signer_position=doc.signer_position,
                signer_name=doc.signer_name,
                recipients=tuple(r.name for r in recipients),
            )
            pdf = rendering.render_pdf(draft)
        stem = _stem(file_name) or f"du-thao-{doc.pk}"
        _file(doc, DocumentFile.Kind.MAIN, f"{stem}.pdf", PDF, pdf)
        if docx is not None:
            _file(doc, DocumentFile.Kind.SOURCE, f"{stem}.docx", convert.DOCX, docx)
        for r in recipients:
            Recipient.objects.create(document=doc, organ_id=r.organ_id, name=normalize(r.name))
        _index(doc)
        doc.save(update_fields=["subject_key", "search_text"])
        audit.record("documents.draft.create", doc, actor=actor)
    return doc


def _stem(file_name: str) -> str:
    """The uploaded file's name without folder and extension (kept for the stored files)."""
    name = normalize(file_name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem = name.rsplit(".", 1)[0] if name.lower().endswith((".pdf", ".docx")) else name
    return stem[:200]


def _convert(docx: bytes) -> bytes:
    try:
        return convert.docx_to_pdf(docx)
    except convert.ToolUnavailable as exc:
        raise errors.invalid(errors.DOCX_UNAVAILABLE, "file", str(exc)) from None
    except convert.ConversionError as exc:
        raise errors.invalid(errors.DOCX_UNREADABLE, "file", str(exc)) from None


#
# The drafter submits to an ordered list of reviewers ending with the competent signer;
# each reviewer approves (the next one's turn) or returns with a comment (back to the
# drafter, who revises and resubmits: a new round from the first reviewer). The last
# approval makes the draft APPROVED, the only state `sign_document` accepts.


current_step = permissions.current_step


def _reviewers_of_last_round(doc: Document) -> list[Any]:
    last = doc.review_steps.order_by("-round").values_list("round", flat=True).first()
    if last is None:
        return []
    steps = doc.review_steps.filter(round=last).select_related("reviewer").order_by("position")
    return [step.reviewer for step in steps]


def submit_draft(document: Document, *, reviewers: list[Any] | None = None, actor: Any) -> Document:
    """Trình duyệt: the drafter sends the draft to `reviewers`, in order.

    The chain always ends with the competent signer (appended when missing). Without
    `reviewers`, a resubmission goes to the previous round's reviewers. Each reviewer must be
    a head of unit or a leader of the agency, listed once.
    """
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.submitting, actor, doc)
        chain = list(reviewers) if reviewers else _reviewers_of_last_round(doc)
        if doc.signer is not None and (not chain or chain[-1].pk != doc.signer_id):
            chain = [r for r in chain if r.pk != doc.signer_id] + [doc.signer]
        if not chain:
            raise errors.invalid(errors.REVIEWERS_REQUIRED, "reviewer_usernames")
        if len({r.pk for r in chain}) != len(chain):
            raise errors.invalid(errors.REVIEWER_TWICE, "reviewer_usernames")
        for reviewer in chain:
            if not permissions.may_review(reviewer, doc.agency):
                name = getattr(reviewer, "full_name", "") or reviewer.username
                raise errors.invalid(errors.REVIEWER_NOT_ELIGIBLE, "reviewer_usernames", name=name)
        last = doc.review_steps.order_by("-round").values_list("round", flat=True).first()
        round_number = (last or 0) + 1
        for position, reviewer in enumerate(chain, start=1):
            ReviewStep.objects.create(
                document=doc,
                round=round_number,
                position=position,
                reviewer=reviewer,
                submitted_by=actor if getattr(actor, "pk", None) else None,
            )
        _transition(
            doc, {Document.State.DRAFT}, Document.State.IN_REVIEW, "documents.draft.submit", actor
        )
        audit.record(
            "documents.review.start",
            doc,
            changes={"round": [None, round_number], "reviewers": [None, [r.pk for r in chain]]},
            actor=actor,
        )
    return doc


def approve_draft(document: Document, *, actor: Any, comment: str = "") -> Document:
    """Duyệt dự thảo: the current reviewer passes the draft to the next one; the last
    approval (the competent signer's) makes it APPROVED, ready to sign.

    A draft that was never submitted may be approved directly by its competent signer (a
    one-step chain, recorded as such): drafting and approving by the signer in one go.
    """
    comment = normalize_block(comment)[:5_000]
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.approving, actor, doc)
        allowed: set[str] = {Document.State.IN_REVIEW}
        if permissions.is_direct_approval(doc):
            ReviewStep.objects.create(document=doc, round=1, position=1, reviewer=actor)
            allowed = {Document.State.DRAFT}
        step = current_step(doc)
        assert step is not None  # the rule found the actor's pending step
        step.state = ReviewStep.State.APPROVED
        step.comment = comment
        step.acted_at = _now()
        step.save(update_fields=["state", "comment", "acted_at"])
        audit.record(
            "documents.review.approve",
            doc,
            changes={"round": [None, step.round], "position": [None, step.position]},
            actor=actor,
        )
        if current_step(doc) is None:
            _transition(doc, allowed, Document.State.APPROVED, "documents.draft.approve", actor)
    return doc


def return_draft(document: Document, *, comment: str, actor: Any) -> Document:
    """Trả lại: the current reviewer sends the draft back to the drafter with a comment; the
    later steps of the round are skipped. The drafter revises and resubmits."""
    comment = normalize_block(comment)
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.returning, actor, doc)
        if not comment:
            raise errors.invalid(errors.COMMENT_REQUIRED, "comment")
        step = current_step(doc)
        assert step is not None  # the rule found the actor's pending step
        now = _now()
        step.state = ReviewStep.State.RETURNED
        step.comment = comment[:5_000]
        step.acted_at = now
        step.save(update_fields=["state", "comment", "acted_at"])
        doc.review_steps.filter(round=step.round, state=ReviewStep.State.PENDING).update(
            state=ReviewStep.State.SKIPPED, acted_at=now
        )
        audit.record(
            "documents.review.return",
            doc,
            changes={"round": [None, step.round], "comment": [None, step.comment]},
            actor=actor,
        )
        _transition(
            doc, {Document.State.IN_REVIEW}, Document.State.DRAFT, "documents.draft.return", actor
        )
    return doc


def revise_draft(
    document: Document,
    *,
    pdf: bytes | None = None,
    docx: bytes | None = None,
    file_name: str = "",
    subject: str = "",
    actor: Any,
) -> Document:
    """Sửa dự thảo: the drafter uploads a new version (PDF or DOCX) of a draft that is not
    under review. The current main and source files become earlier versions (kept)."""
    permissions.require(permissions.revising, actor, document)  # before converting; again below
    if (pdf is None) == (docx is None):
        raise errors.invalid(errors.FILE_REQUIRED, "file")
    if pdf is not None and not pdf.startswith(b"%PDF-"):
        raise errors.invalid(errors.NOT_A_PDF, "file", "Tệp dự thảo phải là tệp PDF.")
    subject = normalize(subject).strip()
    if docx is not None:
        pdf = _convert(docx)
    assert pdf is not None
    _refuse_active_content(pdf)
    with transaction.atomic():
        doc = _locked(document)
        permissions.require(permissions.revising, actor, doc)
        version = doc.files.filter(kind=DocumentFile.Kind.VERSION).count() + 1
        for old in doc.files.filter(kind__in=[DocumentFile.Kind.MAIN, DocumentFile.Kind.SOURCE]):
            old.kind = DocumentFile.Kind.VERSION
            old.save(update_fields=["kind"])
        stem = _stem(file_name) or f"du-thao-{doc.pk}-v{version + 1}"
        _file(doc, DocumentFile.Kind.MAIN, f"{stem}.pdf", PDF, pdf)
        if docx is not None:
            _file(doc, DocumentFile.Kind.SOURCE, f"{stem}.docx", convert.DOCX, docx)
        changes: dict[str, Any] = {"file": [None, f"{stem}.pdf"]}
        if subject and subject != doc.subject:
            changes["subject"] = [doc.subject, subject]
            doc.subject = subject[:1000]
        _index(doc)
        doc.save(update_fields=["subject", "subject_key", "search_text", "updated_at"])
        audit.record("documents.draft.revise", doc, changes=changes, actor=actor)
    return doc
