"""The Open311 GeoReport v2 endpoints at /open311/v2/ (.json and .xml).

Parse, authorise (api_key for POST, rate limit per client), call one action, serialise with
tinhso.feedback.open311. Every failure is the specification's error document: 400 for
missing or bad parameters, 403 for an api_key that is missing, forged or revoked or whose client
lacks the `open311.post` scope, 404 for an unknown service, request or token, 429 (with
Retry-After) when a client is over its rate limit. Keys are tinhso.people.clients keys.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tinhso.core.context import acting_as
from tinhso.feedback import actions, open311, queries, rules
from tinhso.feedback.errors import FeedbackError
from tinhso.feedback.media import (
    MediaError,
    check_uploads,
    check_url,
    check_videos,
    clean_media,
)
from tinhso.feedback.models import Category, Report
from tinhso.people.clients import ClientRefused, MissingScope, RateLimited
from tinhso.places.models import Commune
from tinhso.places.queries import home_province

MAX_IDS = 100
MAX_CODES = 20
MAX_RESULTS = 1000  # the specification's default query limit
DEFAULT_DAYS = 90


class Open311Error(Exception):
    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.retry_after = retry_after


def _respond(doc: open311.Document, fmt: str, status: int = 200) -> HttpResponse:
    return HttpResponse(doc.render(fmt), content_type=open311.FORMATS[fmt], status=status)


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    fmt = fmt if fmt in open311.FORMATS else "xml"
    return _respond(open311.errors([(status, description)]), fmt, status)


def _endpoint(view: Any) -> Any:
    """Check the format, turn Open311Error into the error document."""

    def run(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        if fmt not in open311.FORMATS:
            return _error("xml", 400, f"Định dạng {fmt!r} không được hỗ trợ; dùng .json hoặc .xml.")
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            response = _error(fmt, exc.status, exc.description)
            if exc.retry_after is not None:
                response["Retry-After"] = str(exc.retry_after)
            return response

    run.__name__ = view.__name__
    run.__doc__ = view.__doc__
    return run


_PHOTO_SLOT = 987654321  # reversed once per answer, then filled in per row


def _media_parts(base: str) -> tuple[str, str]:
    """A photo's absolute URL without its id: the text before it and after it."""
    head, _slot, tail = reverse("feedback:media", args=[_PHOTO_SLOT]).partition(str(_PHOTO_SLOT))
    return base + head, tail


def _media_url(base: str) -> Any:
    """photo id → its absolute URL; reverse() once, not once per row of a 1,000-row page."""
    prefix, tail = _media_parts(base)
    return lambda photo: f"{prefix}{photo}{tail}" if photo else ""


def _request_record(row: dict[str, Any], base: str, media_url: Any = None) -> dict[str, Any]:
    """One service request from a row of queries.open311_requests."""
    is_open = row["state"] in rules.OPEN
    commune = (
        f"{row['commune__division_type'].capitalize()} {row['commune__name']}"
        if row["commune__code"]
        else ""
    )
    return {
        "service_request_id": str(row["pk"]),
        "status": "open" if is_open else "closed",  # rules.open311_status, state read once
        "status_notes": queries.latest_public_note(row["state"], row["answer"], row["public_note"]),
        "service_name": row["category__name"],
        "service_code": row["category__code"],
        "description": row["description"],
        "agency_responsible": row["agency__name"],
        "service_notice": "",
        "requested_datetime": open311.w3c(row["received_at"]),
        "updated_datetime": open311.w3c(row["updated_at"]),
        "expected_datetime": open311.w3c(row["due_at"]) if is_open else None,
        "address": row["address"] or commune,
        "address_id": str(row["commune__code"]) if row["commune__code"] else "",
        "zipcode": "",
        "lat": row["lat"],
        "long": row["long"],
        "media_url": (media_url or _media_url(base))(row["photo"]),
    }


_QUOTE = json.encoder.encode_basestring


def _text(value: str | None) -> str:
    return _QUOTE(value) if value is not None else "null"


def _moment(value: Any) -> str:
    return _text(open311.w3c(queries.moment(value)))


def _number(value: Any) -> str:
    number = queries.coordinate(value)
    return "null" if number is None else repr(number)


_ROW = (
    '{"service_request_id": "%s", "status": "%s", "status_notes": %s, "service_name": %s, '
    '"service_code": %s, "description": %s, "agency_responsible": %s, "service_notice": "", '
    '"requested_datetime": %s, "updated_datetime": %s, "expected_datetime": %s, '
    '"address": %s, "address_id": %s, "zipcode": "", "lat": %s, "long": %s, "media_url": %s}'
)


def _requests_json(rows: list[tuple[Any, ...]], media_url: Any) -> str:
    """The JSON of `_request_record` for each row of queries.open311_range_rows, the same
    text as json.dumps would write (issue 12: building a dict per row and encoding it was
    most of a 1,000-row answer's cost): the answer on databases other than PostgreSQL, where
    queries.open311_range_json writes the same text in SQL. tests/feedback/
    test_open311_hot_path.py and test_open311_postgres_json.py compare the three. One
    %-format of a fixed row template per row, names bound locally."""
    quote, moment, number, note = _QUOTE, _moment, _number, queries.latest_public_note
    open_states, row_text = rules.OPEN, _ROW
    parts: list[str] = []
    append = parts.append
    for (
        pk,
        state,
        answer,
        public_note,
        category_name,
        category_code,
        description,
        agency_name,
        received_at,
        updated_at,
        due_at,
        address,
        commune_code,
        commune_name,
        commune_type,
        lat,
        long,
        photo,
    ) in rows:
        is_open = state in open_states
        if not address and commune_code:
            address = f"{commune_type.capitalize()} {commune_name}"
        append(
            row_text
            % (
                pk,
                "open" if is_open else "closed",
                _text(note(state, answer, public_note)),
                _text(category_name),
                _text(category_code),
                _text(description),
                _text(agency_name),
                moment(received_at),
                moment(updated_at),
                moment(due_at) if is_open else "null",
                quote(address or ""),
                quote(str(commune_code)) if commune_code else '""',
                number(lat),
                number(long),
                quote(media_url(photo)),
            )
        )
    return "[" + ", ".join(parts) + "]"


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET"])
@_endpoint
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    changed = Category.objects.aggregate(at=Max("updated_at"))["at"] or timezone.now()
    doc = open311.Document(
        "discovery",
        None,
        {
            "changeset": open311.w3c(changed),
            "contact": f"Ủy ban nhân dân tỉnh {home_province().name}",
            "key_service": "Khóa api_key do quản trị viên cấp cho từng ứng dụng kết nối.",
            "endpoints": [
                {
                    "specification": open311.SPECIFICATION,
                    "url": request.build_absolute_uri("/open311/v2"),
                    "changeset": open311.w3c(changed),
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )
    return _respond(doc, fmt)


@require_http_methods(["GET"])
@_endpoint
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    records = [
        open311.service(
            code=c.code,
            name=c.name,
            description=c.description,
            metadata=bool(c.attributes.all()),
            keywords=c.keywords,
            group=c.group,
        )
        for c in queries.categories()
    ]
    return _respond(open311.Document("services", "service", records), fmt)


@require_http_methods(["GET"])
@_endpoint
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    category = queries.categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"Không có dịch vụ (service_code) {code!r}.")
    attributes = [
        open311.attribute(
            code=a.code,
            datatype=a.datatype,
            required=a.is_required,
            datatype_description=a.datatype_description,
            order=a.order,
            description=a.description,
            values=a.values,
        )
        for a in category.attributes.all()
    ]
    doc = open311.Document(
        "service_definition", None, {"service_code": category.code, "attributes": attributes}
    )
    return _respond(doc, fmt)


def _parse_date(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise Open311Error(
            400, f"{name} phải theo định dạng W3C, ví dụ 2026-11-23T09:30:00+07:00."
        ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=open311.VIETNAM)
    return moment


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_endpoint
def service_requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    q = request.GET
    base = _base(request)
    if q.get("service_request_id"):
        # The specification: service_request_id "overrides all other arguments".
        parts = [rules.parse_id(p) for p in q["service_request_id"].split(",") if p.strip()]
        if len(parts) > MAX_IDS or None in parts:
            raise Open311Error(
                400, f"service_request_id là danh sách tối đa {MAX_IDS} mã số, cách nhau dấu phẩy."
            )
        reports = queries.open311_requests(ids=[p for p in parts if p is not None])
        records = [_request_record(r, base) for r in reports]
        return _respond(open311.Document("service_requests", "request", records), fmt)
    states = None
    if q.get("status"):
        try:
            states = rules.states_for_status(q["status"])
        except FeedbackError as exc:
            raise Open311Error(400, exc.message) from None
    # Keyset pagination (an extension; the specification has none): `page_size` up to the
    # limit, `after` the last service_request_id of the page before; a full page names the
    # next one in a Link header. A deep page costs what the first does.
    page_size = _bounded_int(q.get("page_size"), "page_size", MAX_RESULTS)
    after = None
    if q.get("after"):
        after = rules.parse_id(q["after"])
        if after is None:
            raise Open311Error(400, "after phải là một mã phản ánh (service_request_id).")
    start = _parse_date(q["start_date"], "start_date") if q.get("start_date") else None
    end = _parse_date(q["end_date"], "end_date") if q.get("end_date") else None
    # The specification: the range "may not span more than 90 days"; when a bound is not
    # given, the range is the most recent 90 days (or 90 days from/to the bound given).
    span = timedelta(days=DEFAULT_DAYS)
    if start and end:
        if end < start:
            raise Open311Error(400, "end_date phải sau start_date.")
        if end - start > span:
            raise Open311Error(
                400, f"Khoảng start_date–end_date không được dài quá {DEFAULT_DAYS} ngày."
            )
    elif start:
        end = start + span
    elif end:
        start = end - span
    else:
        start = timezone.now() - span
    codes = list(
        dict.fromkeys(c.strip() for c in q.get("service_code", "").split(",") if c.strip())
    )
    if len(codes) > MAX_CODES:
        raise Open311Error(
            400, f"service_code là danh sách tối đa {MAX_CODES} mã, cách nhau dấu phẩy."
        )
    window = queries.RequestRange(
        service_code=codes[0] if len(codes) == 1 else "",
        start=start,
        end=end,
        states=states,
        after=after,
        limit=page_size,
    )
    if fmt == "json" and len(codes) <= 1:
        # PostgreSQL writes the JSON itself; elsewhere the rows are written here, the same text
        answer = queries.open311_range_json(window, _media_parts(base))
        if answer is None:
            rows = queries.open311_range_rows(window)
            body = _requests_json(rows, _media_url(base)).encode()
            answer = queries.RangeJson(body, len(rows), rows[-1][0] if rows else None)
        response = HttpResponse(answer.body, content_type=open311.FORMATS[fmt])
        if answer.count and answer.count == page_size:
            following = q.copy()
            following["after"] = str(answer.last)
            response["Link"] = f'<{request.path}?{following.urlencode()}>; rel="next"'
        return response
    if len(codes) <= 1:
        reports = queries.open311_requests(window)
    else:  # a comma list: one query per code, merged newest first, within the same limit
        reports = sorted(
            (
                row
                for code in codes
                for row in queries.open311_requests(replace(window, service_code=code))
            ),
            key=lambda r: (r["received_at"], r["pk"]),
            reverse=True,
        )[:page_size]
    media_url = _media_url(base)
    records = [_request_record(r, base, media_url) for r in reports]
    response = _respond(open311.Document("service_requests", "request", records), fmt)
    if reports and len(reports) == page_size:
        following = q.copy()
        following["after"] = str(reports[-1]["pk"])
        response["Link"] = f'<{request.path}?{following.urlencode()}>; rel="next"'
    return response


def _bounded_int(value: str | None, name: str, most: int) -> int:
    if not value:
        return most
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= most:
        raise Open311Error(400, f"{name} phải là số nguyên từ 1 đến {most}.")
    return number


def _attributes(post: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in post:
        if key.startswith("attribute[") and key.endswith("]"):
            name = key[len("attribute[") :]
            many = name.endswith("][]")
            code = name[: -len("][]")] if many else name[:-1]
            values = post.getlist(key)
            out[code] = values if many or len(values) > 1 else values[0]
    return out


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    p = request.POST
    try:
        client = queries.client_for_key(p.get("api_key", ""))
    except RateLimited as exc:
        raise Open311Error(429, exc.message, retry_after=exc.retry_after) from None
    except MissingScope as exc:
        raise Open311Error(403, exc.message) from None
    except ClientRefused:
        # The specification answers a missing or bad api_key with 403 (not 401).
        raise Open311Error(
            403, "api_key không hợp lệ hoặc đã bị thu hồi; không thể tạo phản ánh."
        ) from None
    code = p.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "Thiếu service_code.")
    category = queries.categories().filter(code=code).first()
    if category is None:  # the specification: "404 - service_code ... was not found"
        raise Open311Error(404, f"service_code {code!r} không tồn tại.")
    lat = long = None
    try:
        if p.get("lat", "").strip() or p.get("long", "").strip():
            lat = rules.parse_coordinate(p.get("lat", ""), field="lat")
            long = rules.parse_coordinate(p.get("long", ""), field="long")
    except FeedbackError as exc:
        raise Open311Error(400, exc.message) from None
    commune = None
    if p.get("address_id", "").strip():
        address_id = p["address_id"].strip()
        commune_code = rules.parse_id(address_id)
        commune = (
            Commune.objects.filter(code=commune_code, province=home_province()).first()
            if commune_code is not None
            else None
        )
        if commune is None:
            raise Open311Error(400, f"address_id {address_id!r} không phải mã xã, phường của tỉnh.")
    uploads = request.FILES.getlist("media")
    try:
        check_uploads(uploads)  # before decoding any of them
    except MediaError as exc:
        raise Open311Error(400, exc.message) from None
    media_url = p.get("media_url", "").strip()
    try:
        if media_url:
            check_url(media_url)
        photos = []
        for upload in uploads:
            if upload.size and upload.size > max(
                8 * 1024 * 1024, settings.FEEDBACK_VIDEO_MAX_BYTES
            ):
                raise Open311Error(400, f"Tệp {upload.name} quá lớn.")
            photos.append(clean_media(upload.read()))
        check_videos(photos)
    except MediaError as exc:
        raise Open311Error(400, exc.message) from None
    name = " ".join(x for x in (p.get("first_name", ""), p.get("last_name", "")) if x.strip())
    email, phone = p.get("email", ""), p.get("phone", "")
    new = actions.NewReport(
        category=category,
        description=p.get("description", ""),
        lat=lat,
        long=long,
        address=p.get("address_string", ""),
        commune=commune,
        attributes=_attributes(p),
        reporter_name=name,
        reporter_email=email,
        reporter_phone=phone,
        is_anonymous=not (name.strip() or email.strip() or phone.strip()),
        consents_to_publish=True,
        photos=tuple(photos),
        media_url=media_url,
    )
    try:
        with acting_as(None, channel="api", client_address=request.META.get("REMOTE_ADDR", "")):
            report = actions.submit_report(new, channel=Report.Channel.OPEN311, api_client=client)
    except FeedbackError as exc:
        raise Open311Error(400, exc.message) from None
    # The specification: a token "should not be returned if service_request_id is returned";
    # our service type is realtime, so the id is returned and the token is not.
    record = {
        "service_request_id": str(report.pk),
        "service_notice": (
            f"Hạn xử lý: {open311.w3c(report.due_at)}; cơ quan: {report.agency.name}."
        ),
        "account_id": None,
    }
    return _respond(open311.Document("service_requests", "request", [record]), fmt, 201)


@require_http_methods(["GET"])
@_endpoint
def service_request(request: HttpRequest, pk: str, *, fmt: str) -> HttpResponse:
    number = rules.parse_id(pk)
    reports = queries.open311_requests(ids=[number]) if number is not None else []
    if not reports:
        raise Open311Error(404, f"Không có phản ánh (service_request_id) {pk!r}.")
    doc = open311.Document(
        "service_requests", "request", [_request_record(reports[0], _base(request))]
    )
    return _respond(doc, fmt)


@require_http_methods(["GET"])
@_endpoint
def token(request: HttpRequest, value: str, *, fmt: str) -> HttpResponse:
    report = Report.objects.filter(token=value).only("pk", "token").first()
    if report is None:
        raise Open311Error(404, f"Không có mã token {value!r}.")
    doc = open311.Document(
        "service_requests",
        "request",
        [{"service_request_id": str(report.pk), "token": report.token}],
    )
    return _respond(doc, fmt)
