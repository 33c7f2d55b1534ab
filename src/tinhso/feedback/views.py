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
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.feedback import actions, mapview, queries, rules
from tinhso.feedback.errors import FeedbackError
from tinhso.feedback.forms import (
    FilterForm,
    FollowForm,
    RateForm,
    ReopenForm,
    ReportForm,
    commune_names,
)
from tinhso.feedback.media import MediaError, check_uploads, check_videos, clean_media
from tinhso.feedback.models import Report
from tinhso.feedback.rules import check_in_vietnam
from tinhso.people.models import Role, User
from tinhso.people.queries import has_role
from tinhso.places.boundaries import commune_at as commune_at_position
from tinhso.places.queries import home_province

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


MAP_LIMIT = 500


@require_http_methods(["GET"])
def report_map(request: HttpRequest) -> HttpResponse:
    """The filtered reports by commune: a list with counts, every report under its commune
    (with or without a position), and a drawing when there is something to draw them on: the
    communes' outlines when boundaries are imported, map tiles when a tile server is set."""
    form, reports = _filtered(request)
    shown = list(reports.order_by("commune__name", "-received_at", "-pk")[:MAP_LIMIT])
    located = [(r, float(r.lat), float(r.long)) for r in shown if r.lat is not None]
    outlines = queries.commune_outlines()
    view = mapview.fit(located, tile_url=settings.MAP_TILE_URL, shapes=outlines)
    drawn = bool(view.tiles or view.outlines)
    return render(
        request,
        "feedback/map.html",
        {
            "form": form,
            "groups": queries.by_commune(shown),
            "total": len(shown),
            "limited": len(shown) == MAP_LIMIT,
            "drawn": drawn,
            "points": view.pins if drawn else [],
            "outlines": view.outlines,
            "tiles": view.tiles,
            "attribution": settings.MAP_TILE_ATTRIBUTION if view.tiles else "",
        },
    )


@require_http_methods(["GET"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = queries.access_public_report(pk)
    own = request.user.is_authenticated and report.reporter_id == request.user.pk
    now = timezone.now()
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
            # The reporter's buttons, only while the rules let them act (the actions check again).
            "may_rate": own and report.state == Report.State.RESOLVED,
            "may_reopen": own
            and rules.may_reopen(
                report.state, report.resolved_at, now, report.category.reopen_days
            ),
            "reopen_form": ReopenForm(),
            "rate_form": RateForm(),
        },
    )


def _is_desk_officer(user: Any) -> bool:
    return bool(user.is_authenticated and has_role(user, Role.RECEIVING_OFFICER))


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    on_behalf = _is_desk_officer(request.user)
    citizen = getattr(request.user, "kind", "") == User.Kind.CITIZEN
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        reporter=request.user if citizen and not on_behalf else None,
    )
    context: dict[str, Any] = {
        "form": form,
        "on_behalf": on_behalf,
        "nearby": [],
        "communes": commune_names(),
    }
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "feedback/submit.html", context, status=200 if request.method == "GET" else 400
        )
    data = form.cleaned_data
    photos = []
    try:
        check_uploads(data["photos"])  # before decoding any of them
    except MediaError as exc:
        form.add_error("photos", exc.message)
        return render(request, "feedback/submit.html", context, status=400)
    for upload in data["photos"]:
        try:
            photos.append(clean_media(upload.read()))
        except MediaError as exc:
            form.add_error("photos", f"{upload.name}: {exc.message}")
    try:
        check_videos(photos)
    except MediaError as exc:
        form.add_error("photos", exc.message)
    if form.errors:
        return render(request, "feedback/submit.html", context, status=400)
    lat, long = data["lat"], data["long"]
    if lat is not None and long is not None:
        try:
            check_in_vietnam(lat, long)
        except FeedbackError as exc:
            form.add_error("lat", exc.message)
            return render(request, "feedback/submit.html", context, status=400)
        if not data["confirm_new"]:
            similar = queries.nearby(data["category"], float(lat), float(long))
            if similar:
                context["nearby"] = similar
                # A browser cannot be handed files back: say so rather than lose them quietly.
                context["reattach"] = bool(data["photos"])
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
    except FeedbackError as exc:
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


@require_GET
def commune_at(request: HttpRequest) -> JsonResponse:
    """The home province's commune at `?lat=&long=` (for "Dùng vị trí của tôi"), from the
    imported boundaries: {"commune": "Phường …"} or {"commune": null} when none contains the
    point (no boundaries imported, another province, bad numbers)."""
    try:
        lat, long = float(request.GET["lat"]), float(request.GET["long"])
    except (KeyError, ValueError):
        return JsonResponse({"commune": None}, status=400)
    found = commune_at_position(lat, long) if -90 <= lat <= 90 and -180 <= long <= 180 else None
    if found is None or found.province_id != home_province().pk:
        return JsonResponse({"commune": None})
    return JsonResponse({"commune": str(found)})


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
    except FeedbackError as exc:
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
    except FeedbackError as exc:
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
    except FeedbackError as exc:
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
    except FeedbackError as exc:
        messages.error(request, exc.message)
    return redirect("feedback:detail", pk=report.pk)


# The only types a stored file is sent as (by its extension, which the stripping chose);
# anything else goes out as a download, never rendered by the browser.
MEDIA_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
}
MEDIA_MAX_AGE = 3600  # seconds; short, so a report taken off the public pages leaves caches


@require_GET
def media(request: HttpRequest, pk: int, part: str = "anh") -> HttpResponseBase:
    """A report's photo (or a video's poster frame) or, at `.../video/`, its clip.

    Access as `queries.access_media`: published reports' media to everyone, the others only
    to the reporter and the handling agency's officials (404 for anyone else). Stored files
    never change, so the photo's id and part make a strong ETag."""
    photo = queries.access_media(request.user, pk)
    stored = photo.video if part == "video" else photo.image
    if not stored:
        raise Http404(_("Không tìm thấy tệp."))
    etag = f'"pa-{photo.pk}-{part}"'
    public = photo.report.is_public
    cache = f"{'public' if public else 'private'}, max-age={MEDIA_MAX_AGE}"
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        extension = (stored.name or "").rsplit(".", 1)[-1].lower()
        content_type = MEDIA_TYPES.get(extension)
        name = f"PA-{photo.report_id}-{photo.pk}.{extension}"
        try:
            handle = stored.open("rb")
        except FileNotFoundError:
            raise Http404(_("Không tìm thấy tệp.")) from None
        response = FileResponse(
            handle,
            content_type=content_type or "application/octet-stream",
            as_attachment=content_type is None,
            filename=name,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["ETag"] = etag
    response["Cache-Control"] = cache
    if not public:
        response["Vary"] = "Cookie"
    return response
