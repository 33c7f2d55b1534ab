"""Open311 GeoReport v2: every endpoint in both formats, checked field by field against the
specification's examples, and every error in the specification's error format."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from tests.tools import requires_tool
from tinhso.core.models import AuditRecord
from tinhso.feedback import actions
from tinhso.feedback.models import Report
from tinhso.people import clients
from tinhso.people.models import ApiClientUsage

from .conformance import compare_json, compare_xml, example_json, example_xml
from .conftest import jpeg

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = "/open311/v2"


def get(client, path, fmt, **params):
    return client.get(f"{BASE}/{path}.{fmt}", params)


def body(response, fmt):
    if fmt == "json":
        return json.loads(response.content)
    return etree.fromstring(response.content)


def conforms(response, fmt, example, extra=frozenset()):
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        problems = compare_json(example_json(example), json.loads(response.content), extra=extra)
    else:
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        problems = compare_xml(example_xml(example), body(response, fmt), extra=extra)
    assert problems == []


def error_of(response, fmt):
    """(code, description) of a one-error document, after checking its conformance."""
    conforms(response, fmt, "errors")
    if fmt == "json":
        [error] = json.loads(response.content)
        return error["code"], error["description"]
    root = body(response, fmt)
    return int(root.findtext("error/code")), root.findtext("error/description")


@pytest.fixture
def api_key(db):
    _, key = clients.issue("Ứng dụng thử", scopes=["open311.post"], actor=None)
    return key


@pytest.fixture
def published(new_report):
    received = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    report = actions.submit_report(new_report(), now=received)
    return report


FORMATS = ["json", "xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client, roads, fmt):
    response = get(client, "discovery", fmt)
    assert response.status_code == 200
    conforms(response, fmt, "discovery")
    if fmt == "json":
        [endpoint] = json.loads(response.content)["endpoints"]
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list(client, roads, lights, fmt):
    response = get(client, "services", fmt)
    assert response.status_code == 200
    conforms(response, fmt, "services")
    if fmt == "json":
        assert json.loads(response.content) == [
            {
                "service_code": "chieu-sang",
                "service_name": "Đèn chiếu sáng công cộng",
                "description": "",
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": "Hạ tầng",
            },
            {
                "service_code": "giao-thong",
                "service_name": "Hư hỏng đường, cầu, vỉa hè",
                "description": "Ổ gà, sụt lún, vỉa hè vỡ.",
                "metadata": True,
                "type": "realtime",
                "keywords": "đường, ổ gà",
                "group": "Hạ tầng",
            },
        ]
    else:
        root = body(response, fmt)
        assert [s.findtext("metadata") for s in root] == ["false", "true"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client, roads, fmt):
    response = get(client, "services/giao-thong", fmt)
    assert response.status_code == 200
    conforms(response, fmt, "service_definition")
    if fmt == "json":
        assert json.loads(response.content) == {
            "service_code": "giao-thong",
            "attributes": [
                {
                    "variable": True,
                    "code": "muc-do",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "datatype_description": None,
                    "order": 1,
                    "description": "Mức độ nguy hiểm",
                    "values": [{"key": "thap", "name": "Thấp"}, {"key": "cao", "name": "Cao"}],
                }
            ],
        }
    else:
        root = body(response, fmt)
        assert [v.findtext("key") for v in root.iterfind("attributes/attribute/values/value")] == [
            "thap",
            "cao",
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_is_404_in_the_error_format(client, roads, fmt):
    response = get(client, "services/khong-co", fmt)
    assert response.status_code == 404
    assert error_of(response, fmt) == (404, "Không có dịch vụ (service_code) 'khong-co'.")


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_a_request(client, roads, agencies, api_key, fmt):
    response = client.post(
        f"{BASE}/requests.{fmt}",
        {
            "api_key": api_key,
            "jurisdiction_id": "daklak.gov.vn",
            "service_code": "giao-thong",
            "lat": "12.6678",
            "long": "108.0382",
            "address_string": "12 Lê Duẩn",
            "address_id": "24121",
            "email": "an@example.com",
            "first_name": "An",
            "last_name": "Nguyễn",
            "phone": "0912345678",
            "description": "Ổ gà lớn.",
            "attribute[muc-do]": "cao",
        },
    )
    assert response.status_code == 201
    conforms(response, fmt, "post_request")
    report = Report.objects.get()
    assert report.channel == "open311" and report.api_client.name == "Ứng dụng thử"
    assert report.agency == agencies["BMT"]
    assert (report.lat, report.long) == (Decimal("12.667800"), Decimal("108.038200"))
    assert report.attributes == {"muc-do": "cao"}
    assert report.reporter_name == "An Nguyễn" and not report.is_anonymous
    if fmt == "json":
        [created] = json.loads(response.content)
        assert created["service_request_id"] == str(report.pk)
        assert "token" not in created  # the specification: not with service_request_id
        assert created["account_id"] is None
    else:
        root = body(response, fmt)
        assert root.findtext("request/service_request_id") == str(report.pk)
        assert root.find("request/token") is None


def test_a_photo_posted_with_the_request_gives_its_position(client, roads, api_key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("o-ga.jpg", jpeg(gps=(12.6678, 108.0382)), "image/jpeg")
    response = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": api_key,
            "service_code": "giao-thong",
            "description": "Ổ gà.",
            "attribute[muc-do]": "thap",
            "media": photo,
        },
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert (report.lat, report.long) == (Decimal("12.667800"), Decimal("108.038200"))
    assert report.is_anonymous
    stored = report.photos.get()
    assert b"Exif" not in stored.image.read()
    [record] = json.loads(get(client, f"requests/{report.pk}", "json").content)
    assert record["media_url"] == f"http://testserver/phan-anh/tep/{stored.pk}/"
    assert record["address"] == "" and record["lat"] == 12.6678


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_posted_with_the_request_gives_its_place_and_its_poster_is_the_media_url(
    client, roads, api_key
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .videos import video

    clip = SimpleUploadedFile("clip.mov", video("mov"), "video/quicktime")
    response = client.post(
        f"{BASE}/requests.json",
        {**GOOD, "lat": "", "long": "", "api_key": api_key, "media": clip},
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert (report.lat, report.long) == (Decimal("12.666700"), Decimal("108.050000"))
    stored = report.photos.get()
    assert (stored.kind, stored.content_type) == ("video", "video/quicktime")
    [record] = json.loads(get(client, f"requests/{report.pk}", "json").content)
    assert record["media_url"] == f"http://testserver/phan-anh/tep/{stored.pk}/"
    assert stored.image.name.endswith(".jpg") and stored.video.name.endswith(".mov")


def test_a_renamed_text_file_sent_as_a_video_is_refused(client, roads, api_key):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("clip.mp4", b"not a video at all\n" * 50, "video/mp4")
    response = client.post(f"{BASE}/requests.json", {**GOOD, "api_key": api_key, "media": fake})
    assert error_of(response, "json") == (
        400,
        "Tệp không phải ảnh JPEG, PNG hoặc WebP, cũng không phải video MP4, MOV hoặc WebM "
        "(đã kiểm tra nội dung tệp).",
    )
    assert Report.objects.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests(client, published, fmt):
    response = get(
        client,
        "requests",
        fmt,
        start_date="2026-11-23T00:00:00+07:00",
        end_date="2026-11-23T23:59:59+07:00",
        jurisdiction_id="daklak.gov.vn",
    )
    assert response.status_code == 200
    conforms(response, fmt, "requests")
    expected = {
        "service_request_id": str(published.pk),
        "status": "open",
        "status_notes": "Đã tiếp nhận phản ánh.",
        "service_name": "Hư hỏng đường, cầu, vỉa hè",
        "service_code": "giao-thong",
        "description": "Ổ gà lớn trước số 12 Lê Duẩn.",
        "agency_responsible": "Ủy ban nhân dân phường Buôn Ma Thuột",
        "service_notice": "",
        "requested_datetime": "2026-11-23T09:00:00+07:00",
        "updated_datetime": "2026-11-23T09:00:00+07:00",
        "expected_datetime": "2026-12-01T09:00:00+07:00",
        "address": "12 Lê Duẩn",
        "address_id": "24121",
        "zipcode": "",
        "lat": 12.6678,
        "long": 108.0382,
        "media_url": "",
    }
    if fmt == "json":
        assert json.loads(response.content) == [expected]
    else:
        [request] = body(response, fmt)
        got = {child.tag: child.text or "" for child in request}
        assert got == {k: str(v) for k, v in expected.items()} | {
            "lat": "12.667800",
            "long": "108.038200",
        }
    text = response.content.decode()
    assert "an@example.com" not in text and "0912345678" not in text
    assert "Nguyễn Văn An" not in text


def test_a_closed_request_has_its_answer_as_status_notes_and_no_expected_date(client, published):
    actions.resolve_report(published, answer="Đã vá ổ gà.", actor=None)
    [record] = json.loads(get(client, "requests", "json", service_request_id=published.pk).content)
    assert (record["status"], record["status_notes"]) == ("closed", "Đã vá ổ gà.")
    assert record["expected_datetime"] is None


def test_requests_filter_by_ids_code_status_and_dates(client, new_report, lights):
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    first = actions.submit_report(new_report(), now=monday)
    second = actions.submit_report(new_report(), now=monday + timedelta(days=2))
    light = actions.submit_report(
        actions.NewReport(category=lights, description="Đèn tắt.", address="Lê Duẩn"),
        now=monday + timedelta(days=2),
    )
    actions.resolve_report(second, answer="Xong.", actor=None)
    hidden = actions.submit_report(new_report(consents_to_publish=False), now=monday)
    rejected = actions.reject_report(
        actions.submit_report(new_report(), now=monday), reason="Sai.", actor=None
    )

    def ids(**params):
        response = get(client, "requests", "json", **params)
        assert response.status_code == 200, response.content
        return [int(r["service_request_id"]) for r in json.loads(response.content)]

    every = f"{first.pk},{second.pk},{light.pk},{hidden.pk},{rejected.pk}"
    assert ids(service_request_id=every) == [light.pk, second.pk, first.pk]
    window = {"start_date": "2026-11-23T00:00:00+07:00", "end_date": "2026-11-30T00:00:00+07:00"}
    assert ids(**window, service_code="giao-thong") == [second.pk, first.pk]
    assert ids(**window, status="open") == [light.pk, first.pk]
    assert ids(**window, status="closed") == [second.pk]
    assert ids(start_date="2026-11-24T00:00:00Z", end_date="2026-11-30T00:00:00Z") == [
        light.pk,
        second.pk,
    ]
    # The specification: service_code "can be declared multiple times, comma delimited".
    assert ids(**window, service_code="giao-thong,chieu-sang") == [light.pk, second.pk, first.pk]
    assert ids(**window, service_code="chieu-sang, khong-co") == [light.pk]
    # service_request_id "overrides all other arguments": status and dates are ignored.
    assert ids(service_request_id=f"{first.pk},{second.pk}", status="closed") == [
        second.pk,
        first.pk,
    ]
    assert ids(service_request_id=str(first.pk), start_date="2030-01-01T00:00:00Z") == [first.pk]
    # One bound only: the 90 days after start_date, or before end_date.
    assert ids(start_date="2026-08-26T00:00:00+07:00") == [first.pk]  # day 90 ends 11-24
    assert ids(end_date="2027-02-22T00:00:00+07:00") == [light.pk, second.pk]  # from 11-24


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_and_its_token(client, published, fmt):
    response = get(client, f"requests/{published.pk}", fmt)
    assert response.status_code == 200
    conforms(response, fmt, "requests")
    response = get(client, f"tokens/{published.token}", fmt)
    assert response.status_code == 200
    conforms(response, fmt, "token")
    if fmt == "json":
        assert json.loads(response.content) == [
            {"service_request_id": str(published.pk), "token": published.token}
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404(client, published, fmt):
    assert error_of(get(client, "requests/999999", fmt), fmt) == (
        404,
        "Không có phản ánh (service_request_id) '999999'.",
    )
    assert error_of(get(client, "tokens/khong-co", fmt), fmt) == (
        404,
        "Không có mã token 'khong-co'.",
    )


@pytest.mark.parametrize("pk", ["²", "١٢", "99999999999999999999"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_id_that_is_not_ascii_digits_or_too_long_is_404(client, published, pk, fmt):
    assert error_of(get(client, f"requests/{pk}", fmt), fmt) == (
        404,
        f"Không có phản ánh (service_request_id) {pk!r}.",
    )


def test_an_unpublished_request_is_not_found(client, new_report):
    hidden = actions.submit_report(new_report(consents_to_publish=False))
    assert get(client, f"requests/{hidden.pk}", "json").status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "description"),
    [
        ({"status": "pending"}, 400, "status phải là open hoặc closed, không phải 'pending'."),
        (
            {"start_date": "23/11/2026"},
            400,
            "start_date phải theo định dạng W3C, ví dụ 2026-11-23T09:30:00+07:00.",
        ),
        (
            {"start_date": "2026-11-24T00:00:00Z", "end_date": "2026-11-23T00:00:00Z"},
            400,
            "end_date phải sau start_date.",
        ),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-01T00:00:01Z"},
            400,
            "Khoảng start_date–end_date không được dài quá 90 ngày.",
        ),
        (
            {"service_code": ",".join(f"ma-{i}" for i in range(21))},
            400,
            "service_code là danh sách tối đa 20 mã, cách nhau dấu phẩy.",
        ),
        (
            {"service_request_id": "1,abc"},
            400,
            "service_request_id là danh sách tối đa 100 mã số, cách nhau dấu phẩy.",
        ),
        (
            {"service_request_id": "1,²"},  # "²".isdigit() is True, int("²") raises
            400,
            "service_request_id là danh sách tối đa 100 mã số, cách nhau dấu phẩy.",
        ),
        (
            {"service_request_id": "99999999999999999999"},  # overflows a 64-bit integer
            400,
            "service_request_id là danh sách tối đa 100 mã số, cách nhau dấu phẩy.",
        ),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_query_parameters(client, roads, params, status, description, fmt):
    response = get(client, "requests", fmt, **params)
    assert response.status_code == status
    assert error_of(response, fmt) == (status, description)


def test_an_unsupported_format_is_an_xml_error(client, roads):
    response = client.get(f"{BASE}/services.yaml")
    assert response.status_code == 400
    assert error_of(response, "xml") == (
        400,
        "Định dạng 'yaml' không được hỗ trợ; dùng .json hoặc .xml.",
    )


GOOD = {
    "service_code": "giao-thong",
    "lat": "12.6678",
    "long": "108.0382",
    "description": "Ổ gà.",
    "attribute[muc-do]": "cao",
}
BAD_KEY = "api_key không hợp lệ hoặc đã bị thu hồi; không thể tạo phản ánh."


@pytest.mark.parametrize(
    ("change", "status", "description"),
    [
        ({"api_key": None}, 403, BAD_KEY),
        ({"api_key": "o311_gia-mao"}, 403, BAD_KEY),
        ({"service_code": "khong-co"}, 404, "service_code 'khong-co' không tồn tại."),
        ({"service_code": None}, 400, "Thiếu service_code."),
        (
            {"lat": None, "long": None},
            400,
            "Cần vị trí: chọn trên bản đồ, nhập địa chỉ, hoặc chọn xã, phường và mô tả nơi xảy ra.",
        ),
        (
            {"lat": "48.8566", "long": "2.3522"},
            400,
            "Tọa độ (48.856600, 2.352200) nằm ngoài lãnh thổ Việt Nam (vĩ độ 8.0–23.5, "
            "kinh độ 102.0–117.9).",
        ),
        ({"lat": "mười hai"}, 400, "lat phải là một số thập phân (WGS84)."),
        ({"lat": "1e400"}, 400, "lat phải nằm trong khoảng -90 đến 90 (WGS84)."),
        ({"long": "-1e400"}, 400, "long phải nằm trong khoảng -180 đến 180 (WGS84)."),
        ({"attribute[muc-do]": None}, 400, "Chưa trả lời câu hỏi: Mức độ nguy hiểm."),
        ({"email": "an@"}, 400, "Địa chỉ thư điện tử 'an@' không hợp lệ."),
        ({"phone": "gọi tôi"}, 400, "Số điện thoại 'gọitôi' không hợp lệ."),
        (
            {"address_id": "1"},
            400,
            "address_id '1' không phải mã xã, phường của tỉnh.",
        ),
        ({"address_id": "²"}, 400, "address_id '²' không phải mã xã, phường của tỉnh."),
        (
            {"address_id": "99999999999999999999"},
            400,
            "address_id '99999999999999999999' không phải mã xã, phường của tỉnh.",
        ),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_posts_store_nothing(client, roads, api_key, change, status, description, fmt):
    data = {**GOOD, "api_key": api_key, **change}
    data = {k: v for k, v in data.items() if v is not None}
    audit_before = AuditRecord.objects.count()
    response = client.post(f"{BASE}/requests.{fmt}", data)
    assert response.status_code == status
    assert error_of(response, fmt) == (status, description)
    assert Report.objects.count() == 0
    assert AuditRecord.objects.count() == audit_before


def test_a_revoked_key_is_refused(client, roads, db):
    api_client, key = clients.issue("Cũ", scopes=["open311.post"], actor=None)
    clients.revoke(api_client, actor=None)
    response = client.post(f"{BASE}/requests.json", {**GOOD, "api_key": key})
    assert response.status_code == 403
    assert error_of(response, "json") == (403, BAD_KEY)
    assert Report.objects.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_without_the_open311_scope_is_refused(client, roads, db, fmt):
    _, key = clients.issue("Cổng DVC quốc gia", scopes=["dossiers.submit"], actor=None)
    audit_before = AuditRecord.objects.count()
    response = client.post(f"{BASE}/requests.{fmt}", {**GOOD, "api_key": key})
    assert error_of(response, fmt) == (
        403,
        "Ứng dụng “Cổng DVC quốc gia” không được cấp phạm vi open311.post.",
    )
    assert Report.objects.count() == 0 and not ApiClientUsage.objects.exists()
    assert AuditRecord.objects.count() == audit_before


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (
            b"MZ\x90\x00 this is a program, not a photo",
            "Tệp không phải ảnh JPEG, PNG hoặc WebP, cũng không phải video MP4, MOV hoặc WebM "
            "(đã kiểm tra nội dung tệp).",
        ),
        (jpeg() + b"\0" * (8 * 1024 * 1024), "Ảnh quá lớn (8192 KB); tối đa 8 MB."),
    ],
)
def test_fake_or_oversized_images_are_refused(client, roads, api_key, content, description):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"{BASE}/requests.json",
        {**GOOD, "api_key": api_key, "media": SimpleUploadedFile("anh.jpg", content, "image/jpeg")},
    )
    assert response.status_code == 400
    assert error_of(response, "json") == (400, description)
    assert Report.objects.count() == 0


def test_a_client_over_its_rate_limit_gets_429(client, roads, db, monkeypatch):
    at = datetime(2026, 11, 23, 9, 0, 25, tzinfo=VN)
    monkeypatch.setattr("django.utils.timezone.now", lambda: at)
    api_client, key = clients.issue(
        "Nhanh", scopes=["open311.post"], actor=None, requests_per_minute=2
    )
    codes = [
        client.post(f"{BASE}/requests.json", {**GOOD, "api_key": key}).status_code for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    response = client.post(f"{BASE}/requests.xml", {**GOOD, "api_key": key})
    assert error_of(response, "xml") == (
        429,
        "Vượt giới hạn 2 yêu cầu mỗi phút; hãy thử lại sau 35 giây.",
    )
    assert response["Retry-After"] == "35"
    assert Report.objects.count() == 2
    assert ApiClientUsage.objects.get(client=api_client).count == 4


def test_the_request_list_costs_the_same_queries_for_1_or_30_reports(
    client, new_report, django_assert_num_queries
):
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    params = {"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"}
    actions.submit_report(new_report(), now=monday)
    # reports with categories, agencies, communes and their first photos joined
    with django_assert_num_queries(1):
        assert len(json.loads(get(client, "requests", "json", **params).content)) == 1
    for _ in range(29):
        actions.submit_report(new_report(), now=monday)
    with django_assert_num_queries(1):
        assert len(json.loads(get(client, "requests", "json", **params).content)) == 30


def test_more_than_five_photos_are_refused_before_any_is_decoded(
    client, roads, api_key, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.feedback import open311_views

    decoded = []
    monkeypatch.setattr(open311_views, "clean_media", lambda data: decoded.append(data))
    audit_before = AuditRecord.objects.count()
    photos = [SimpleUploadedFile(f"{i}.jpg", jpeg(), "image/jpeg") for i in range(6)]
    response = client.post(f"{BASE}/requests.json", {**GOOD, "api_key": api_key, "media": photos})
    assert response.status_code == 400
    assert error_of(response, "json") == (400, "Gửi tối đa 5 ảnh. Ảnh và video được tính chung.")
    assert decoded == []
    assert Report.objects.count() == 0 and AuditRecord.objects.count() == audit_before


def test_control_characters_never_reach_the_xml(client, roads, api_key):
    response = client.post(
        f"{BASE}/requests.json",
        {
            **GOOD,
            "api_key": api_key,
            "description": "Ổ\x01 gà\x0b lớn\x1f.",
            "address_string": "Số\x00 12",
        },
    )
    # Refused at the edge (tinhso.core.edge) with the field named; nothing is stored.
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_input"
    assert not Report.objects.exists()
    assert get(client, "requests", "xml").status_code == 200


def test_the_xml_writer_drops_characters_xml_does_not_allow(db):
    from tinhso.feedback import open311

    doc = open311.Document("errors", "error", [{"code": 400, "description": "a\x01b\ufffe\tc"}])
    root = etree.fromstring(doc.xml().encode())
    assert root.findtext("error/description") == "ab\tc"
