"""/api/v1/documents: the edXML receiving endpoint and officials' document operations.

Legal source: QCVN 102:2016/BTTTT (receiving edXML, answering with a status message);
Decree 30/2020/NĐ-CP Điều 20–23 (registering and handling incoming documents).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from tinhso.core.middleware import client_address
from tinhso.documents import actions, convert, errors, reports, throttle
from tinhso.documents.models import Document, Progress, StatusEvent, Urgency
from tinhso.documents.queries import access_document, review_history, search, visible_documents
from tinhso.people.models import Role, User
from tinhso.people.queries import has_role
from tinhso.people.security import signed_in
from tinhso.places.models import Agency

router = Router(tags=["documents"])

MAX_PACKAGE_BYTES = 50 * 1024 * 1024


class DocumentOut(Schema):
    id: int
    direction: str
    state: str
    number_and_notation: str
    register_number: int | None
    subject: str
    doc_type: str
    agency_code: str
    sender_code: str
    exchange_id: str
    document_date: date | None


class RefusalOut(Schema):
    """A refusal (403, 404, 409): its stable code and the reason, in Vietnamese."""

    code: str
    message: str
    detail: str


class FieldProblem(Schema):
    loc: list[str]
    field: str
    msg: str
    type: str


class InvalidOut(Schema):
    """Input to correct (422): one entry per field."""

    code: str = ""
    message: str = ""
    detail: list[FieldProblem]


class SignIn(Schema):
    pin: str = Field("", max_length=64, description="PIN of the signer's USB token, if any.")


class AssignIn(Schema):
    instruction: str = ""
    days: int
    unit_code: str = ""


class FinishIn(Schema):
    result: str = ""


class DocumentReasonIn(Schema):
    reason: str = Field("", max_length=1000)


class AnswerIn(Schema):
    accept: bool


class ProgressIn(Schema):
    note: str = Field(max_length=5000)
    assignment_id: int | None = None


class ProgressOut(Schema):
    id: int
    assignment_id: int
    assignment_state: str
    note: str
    author_username: str
    author_name: str
    at: datetime


class RecipientIn(Schema):
    organ_id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=300)


class DraftIn(Schema):
    agency_code: str
    doc_type: str
    subject: str = Field(min_length=1, max_length=1000)
    content: str = ""
    unit: str = ""
    urgency: Urgency = Urgency.NORMAL
    signer_username: str
    signer_position: str = ""
    place: str = ""
    recipients: list[RecipientIn] = []


class LinkIn(Schema):
    related_id: int | None = None
    dossier_code: str = ""


class FiguresOut(Schema):
    received: int
    sent: int
    electronic_share: float
    signed_share: float
    average_handling_days: float | None
    overdue: int


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _out(doc: Document) -> DocumentOut:
    return DocumentOut(
        id=doc.pk,
        direction=doc.direction,
        state=doc.state,
        number_and_notation=doc.number_and_notation,
        register_number=doc.register_number,
        subject=doc.subject,
        doc_type=doc.doc_type,
        agency_code=doc.agency.code,
        sender_code=doc.sender_code,
        exchange_id=doc.exchange_id,
        document_date=doc.document_date,
    )


@router.post(
    "/documents/edxml",
    summary="Receive an edXML package or status message (QCVN 102:2016)",
    openapi_extra={"requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}}},
)
def receive(request: HttpRequest) -> HttpResponse:
    """Answers with a status message: 01 when the message arrived, 02 with the reason (signed
    only for a partner whose signature verified). Over the per-minute limit of the client
    address, or of the partner: 429 with `Retry-After`, nothing read further or signed."""
    try:
        throttle.admit_address(client_address(request))
    except throttle.TooManyRequests as exc:
        return _too_many(exc)
    # Read the stream ourselves: `request.body` stops at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB),
    # and packages with attachments are larger.
    data = request.read(MAX_PACKAGE_BYTES + 1)
    if len(data) > MAX_PACKAGE_BYTES:
        receipt = actions.Receipt(StatusEvent.Code.REJECTED, "Gói tin quá lớn.")
    else:
        try:
            receipt = actions.receive_package(data)
        except throttle.TooManyRequests as exc:
            return _too_many(exc)
    body = actions.answer(receipt, data)
    status = 200 if receipt.code != StatusEvent.Code.REJECTED else 400
    return HttpResponse(body, status=status, content_type="application/xml; charset=utf-8")


def _too_many(exc: throttle.TooManyRequests) -> HttpResponse:
    """429 in the shape of the API's other rate limits (`rate_limited`), with `Retry-After`."""
    message = gettext("Quá nhiều yêu cầu gửi gói tin; vui lòng thử lại sau %(seconds)d giây.") % {
        "seconds": exc.retry_after
    }
    response = JsonResponse({"detail": message, "code": "rate_limited"}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


# The list answers at most this many documents, best match first.
LIST_LENGTH = 200


@router.get("/documents", response=list[DocumentOut], auth=signed_in)
def list_documents(
    request: HttpRequest,
    q: str = "",
    doc_type: str = "",
    direction: str = "",
    state: str = "",
    agency_code: str = "",
    register_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[DocumentOut]:
    """Best match first when `q` is given (newest first otherwise); the period is the
    document's date (or the day a draft was created)."""
    agency = Agency.objects.filter(code=agency_code).first() if agency_code else None
    if agency_code and agency is None:
        return []
    docs = search(
        visible_documents(_user(request)),
        q,
        doc_type=doc_type,
        direction=direction,
        state=state,
        agency_id=agency.pk if agency else None,
        register_id=register_id,
        date_from=date_from,
        date_to=date_to,
        first=LIST_LENGTH,  # only the answered ones are ranked (all that may precede them)
    ).select_related("agency")[:LIST_LENGTH]
    return [_out(d) for d in docs]


# What each endpoint can answer besides its success (the API's one handler turns a refusal
# into its code's status: tinhso.api.main).
NOT_FOUND = {404: RefusalOut}
ACTS = {403: RefusalOut, 404: RefusalOut, 409: RefusalOut, 422: InvalidOut}
RESPONSES = {200: DocumentOut, **ACTS}


@router.get("/documents/{int:doc_id}", response={200: DocumentOut, **NOT_FOUND}, auth=signed_in)
def get_document(request: HttpRequest, doc_id: int) -> Any:
    return _out(access_document(_user(request), doc_id))


def _act(request: HttpRequest, doc_id: int, fn: Callable[[Document], Document]) -> DocumentOut:
    """Load the document within the person's reach, call one action (it decides who may,
    `documents.permissions`), serialise. A refusal goes to the API's one handler."""
    return _out(fn(access_document(_user(request), doc_id)))


@router.post("/documents/{int:doc_id}/register", response=RESPONSES, auth=signed_in)
def register(request: HttpRequest, doc_id: int) -> Any:
    return _act(request, doc_id, lambda d: actions.register_incoming(d, actor=_user(request)))


@router.post("/documents/{int:doc_id}/assign", response=RESPONSES, auth=signed_in)
def assign(request: HttpRequest, doc_id: int, body: AssignIn) -> Any:
    unit = Agency.objects.filter(code=body.unit_code).first() if body.unit_code else None
    if body.unit_code and unit is None:
        raise errors.invalid(errors.UNKNOWN_UNIT, "unit_code")

    def run(doc: Document) -> Document:
        actions.assign(
            doc,
            instruction=body.instruction,
            days=body.days,
            unit=unit or doc.agency,
            actor=_user(request),
        )
        doc.refresh_from_db()
        return doc

    return _act(request, doc_id, run)


@router.post("/documents/{int:doc_id}/finish", response=RESPONSES, auth=signed_in)
def finish(request: HttpRequest, doc_id: int, body: FinishIn) -> Any:
    return _act(
        request,
        doc_id,
        lambda d: actions.finish(d, result=body.result, actor=_user(request)),
    )


@router.post(
    "/documents/{int:doc_id}/reject",
    response=RESPONSES,
    auth=signed_in,
    summary="Refuse a received document (status 02 to the sender, with the reason)",
)
def reject(request: HttpRequest, doc_id: int, body: DocumentReasonIn) -> Any:
    return _act(
        request,
        doc_id,
        lambda d: actions.reject_incoming(d, reason=body.reason, actor=_user(request)),
    )


@router.post(
    "/documents/{int:doc_id}/answer-change",
    response=RESPONSES,
    auth=signed_in,
    summary="Answer the sender's recall, revoke, update or replace: 15 (agree) or 16 (refuse)",
)
def answer_change(request: HttpRequest, doc_id: int, body: AnswerIn) -> Any:
    return _act(
        request,
        doc_id,
        lambda d: actions.answer_change(d, accept=body.accept, actor=_user(request)),
    )


@router.post(
    "/documents/{int:doc_id}/recall",
    response=RESPONSES,
    auth=signed_in,
    summary="Withdraw an issued document from its recipients (status 13)",
)
def recall(request: HttpRequest, doc_id: int, body: DocumentReasonIn) -> Any:
    return _act(
        request,
        doc_id,
        lambda d: actions.recall_document(d, reason=body.reason, actor=_user(request)),
    )


def _progress_out(entry: Progress) -> ProgressOut:
    return ProgressOut(
        id=entry.pk,
        assignment_id=entry.assignment_id,
        assignment_state=entry.assignment.state,
        note=entry.note,
        author_username=entry.author.username,
        author_name=entry.author.full_name,
        at=entry.at,
    )


@router.get(
    "/documents/{int:doc_id}/progress",
    response={200: list[ProgressOut], **NOT_FOUND},
    auth=signed_in,
    summary="The progress notes recorded on a document's assignments, oldest first",
)
def progress(request: HttpRequest, doc_id: int) -> Any:
    doc = access_document(_user(request), doc_id)
    entries = (
        Progress.objects.filter(assignment__document=doc)
        .select_related("author", "assignment")
        .order_by("at", "id")
    )
    return [_progress_out(e) for e in entries]


@router.post(
    "/documents/{int:doc_id}/progress",
    response={201: ProgressOut, **ACTS},
    auth=signed_in,
    summary="Record progress on an assignment (the assignee, its unit, or a leader); "
    "the first one reports status 05 to the sender",
)
def record_progress(request: HttpRequest, doc_id: int, body: ProgressIn) -> Any:
    user = _user(request)
    doc = access_document(user, doc_id)
    chosen = None
    if body.assignment_id is not None:
        chosen = doc.assignments.filter(pk=body.assignment_id).first()
        if chosen is None:
            raise errors.invalid(errors.UNKNOWN_ASSIGNMENT, "assignment_id")
    entry = actions.record_progress(doc, note=body.note, assignment=chosen, actor=user)
    return Status(201, _progress_out(entry))


def _agency(agency_code: str) -> Agency:
    agency = Agency.objects.filter(code=agency_code, is_active=True).first()
    if agency is None:
        raise errors.invalid(errors.UNKNOWN_AGENCY, "agency_code")
    return agency


def _official(username: str, field: str) -> User:
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise errors.invalid(errors.UNKNOWN_OFFICIAL, field, username=username)
    return found


@router.post(
    "/documents/drafts",
    response={201: DocumentOut, **ACTS},
    auth=signed_in,
    summary="Create a draft from the agency template",
)
def create_draft(request: HttpRequest, body: DraftIn) -> Any:
    user = _user(request)
    agency = _agency(body.agency_code)
    doc = actions.create_draft(
        agency,
        doc_type=body.doc_type,
        subject=body.subject,
        content=body.content,
        unit=body.unit,
        urgency=body.urgency,
        signer=_official(body.signer_username, "signer_username"),
        signer_position=body.signer_position,
        place=body.place,
        recipients=[actions.RecipientSpec(r.organ_id, r.name) for r in body.recipients],
        actor=user,
    )
    return Status(201, _out(doc))


@router.post(
    "/documents/drafts/upload",
    response={201: DocumentOut, **ACTS},
    auth=signed_in,
    summary="Create a draft from an uploaded PDF or DOCX (multipart form)",
)
def upload_draft(
    request: HttpRequest,
    agency_code: Form[str],
    doc_type: Form[str],
    subject: Form[str],
    signer_username: Form[str],
    file: File[UploadedFile],
    unit: Form[str] = "",
    signer_position: Form[str] = "",
    place: Form[str] = "",
) -> Any:
    """A DOCX is converted to PDF (LibreOffice) and kept as the editable source."""
    user = _user(request)
    agency = _agency(agency_code)
    signer = _official(signer_username, "signer_username")
    if len(subject) > 1000:
        raise errors.invalid(
            errors.SUBJECT_REQUIRED, "subject", "Cần nhập trích yếu văn bản (tối đa 1000 ký tự)."
        )
    pdf, docx = _read_draft_file(file)
    doc = actions.create_draft(
        agency,
        doc_type=doc_type,
        subject=subject,
        unit=unit,
        signer=signer,
        signer_position=signer_position,
        place=place,
        pdf=pdf,
        docx=docx,
        file_name=file.name or "",
        actor=user,
    )
    return Status(201, _out(doc))


MAX_DRAFT_BYTES = 20 * 1024 * 1024


def _read_draft_file(upload: UploadedFile) -> tuple[bytes | None, bytes | None]:
    """(pdf, docx): the upload sorted by its content, not by its name."""
    if upload.size is not None and upload.size > MAX_DRAFT_BYTES:
        raise errors.invalid(errors.FILE_TOO_LARGE, "file")
    data = upload.read()
    if data.startswith(b"%PDF-"):
        return data, None
    if convert.is_docx(data):
        return None, data
    raise errors.invalid(errors.NOT_PDF_OR_DOCX, "file")


class SubmitIn(Schema):
    reviewer_usernames: list[str] = []


class ReturnIn(Schema):
    comment: str = ""


class ReviewStepOut(Schema):
    round: int
    position: int
    reviewer_username: str
    reviewer_name: str
    state: str
    comment: str
    acted_at: datetime | None


class FileOut(Schema):
    id: int
    kind: str
    name: str
    content_type: str
    sha256: str
    created_at: datetime


class ReviewOut(Schema):
    state: str
    current_reviewer: str | None
    steps: list[ReviewStepOut]
    files: list[FileOut]


@router.post(
    "/documents/{int:doc_id}/submit",
    response=RESPONSES,
    auth=signed_in,
    summary="Submit a draft to its review chain (ordered reviewers, ending with the signer)",
)
def submit(request: HttpRequest, doc_id: int, body: SubmitIn) -> Any:
    user = _user(request)
    doc = access_document(user, doc_id)
    reviewers = [_official(name, "reviewer_usernames") for name in body.reviewer_usernames]
    return _out(actions.submit_draft(doc, reviewers=reviewers, actor=user))


@router.post("/documents/{int:doc_id}/approve", response=RESPONSES, auth=signed_in)
def approve(request: HttpRequest, doc_id: int) -> Any:
    """The current reviewer approves (the next reviewer's turn; the last one: approved)."""
    return _act(
        request,
        doc_id,
        lambda d: actions.approve_draft(d, actor=_user(request)),
    )


@router.post("/documents/{int:doc_id}/return", response=RESPONSES, auth=signed_in)
def return_draft(request: HttpRequest, doc_id: int, body: ReturnIn) -> Any:
    """The current reviewer returns the draft to the drafter with a comment."""
    return _act(
        request,
        doc_id,
        lambda d: actions.return_draft(d, comment=body.comment, actor=_user(request)),
    )


@router.post(
    "/documents/{int:doc_id}/revise",
    response=RESPONSES,
    auth=signed_in,
    summary="Upload a new version (PDF or DOCX) of a draft; earlier versions are kept",
)
def revise(
    request: HttpRequest, doc_id: int, file: File[UploadedFile], subject: Form[str] = ""
) -> Any:
    user = _user(request)
    doc = access_document(user, doc_id)
    pdf, docx = _read_draft_file(file)
    revised = actions.revise_draft(
        doc, pdf=pdf, docx=docx, file_name=file.name or "", subject=subject, actor=user
    )
    return _out(revised)


@router.get(
    "/documents/{int:doc_id}/review",
    response={200: ReviewOut, **NOT_FOUND},
    auth=signed_in,
    summary="The review history of a draft and the versions of its files",
)
def review(request: HttpRequest, doc_id: int) -> Any:
    doc = access_document(_user(request), doc_id)
    steps = review_history(doc)
    current = actions.current_step(doc)
    return ReviewOut(
        state=doc.state,
        current_reviewer=current.reviewer.username if current else None,
        steps=[
            ReviewStepOut(
                round=s.round,
                position=s.position,
                reviewer_username=s.reviewer.username,
                reviewer_name=s.reviewer.full_name,
                state=s.state,
                comment=s.comment,
                acted_at=s.acted_at,
            )
            for s in steps
        ],
        files=[
            FileOut(
                id=f.pk,
                kind=f.kind,
                name=f.name,
                content_type=f.content_type,
                sha256=f.sha256,
                created_at=f.created_at,
            )
            for f in doc.files.exclude(kind="edxml").order_by("id")
        ],
    )


@router.post("/documents/{int:doc_id}/sign", response=RESPONSES, auth=signed_in)
def sign(request: HttpRequest, doc_id: int, body: SignIn | None = None) -> Any:
    pin = body.pin if body else ""
    return _act(
        request,
        doc_id,
        lambda d: actions.sign_document(d, signer=_user(request), pin=pin),
    )


@router.post("/documents/{int:doc_id}/issue", response=RESPONSES, auth=signed_in)
def issue(request: HttpRequest, doc_id: int) -> Any:
    return _act(request, doc_id, lambda d: actions.issue_document(d, actor=_user(request)))


@router.post("/documents/{int:doc_id}/links", response=RESPONSES, auth=signed_in)
def add_link(request: HttpRequest, doc_id: int, body: LinkIn) -> Any:
    user = _user(request)

    def run(doc: Document) -> Document:
        related = None
        if body.related_id is not None:
            related = actions.related_document(user, body.related_id)
        return actions.link(doc, related=related, dossier_code=body.dossier_code, actor=user)

    return _act(request, doc_id, run)


@router.get(
    "/documents/reports/figures",
    response={200: FiguresOut, 403: RefusalOut},
    auth=signed_in,
    summary="Figures the province reports, for one agency and period",
)
def figures(request: HttpRequest, agency_code: str, start: date, end: date) -> Any:
    user = _user(request)
    agency = Agency.objects.filter(code=agency_code).first()
    if agency is None or not any(
        has_role(user, role, agency) for role in (Role.LEADER, Role.CLERK, Role.IOC_VIEWER)
    ):
        raise actions.DocumentError(errors.MAY_NOT_READ_FIGURES)
    tz = timezone.get_current_timezone()
    start_at = datetime.combine(start, time.min, tzinfo=tz)
    end_at = datetime.combine(end, time.min, tzinfo=tz) + timedelta(days=1)
    result = reports.figures(agency.pk, start_at, end_at, now=timezone.now())
    return FiguresOut(**result.__dict__)
