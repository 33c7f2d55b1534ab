"""The public pages: list with filters, map with its equivalent list, report page, reporting
without a map, on behalf of a citizen, following, reopening and rating."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tinhso.core.models import OutboxMessage
from tinhso.feedback import actions
from tinhso.feedback.models import Follower, Report
from tinhso.people import actions as people_actions
from tinhso.people.models import Role

from .conftest import jpeg

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def citizen(db):
    return people_actions.register_citizen(
        full_name="Trần Thị Bình",
        personal_id="066190001234",
        password="mat-khau-rat-dai-2025",
        phone="0987654321",
        email="binh@example.com",
    )


def test_the_list_shows_published_reports_without_contact_details(client, new_report, lights):
    shown = actions.submit_report(new_report(), now=datetime(2026, 11, 23, 9, 0, tzinfo=VN))
    actions.submit_report(new_report(description="Không công khai.", consents_to_publish=False))
    response = client.get("/phan-anh/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"PA-{shown.pk} · Hư hỏng đường, cầu, vỉa hè" in text
    assert "Không công khai." not in text
    assert "an@example.com" not in text and "Nguyễn Văn An" not in text
    assert "23/11/2026 09:00" in text


def test_filters_by_category_commune_state_and_period(client, new_report, communes, lights):
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    road = actions.submit_report(new_report(), now=monday)
    light = actions.submit_report(
        actions.NewReport(category=lights, description="Đèn tắt.", commune=communes["tan-lap"]),
        now=datetime(2026, 11, 25, 9, 0, tzinfo=VN),
    )

    def listed(**params):
        page = client.get("/phan-anh/", params).context["page"]
        return [r.pk for r in page.object_list]

    assert listed() == [light.pk, road.pk]
    assert listed(category="chieu-sang") == [light.pk]
    assert listed(commune=communes["buon-ma-thuot"].code) == [road.pk]
    assert listed(state="received") == [light.pk, road.pk]
    assert listed(state="resolved") == []
    assert listed(since="2026-11-24") == [light.pk]
    assert listed(until="2026-11-23") == [road.pk]


def test_the_map_has_an_equivalent_list(client, new_report):
    report = actions.submit_report(new_report())
    response = client.get("/phan-anh/ban-do/")
    text = response.content.decode()
    assert response.status_code == 200
    assert f'aria-label="PA-{report.pk}: Hư hỏng đường, cầu, vỉa hè, đã tiếp nhận"' in text
    assert "Danh sách tương đương" in text
    assert "vĩ độ 12.667800, kinh độ 108.038200" in text
    # One report: it sits at the plot's top-left corner, in SVG numbers (a dot, not a comma).
    assert '<circle cx="20.0" cy="20.0" r="7"' in text


def test_the_report_page_shows_history_and_answer(client, submitted):
    actions.resolve_report(submitted, answer="Đã vá ổ gà.", actor=None)
    response = client.get(f"/phan-anh/{submitted.pk}/")
    text = response.content.decode()
    assert "Trả lời của cơ quan xử lý" in text and "Đã vá ổ gà." in text
    assert "Đã tiếp nhận phản ánh." in text
    assert "an@example.com" not in text


def test_an_unpublished_report_page_is_404(client, new_report):
    hidden = actions.submit_report(new_report(consents_to_publish=False))
    assert client.get(f"/phan-anh/{hidden.pk}/").status_code == 404


def test_reporting_without_a_map_answers_the_categorys_questions(client, roads, communes, agencies):
    data = {
        "category": roads.pk,
        "description": "Cống bị vỡ nắp.",
        "commune": communes["ea-kao"].pk,
        "address": "Gần trường tiểu học",
        "consents_to_publish": "on",
    }
    response = client.post("/phan-anh/gui/", data)
    assert response.status_code == 400
    assert "Chưa trả lời câu hỏi: Mức độ nguy hiểm." in response.content.decode()
    assert Report.objects.count() == 0
    response = client.post("/phan-anh/gui/", {**data, "hoi__giao-thong__muc-do": "cao"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.attributes == {"muc-do": "cao"}
    assert report.agency == agencies["SXD"]
    assert (report.lat, report.long) == (None, None)


def test_reporting_anonymously_without_a_map(client, lights, communes, agencies):
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Ba cột đèn không sáng.",
            "commune": communes["ea-kao"].pk,
            "address": "Gần trường tiểu học",
            "reporter_name": "Không lưu",
            "is_anonymous": "on",
            "consents_to_publish": "on",
            "photos": [SimpleUploadedFile("a.jpg", jpeg(gps=(12.6, 108.1)), "image/jpeg")],
        },
    )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/phan-anh/{report.pk}/"
    assert report.is_anonymous and report.reporter_name == ""
    assert report.agency == agencies["EAKAO"]
    assert (str(report.lat), str(report.long)) == ("12.600000", "108.100000")
    assert report.channel == "web"


def test_a_fake_photo_is_refused_with_a_message(client, lights, communes):
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Đèn tắt.",
            "commune": communes["ea-kao"].pk,
            "photos": [SimpleUploadedFile("a.jpg", b"not an image at all", "image/jpeg")],
        },
    )
    assert response.status_code == 400
    assert "a.jpg: Tệp không phải ảnh JPEG, PNG hoặc WebP" in response.content.decode()
    assert Report.objects.count() == 0


def test_nearby_reports_are_suggested_before_submitting(client, lights, communes):
    earlier = actions.submit_report(
        actions.NewReport(category=lights, description="Đèn tắt.", lat=12.6678, long=108.0382)  # type: ignore[arg-type]
    )
    data = {
        "category": lights.pk,
        "description": "Đèn không sáng.",
        "lat": "12.6680",
        "long": "108.0383",
        "consents_to_publish": "on",
    }
    response = client.post("/phan-anh/gui/", data)
    assert response.status_code == 200
    assert [r.pk for r in response.context["nearby"]] == [earlier.pk]
    assert Report.objects.count() == 1
    response = client.post("/phan-anh/gui/", {**data, "confirm_new": "on"})
    assert response.status_code == 302
    assert Report.objects.count() == 2


def test_a_private_report_shows_a_receipt_page(client, lights, communes):
    response = client.post(
        "/phan-anh/gui/",
        {"category": lights.pk, "description": "Đèn tắt.", "address": "Ngã ba Lê Duẩn"},
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert not report.consents_to_publish
    assert f"Đã tiếp nhận phản ánh PA-{report.pk}" in response.content.decode()


def test_a_hotline_officer_files_on_behalf_of_a_citizen(client, lights, agencies, make_official):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = make_official("tongdai", roles=((Role.RECEIVING_OFFICER, agencies["UBND"]),))
    device = TOTPDevice.objects.create(user=officer, name="app", confirmed=True)
    client.force_login(officer)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Người dân gọi báo đèn tắt.",
            "address": "Ngã sáu",
            "reporter_name": "Lê Văn Cường",
            "reporter_phone": "0901234567",
            "channel": "hotline",
            "consents_to_publish": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert (report.channel, report.filed_by, report.reporter) == ("hotline", officer, None)
    assert report.reporter_name == "Lê Văn Cường"


def test_follow_a_report(client, submitted):
    response = client.post(f"/phan-anh/{submitted.pk}/theo-doi/", {"email": "c@example.com"})
    assert response.status_code == 302
    assert list(Follower.objects.values_list("email", flat=True)) == ["c@example.com"]


def test_the_reporter_rates_and_reopens_their_report(client, citizen, lights):
    report = actions.submit_report(
        actions.NewReport(category=lights, description="Đèn tắt.", address="Lê Duẩn"),
        reporter=citizen,
    )
    actions.resolve_report(report, answer="Đã thay bóng.", actor=None)
    client.force_login(citizen)
    assert client.post(f"/phan-anh/{report.pk}/danh-gia/", {"rating": "2"}).status_code == 302
    report.refresh_from_db()
    assert report.rating == 2
    client.post(f"/phan-anh/{report.pk}/mo-lai/", {"note": "Đèn lại tắt."})
    report.refresh_from_db()
    assert report.state == "in_progress" and report.rating is None


def test_someone_else_cannot_reopen_and_nothing_changes(client, citizen, submitted):
    actions.resolve_report(submitted, answer="Đã vá.", actor=None)
    before = OutboxMessage.objects.count()
    client.force_login(citizen)
    response = client.post(f"/phan-anh/{submitted.pk}/mo-lai/", {"note": "Chưa sửa."})
    assert response.status_code == 404
    response = client.post(f"/phan-anh/{submitted.pk}/danh-gia/", {"rating": "1"})
    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == "resolved" and submitted.rating is None
    assert OutboxMessage.objects.count() == before
    client.logout()
    assert client.post(f"/phan-anh/{submitted.pk}/mo-lai/", {"note": "x"}).status_code == 403
