"""Officials' pages for field reports: the agency's queue, a report's back-office page, actions.

Thin, like tinhso.dossiers.views_office: parse, load through
`queries.access_report_for_official` (another agency's report is a 404 and nothing changes),
call one action from tinhso.feedback.actions (which audits), then redirect (POST-redirect-GET)
with a message. Refused input re-renders the page with the message at the field and what was
typed kept. Officials only; their second factor is enforced for every page by
tinhso.people.middleware.RequireSecondFactorMiddleware. Legal sources as in
tinhso.feedback.models.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.feedback import actions, errors, queries, rules
from tinhso.feedback.errors import FeedbackError, RuleError
from tinhso.feedback.forms import (
    AssignForm,
    DuplicateForm,
    NoteForm,
    OfficeFilterForm,
    RejectForm,
    RerouteForm,
    ResolveForm,
    StartForm,
)
from tinhso.feedback.media import MediaError, check_uploads, check_videos, clean_media
from tinhso.feedback.models import Report
from tinhso.people.models import Role, User
from tinhso.people.queries import has_role

PAGE_SIZE = 30

# The form field where each action's refusals (RuleError.field) are shown; None: the form.
ERROR_FIELDS: dict[str, str | None] = {
    "assignee": "assignee",
    "answer": "answer",
    "evidence": "evidence",
    "reason": "reason",
    "duplicate_of": "original",
    "agency": "agency",
    "note": "note",
}


def official_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in officials only (others: 404, as on the one-stop office pages)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "kind", "") != User.Kind.OFFICIAL:
            raise Http404(_("Không tìm thấy trang."))
        return view(request, *args, **kwargs)

    return wrapped


@official_required
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    """Phản ánh của cơ quan: filtered, ordered by deadline, counted per state, paged."""
    form = OfficeFilterForm(request.GET or None)
    filters = queries.OfficeFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = queries.OfficeFilters(
            state=data["state"],
            category=data["category"].pk if data["category"] else None,
            commune=data["commune"].pk if data["commune"] else None,
            deadline=data["deadline"],
            mine=data["mine"],
        )
    now = timezone.now()
    reports = queries.office_queue(request.user, filters, now)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("trang", None)
    without_state = query.copy()
    without_state.pop("state", None)
    counts = queries.state_counts(request.user)
    return render(
        request,
        "feedback/office/queue.html",
        {
            "form": form,
            "page": page,
            "rows": [(r, rules.is_overdue(r.due_at, now, r.state)) for r in page.object_list],
            "query": query.urlencode(),
            "state_query": without_state.urlencode(),
            "counts": [(s, Report.State(s).label, n) for s, n in counts.items()],
            "total": sum(counts.values()),
            "current_state": filters.state,
            "files_on_behalf": has_role(request.user, Role.RECEIVING_OFFICER),
        },
    )


def _report(request: HttpRequest, pk: int) -> Report:
    """The report if this official's agencies handle it; otherwise 404, the same answer as a
    report that does not exist, so report numbers of other agencies cannot be probed."""
    return queries.access_report_for_official(request.user, pk)  # FeedbackError, 404


def _forms(report: Report, data: Any = None, files: Any = None, *, bound: str = "") -> dict:
    """One form per action; `bound` is the action whose form carries the posted data."""

    def given(action: str) -> dict[str, Any]:
        return {"data": data, "files": files} if action == bound else {}

    return {
        "assign": AssignForm(
            prefix="assign",
            officials=queries.assignable_officials(report),
            **given("assign"),
        ),
        "start": StartForm(prefix="start", **given("start")),
        "resolve": ResolveForm(prefix="resolve", **given("resolve")),
        "reject": RejectForm(prefix="reject", **given("reject")),
        "duplicate": DuplicateForm(prefix="duplicate", **given("duplicate")),
        "reroute": RerouteForm(
            prefix="reroute", agencies=queries.reroute_targets(report), **given("reroute")
        ),
        "note": NoteForm(prefix="note", **given("note")),
    }


def _page(
    request: HttpRequest,
    report: Report,
    action_forms: dict[str, forms.Form],
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    photos = list(report.photos.all())
    hidden = report.is_anonymous  # an anonymous reporter's contact is for notifications only
    return render(
        request,
        "feedback/office/detail.html",
        {
            "report": report,
            "contact": {
                "name": "" if hidden else report.reporter_name,
                "email": "" if hidden else report.reporter_email,
                "phone": "" if hidden else report.reporter_phone,
            },
            "overdue": rules.is_overdue(report.due_at, now, report.state),
            "answers": _answers(report),
            "events": list(report.events.all()),
            "photos": [p for p in photos if not p.is_evidence],
            "evidence": [p for p in photos if p.is_evidence],
            "candidates": queries.duplicate_candidates(request.user, report),
            "allowed": _offered(report, action_forms),
            "forms": action_forms,
            "error": error,
        },
        status=status,
    )


def _offered(report: Report, action_forms: dict[str, forms.Form]) -> list[str]:
    """The actions the page offers: those the report's state allows, less those nobody could
    complete from here (giving it out with no official to give it to, re-routing with no
    other agency)."""
    offered = []
    assign, reroute = action_forms.get("assign"), action_forms.get("reroute")
    nobody = isinstance(assign, AssignForm) and not assign.fields["assignee"].queryset.exists()  # type: ignore[attr-defined]
    nowhere = isinstance(reroute, RerouteForm) and len(reroute.fields["agency"].choices) <= 1  # type: ignore[attr-defined]
    for action in rules.allowed_actions(report.state):
        if (action == "assign" and nobody) or (action == "reroute" and nowhere):
            continue
        offered.append(action)
    return offered


def _answers(report: Report) -> list[tuple[str, str]]:
    """The answers to the category's extra questions, as question and chosen names."""
    out = []
    for attribute in report.category.attributes.all():
        given = report.attributes.get(attribute.code)
        if given in (None, "", []):
            continue
        names = {str(v.get("key")): str(v.get("name")) for v in attribute.values}
        values = given if isinstance(given, list) else [given]
        out.append((attribute.description, ", ".join(names.get(str(v), str(v)) for v in values)))
    return out


@official_required
@require_http_methods(["GET"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    return _page(request, report, _forms(report))


def _perform(request: HttpRequest, report: Report, action: str, form: forms.Form) -> Report:
    """Call the one action behind `action` with the form's clean data."""
    user, data = request.user, form.cleaned_data
    if action == "verify":
        return actions.verify_report(report, actor=user)
    if action == "assign":
        return actions.assign_report(
            report, assignee=data["assignee"], actor=user, note=data["note"]
        )
    if action == "start":
        return actions.start_work(report, actor=user, note=data["note"])
    if action == "resolve":
        uploads = data["evidence"]
        evidence = []
        try:
            check_uploads(uploads)  # before decoding any of them
            for upload in uploads:
                try:
                    evidence.append(clean_media(upload.read()))
                except MediaError as exc:
                    raise MediaError(exc.code, f"{upload.name}: {exc.message}") from None
            check_videos(evidence)
        except MediaError as exc:
            raise exc.at("evidence") from None
        return actions.resolve_report(report, answer=data["answer"], actor=user, evidence=evidence)
    if action == "reject":
        return actions.reject_report(report, reason=data["reason"], actor=user)
    if action == "duplicate":
        original = queries.visible_original(user, data["original"])
        if original is None:
            raise RuleError(
                errors.UNKNOWN_ORIGINAL,
                _("Không có phản ánh PA-%(id)s.") % {"id": data["original"]},
                "duplicate_of",
            )
        return actions.mark_duplicate(report, original=original, actor=user)
    if action == "reroute":
        return actions.reroute_report(
            report, agency=data["agency"], reason=data["reason"], actor=user
        )
    if action == "note":
        return actions.add_internal_note(report, note=data["note"], actor=user)
    raise Http404(_("Không có thao tác này."))  # pragma: no cover - the caller checks


DONE = {
    "verify": gettext_noop("Đã xác minh phản ánh PA-%(id)s."),
    "assign": gettext_noop("Đã giao xử lý phản ánh PA-%(id)s."),
    "start": gettext_noop("Đã chuyển phản ánh PA-%(id)s sang đang xử lý."),
    "resolve": gettext_noop("Đã trả lời công khai phản ánh PA-%(id)s."),
    "reject": gettext_noop("Đã từ chối phản ánh PA-%(id)s."),
    "duplicate": gettext_noop("Đã đánh dấu phản ánh PA-%(id)s là trùng lặp."),
    "reroute": gettext_noop("Đã chuyển phản ánh PA-%(id)s sang cơ quan khác."),
    "note": gettext_noop("Đã thêm ghi chú nội bộ vào phản ánh PA-%(id)s."),
}


@official_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on one report. Success: a message and back to the page (POST-redirect-GET);
    refusal: the page again, status 400, the message at the field and the input kept."""
    if action not in rules.ACTIONS:
        raise Http404(_("Không có thao tác này."))
    report = _report(request, pk)
    action_forms = _forms(report, request.POST, request.FILES, bound=action)
    form: forms.Form = action_forms.get(action) or forms.Form(request.POST)
    if action not in rules.allowed_actions(report.state):
        state = Report.State(report.state).label
        error = _("Phản ánh đang ở trạng thái “%(state)s”, không thể thực hiện thao tác này.") % {
            "state": state
        }
        return _page(request, report, action_forms, error=error, status=409)
    if not form.is_valid():
        return _page(request, report, action_forms, status=400)
    try:
        _perform(request, report, action, form)
    except FeedbackError as exc:
        field = ERROR_FIELDS.get(exc.field)
        form.add_error(field if field in form.fields else None, exc.message)
        return _page(request, report, action_forms, status=400)
    messages.success(request, _(DONE[action]) % {"id": report.pk})
    report.refresh_from_db(fields=["agency"])
    if report.agency_id not in queries.visible_agencies(request.user):
        return redirect("feedback:office-queue")  # re-routed out of their agencies
    return redirect("feedback:office-detail", pk=report.pk)
