"""Public pages of field reports: list, map with its equivalent list, report page, submit.

Reporting works without a map and without a mouse: the place can be a commune and a
description; coordinates are optional text fields. Hotline and counter staff (receiving
officers) file on behalf of a citizen from the same form. Legal sources as in
tinhso.feedback.models.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.feedback import actions, mapview, queries
from tinhso.feedback.forms import FilterForm, FollowForm, RateForm, ReopenForm, ReportForm
from tinhso.feedback.media import MediaError, check_uploads, check_videos, clean_media
from tinhso.feedback.models import Report
from tinhso.feedback.rules import RuleError, check_in_vietnam
from tinhso.people.models import Role
from tinhso.people.queries import has_role

PAGE_SIZE = 20


def _filtered(request: HttpRequest) -> tuple[FilterForm, Any]:
    form = FilterForm(request.GET or None)
    filters = queries.Filters()
    if form.is_valid():
        data = form.cleaned_data
        filters = queries.Filters(
            category=data["category"].code if data["category"] else "",
            commune=data["commune"].code if data["commune"] else None,
            state=data["state"],
            since=data["since"],
            until=data["until"],
        )
    return form, queries.public_reports(filters)


@require_http_methods(["GET"])
def report_list(request: HttpRequest) -> HttpResponse:
    form, reports = _filtered(request)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "feedback/list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_http_methods(["GET"])
def report_map(request: HttpRequest) -> HttpResponse:
    """The filtered reports placed on a map (tiles when a tile server is configured), and the
    same reports as a list for screen readers and keyboard users."""
    form, reports = _filtered(request)
    located = [(r, float(r.lat), float(r.long)) for r in reports.filter(lat__isnull=False)[:500]]
    view = mapview.fit(located, tile_url=settings.MAP_TILE_URL)
    return render(
        request,
        "feedback/map.html",
        {
            "form": form,
            "points": view.pins,
            "tiles": view.tiles,
            "attribution": settings.MAP_TILE_ATTRIBUTION if view.tiles else "",
        },
    )


@require_http_methods(["GET"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = queries.access_public_report(pk)
    own = request.user.is_authenticated and report.reporter_id == request.user.pk
    return render(
        request,
        "feedback/detail.html",
        {
            "report": report,
            "events": [e for e in report.events.all() if e.is_public],
            "photos": [p for p in report.photos.all() if not p.is_evidence],
            "evidence": [p for p in report.photos.all() if p.is_evidence],
            "follow_form": FollowForm(),
            "own": own,
            "reopen_form": ReopenForm(),
            "rate_form": RateForm(),
        },
    )


def _is_desk_officer(user: Any) -> bool:
    return bool(user.is_authenticated and has_role(user, Role.RECEIVING_OFFICER))


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    on_behalf = _is_desk_officer(request.user)
    form = ReportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "on_behalf": on_behalf, "nearby": []}
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "feedback/submit.html", context, status=200 if request.method == "GET" else 400
        )
    data = form.cleaned_data
    photos = []
    try:
        check_uploads(data["photos"])  # before decoding any of them
    except MediaError as exc:
        form.add_error("photos", str(exc))
        return render(request, "feedback/submit.html", context, status=400)
    for upload in data["photos"]:
        try:
            photos.append(clean_media(upload.read()))
        except MediaError as exc:
            form.add_error("photos", f"{upload.name}: {exc}")
    try:
        check_videos(photos)
    except MediaError as exc:
        form.add_error("photos", str(exc))
    if form.errors:
        return render(request, "feedback/submit.html", context, status=400)
    lat, long = data["lat"], data["long"]
    if lat is not None and long is not None:
        try:
            check_in_vietnam(lat, long)
        except RuleError as exc:
            form.add_error("lat", exc.message)
            return render(request, "feedback/submit.html", context, status=400)
        if not data["confirm_new"]:
            similar = queries.nearby(data["category"], float(lat), float(long))
            if similar:
                context["nearby"] = similar
                data_copy = request.POST.copy()
                data_copy["confirm_new"] = "on"
                context["form"] = ReportForm(data_copy)
                return render(request, "feedback/submit.html", context)
    new = actions.NewReport(
        category=data["category"],
        description=data["description"],
        lat=lat,
        long=long,
        address=data["address"],
        commune=data["commune"],
        attributes=form.answers(),
        reporter_name="" if data["is_anonymous"] else data["reporter_name"],
        reporter_email=data["reporter_email"],
        reporter_phone=data["reporter_phone"],
        is_anonymous=data["is_anonymous"],
        consents_to_publish=data["consents_to_publish"],
        photos=tuple(photos),
    )
    try:
        if on_behalf:
            channel = request.POST.get("channel", Report.Channel.HOTLINE)
            if channel not in {Report.Channel.HOTLINE, Report.Channel.COUNTER}:
                channel = Report.Channel.HOTLINE
            report = actions.submit_report(new, channel=channel, filed_by=request.user)
        else:
            report = actions.submit_report(new, reporter=request.user)
    except RuleError as exc:
        field = f"hoi__{data['category'].code}__{exc.field}"
        named = {"email": "reporter_email", "phone": "reporter_phone"}.get(exc.field, exc.field)
        if named in form.fields:
            field = named
        form.add_error(field if field in form.fields else None, exc.message)
        return render(request, "feedback/submit.html", context, status=400)
    messages.success(
        request,
        _("Đã tiếp nhận phản ánh PA-%(id)s. Hạn xử lý được ghi trên trang phản ánh.")
        % {"id": report.pk},
    )
    if on_behalf and report.agency_id in queries.visible_agencies(request.user):
        return redirect("feedback:office-detail", pk=report.pk)  # the desk goes on handling it
    if report.is_public:
        return redirect("feedback:detail", pk=report.pk)
    return render(request, "feedback/received.html", {"report": report})


@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    """Step one of following a report: a confirmation link is sent to the address."""
    report = queries.access_public_report(pk)
    form = FollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Địa chỉ thư điện tử không hợp lệ."))
        return redirect("feedback:detail", pk=report.pk)
    try:
        actions.request_follow(report, email=form.cleaned_data["email"])
    except RuleError as exc:
        messages.error(request, exc.message)
    else:
        # The same answer whether or not the address already follows the report.
        messages.success(
            request,
            _("Đã gửi thư xác nhận; hãy mở liên kết trong thư để bắt đầu nhận thông báo."),
        )
    return redirect("feedback:detail", pk=report.pk)


@require_http_methods(["GET", "POST"])
def confirm_follow(request: HttpRequest, token: str) -> HttpResponse:
    """Step two: the link from the e-mail. GET shows a button (mail scanners that open links
    do not subscribe anyone); POST confirms."""
    if request.method == "GET":
        return render(request, "feedback/confirm_follow.html", {"token": token})
    try:
        follower = actions.confirm_follow(token)
    except RuleError as exc:
        return render(request, "feedback/confirm_follow.html", {"error": exc.message}, status=400)
    messages.success(request, _("Bạn sẽ nhận thư khi phản ánh có thay đổi."))
    return redirect("feedback:detail", pk=follower.report_id)


@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    report = queries.access_own_report(request.user, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy cho biết vấn đề còn tồn tại thế nào."))
        return redirect("feedback:detail", pk=report.pk)
    try:
        actions.reopen_report(report, note=form.cleaned_data["note"], actor=request.user)
        messages.success(request, _("Đã mở lại phản ánh."))
    except RuleError as exc:
        messages.error(request, exc.message)
    return redirect("feedback:detail", pk=report.pk)


@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    report = queries.access_own_report(request.user, pk)
    form = RateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Hãy chọn mức đánh giá từ 1 đến 5 sao."))
        return redirect("feedback:detail", pk=report.pk)
    try:
        actions.rate_answer(report, rating=form.cleaned_data["rating"], actor=request.user)
        messages.success(request, _("Cảm ơn bạn đã đánh giá."))
    except RuleError as exc:
        messages.error(request, exc.message)
    return redirect("feedback:detail", pk=report.pk)
