"""/api/v1/feedback: the handling agency's work on field reports (officials, signed in with TOTP).

Parse, authorise through tinhso.feedback.queries.access_report_for_official, call one action,
serialise. A refused rule is 422 with the field and a Vietnamese message; a report of another
agency is 403 and nothing changes. Legal sources as in tinhso.feedback.models.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.responses import Status

from tinhso.feedback import actions, queries
from tinhso.feedback.media import MAX_PHOTOS, MediaError, clean_photo
from tinhso.feedback.models import Report
from tinhso.feedback.rules import RuleError
from tinhso.people.models import User
from tinhso.people.queries import AccessDenied
from tinhso.people.security import signed_in
from tinhso.places.models import Agency

router = Router(auth=signed_in, tags=["feedback"])


class ReportOut(Schema):
    id: int
    category: str
    state: str
    state_label: str
    description: str
    address: str
    lat: float | None
    long: float | None
    agency_code: str
    assignee: str | None
    received_at: datetime
    due_at: datetime
    escalated: bool
    answer: str
    # Only on the one-report endpoint, whose read is recorded in the audit trail.
    reporter_name: str | None = None
    reporter_email: str | None = None
    reporter_phone: str | None = None


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str


class AssignIn(Schema):
    assignee: str  # username
    note: str = ""


class DuplicateIn(Schema):
    original_id: int


class RerouteIn(Schema):
    agency_code: str
    reason: str


def _out(report: Report, *, contact: bool = True) -> ReportOut:
    out = ReportOut(
        id=report.pk,
        category=report.category.code,
        state=report.state,
        state_label=str(Report.State(report.state).label),
        description=report.description,
        address=report.address,
        lat=float(report.lat) if report.lat is not None else None,
        long=float(report.long) if report.long is not None else None,
        agency_code=report.agency.code,
        assignee=report.assignee.get_username() if report.assignee else None,
        received_at=report.received_at,
        due_at=report.due_at,
        escalated=report.escalated_at is not None,
        answer=report.answer,
    )
    if contact:
        # An anonymous reporter's contact details (if they typed any, to hear of progress)
        # are used for notifications only, never shown to the agency.
        anonymous = report.is_anonymous
        out.reporter_name = "" if anonymous else report.reporter_name
        out.reporter_email = "" if anonymous else report.reporter_email
        out.reporter_phone = "" if anonymous else report.reporter_phone
    return out


class FieldError(Schema):
    loc: list[str]
    field: str
    msg: str
    type: str


class Unprocessable(Schema):
    detail: list[FieldError]
    message: str


REPLIES: dict[int, Any] = {200: ReportOut, 422: Unprocessable}


def _unprocessable(field: str, message: str) -> Status[Unprocessable]:
    """The API's 422 shape (tinhso.api.main): one entry for the field the rule refused."""
    return Status(
        422,
        Unprocessable(
            detail=[FieldError(loc=["body", field], field=field, msg=message, type="value_error")],
            message="Dữ liệu không hợp lệ.",
        ),
    )


def _load(request: HttpRequest, report_id: int) -> Report:
    try:
        return queries.access_report_for_official(request.auth, report_id)  # type: ignore[attr-defined]
    except AccessDenied as exc:
        raise HttpError(403, exc.message) from None


def _act(
    request: HttpRequest,
    report_id: int,
    change: Callable[[Report, Any], Report],
    report: Report | None = None,
) -> Any:
    report = report or _load(request, report_id)
    try:
        return _out(change(report, request.auth))  # type: ignore[attr-defined]
    except RuleError as exc:
        return _unprocessable(exc.field, exc.message)


@router.get("/feedback/reports", response=list[ReportOut], summary="Reports of my agencies")
def my_reports(request: HttpRequest, state: str = "") -> list[ReportOut]:
    reports = queries.reports_for_official(request.auth).select_related("assignee")  # type: ignore[attr-defined]
    if state:
        reports = reports.filter(state=state)
    return [_out(r, contact=False) for r in reports.order_by("due_at", "pk")[:200]]


@router.get("/feedback/reports/{report_id}", response=ReportOut, summary="One report")
def report_detail(request: HttpRequest, report_id: int) -> ReportOut:
    return _out(_load(request, report_id))


@router.post("/feedback/reports/{report_id}/verify", response=REPLIES)
def verify(request: HttpRequest, report_id: int) -> Any:
    return _act(request, report_id, lambda r, u: actions.verify_report(r, actor=u))


@router.post("/feedback/reports/{report_id}/assign", response=REPLIES)
def assign(request: HttpRequest, report_id: int, body: AssignIn) -> Any:
    assignee = User.objects.filter(username=body.assignee, kind=User.Kind.OFFICIAL).first()
    if assignee is None:
        return _unprocessable("assignee", f"Không có cán bộ {body.assignee!r}.")
    return _act(
        request,
        report_id,
        lambda r, u: actions.assign_report(r, assignee=assignee, actor=u, note=body.note),
    )


@router.post("/feedback/reports/{report_id}/start", response=REPLIES)
def start(request: HttpRequest, report_id: int, body: NoteIn) -> Any:
    return _act(request, report_id, lambda r, u: actions.start_work(r, actor=u, note=body.note))


@router.post("/feedback/reports/{report_id}/resolve", response=REPLIES)
def resolve(
    request: HttpRequest,
    report_id: int,
    answer: Form[str],
    evidence: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """The public answer (multipart form), with up to five evidence photos."""
    report = _load(request, report_id)  # before any photo is decoded
    uploads = evidence or []
    if len(uploads) > MAX_PHOTOS:
        return _unprocessable("evidence", f"Gửi tối đa {MAX_PHOTOS} ảnh kết quả xử lý.")
    photos = []
    for upload in uploads:
        try:
            photos.append(clean_photo(upload.read()))
        except MediaError as exc:
            return _unprocessable("evidence", f"{upload.name}: {exc}")
    return _act(
        request,
        report_id,
        lambda r, u: actions.resolve_report(r, answer=answer, actor=u, evidence=photos),
        report,
    )


@router.post("/feedback/reports/{report_id}/reject", response=REPLIES)
def reject(request: HttpRequest, report_id: int, body: ReasonIn) -> Any:
    return _act(
        request, report_id, lambda r, u: actions.reject_report(r, reason=body.reason, actor=u)
    )


@router.post("/feedback/reports/{report_id}/duplicate", response=REPLIES)
def duplicate(request: HttpRequest, report_id: int, body: DuplicateIn) -> Any:
    report = _load(request, report_id)
    # The original must be a report the official may see: published, or of their agencies.
    original = queries.visible_original(request.auth, body.original_id)  # type: ignore[attr-defined]
    if original is None:
        return _unprocessable("original_id", f"Không có phản ánh PA-{body.original_id}.")
    return _act(
        request,
        report_id,
        lambda r, u: actions.mark_duplicate(r, original=original, actor=u),
        report,
    )


@router.post("/feedback/reports/{report_id}/reroute", response=REPLIES)
def reroute(request: HttpRequest, report_id: int, body: RerouteIn) -> Any:
    agency = Agency.objects.filter(code=body.agency_code, is_active=True).first()
    if agency is None:
        return _unprocessable("agency_code", f"Không có cơ quan mã {body.agency_code!r}.")
    return _act(
        request,
        report_id,
        lambda r, u: actions.reroute_report(r, agency=agency, reason=body.reason, actor=u),
    )
