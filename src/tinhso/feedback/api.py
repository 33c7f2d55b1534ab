"""/api/v1/feedback: the handling agency's work on field reports (officials, signed in with TOTP).

Parse, authorise through tinhso.feedback.queries.access_report_for_official, call one action,
serialise. A refusal is a FeedbackError (tinhso.feedback.errors) that the API's one handler
answers: 422 with the field and a Vietnamese message, 409 for the report's state, and 404 for
a report of another agency, as for no report (its number cannot be probed); nothing changes.
Legal sources as in tinhso.feedback.models.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, UploadedFile

from tinhso.feedback import actions, errors, queries
from tinhso.feedback.errors import MediaError, RuleError
from tinhso.feedback.media import MAX_PHOTOS, clean_photo
from tinhso.feedback.models import Report
from tinhso.people.models import User
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


class ReportAssignIn(Schema):
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
    """A refusal of input (tinhso.core.errors.DomainError.as_json): the code, the message and
    one entry per field."""

    code: str
    detail: list[FieldError]
    message: str


class Refused(Schema):
    """A refusal by the report's state (409) or reach (404): the code and the message."""

    code: str
    detail: str
    message: str


# A refusal is a FeedbackError that reaches the API's one handler (tinhso.api.main.refused).
REPLIES: dict[int, Any] = {200: ReportOut, 404: Refused, 409: Refused, 422: Unprocessable}


def _load(request: HttpRequest, report_id: int) -> Report:
    """The report if the official's agencies handle it; 404 otherwise, as for no report."""
    return queries.access_report_for_official(request.auth, report_id)  # type: ignore[attr-defined]


def _act(
    request: HttpRequest,
    report_id: int,
    change: Callable[[Report, Any], Report],
    report: Report | None = None,
) -> Any:
    report = report or _load(request, report_id)
    return _out(change(report, request.auth))  # type: ignore[attr-defined]


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
def assign(request: HttpRequest, report_id: int, body: ReportAssignIn) -> Any:
    assignee = User.objects.filter(username=body.assignee, kind=User.Kind.OFFICIAL).first()
    if assignee is None:
        raise RuleError(
            errors.UNKNOWN_ASSIGNEE,
            _("Không có cán bộ %(name)r.") % {"name": body.assignee},
            "assignee",
        )
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
        raise RuleError(
            errors.TOO_MANY_MEDIA,
            _("Gửi tối đa %(count)s ảnh kết quả xử lý.") % {"count": MAX_PHOTOS},
            "evidence",
        )
    photos = []
    for upload in uploads:
        try:
            photos.append(clean_photo(upload.read()))
        except MediaError as exc:
            raise MediaError(exc.code, f"{upload.name}: {exc.message}", "evidence") from None
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
        raise RuleError(
            errors.UNKNOWN_ORIGINAL,
            _("Không có phản ánh PA-%(id)s.") % {"id": body.original_id},
            "original_id",
        )
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
        raise RuleError(
            errors.UNKNOWN_AGENCY,
            _("Không có cơ quan mã %(code)r.") % {"code": body.agency_code},
            "agency_code",
        )
    return _act(
        request,
        report_id,
        lambda r, u: actions.reroute_report(r, agency=agency, reason=body.reason, actor=u),
    )
