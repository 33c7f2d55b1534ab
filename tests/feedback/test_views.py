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
from tinhso.people.models import Role

from .conftest import jpeg

VN = ZoneInfo("Asia/Ho_Chi_Minh")


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


def test_the_map_page_lists_reports_by_commune_with_or_without_a_position(
    client, new_report, communes
):
    located = actions.submit_report(new_report())
    unplaced = actions.submit_report(
        new_report(lat=None, long=None, description="Ổ gà ở Tân Lập.", commune=communes["tan-lap"])
    )
    also_bmt = actions.submit_report(new_report(lat=None, long=None, address="Chợ trung tâm"))
    response = client.get("/phan-anh/ban-do/")
    text = response.content.decode()
    assert response.status_code == 200
    groups = [(str(g.commune), [r.pk for r in g.reports]) for g in response.context["groups"]]
    assert groups == [
        ("Phường Buôn Ma Thuột", [also_bmt.pk, located.pk]),
        ("Phường Tân Lập", [unplaced.pk]),
    ]
    assert '<span class="count">2</span>' in text and "không có tọa độ" in text
    # No tile server and no boundaries: nothing to draw the pins on, so no empty drawing.
    assert "<svg" not in text


def test_the_map_draws_the_communes_outlines_and_the_pins_when_boundaries_exist(
    client, new_report, communes
):
    from tinhso.places.boundaries import import_boundaries

    ring = [[108.0, 12.6], [108.1, 12.6], [108.1, 12.7], [108.0, 12.7], [108.0, 12.6]]
    import_boundaries(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"ma_xa": communes["buon-ma-thuot"].code},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        },
        actor=None,
    )
    report = actions.submit_report(new_report())
    text = client.get("/phan-anh/ban-do/").content.decode()
    assert text.count('class="commune-outline"') == 1
    assert "<title>Phường Buôn Ma Thuột</title>" in text
    assert f'aria-label="PA-{report.pk}: Hư hỏng đường, cầu, vỉa hè, đã tiếp nhận"' in text


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
        "commune": "Xã Ea Kao",
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
            "commune": "Xã Ea Kao",
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
            "commune": "Xã Ea Kao",
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
    assert response["Location"] == f"/can-bo/phan-anh/{report.pk}/"  # the office page
    assert report.reporter_name == "Lê Văn Cường"


def test_follow_a_report_after_confirming_by_e_mail(client, submitted):
    OutboxMessage.objects.all().delete()
    response = client.post(f"/phan-anh/{submitted.pk}/theo-doi/", {"email": "c@example.com"})
    assert response.status_code == 302
    assert Follower.objects.count() == 0  # not before the owner of the address confirms
    [mail] = OutboxMessage.objects.filter(topic="notify")
    assert mail.payload["to"] == "c@example.com"
    [link] = [x for x in mail.payload["body"].splitlines() if "/theo-doi/xac-nhan/" in x]
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "Xác nhận theo dõi" in page.content.decode()
    assert Follower.objects.count() == 0  # opening the link (a mail scanner) is not enough
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == f"/phan-anh/{submitted.pk}/"
    assert list(Follower.objects.values_list("email", flat=True)) == ["c@example.com"]


def test_a_forged_follow_confirmation_is_400_and_nothing_changes(client, submitted):
    from tinhso.core.models import AuditRecord

    token = actions.follow_token(submitted, "c@example.com")
    before = AuditRecord.objects.count()
    response = client.post(f"/phan-anh/theo-doi/xac-nhan/{token[:-3]}abc/")
    assert response.status_code == 400
    assert "Liên kết xác nhận không hợp lệ hoặc đã hết hạn" in response.content.decode()
    assert Follower.objects.count() == 0 and AuditRecord.objects.count() == before


def test_a_full_report_refuses_new_followers_with_a_message(client, submitted, monkeypatch):
    monkeypatch.setattr(actions, "MAX_FOLLOWERS", 1)
    actions.confirm_follow(actions.follow_token(submitted, "a@example.com"))
    OutboxMessage.objects.all().delete()
    response = client.post(
        f"/phan-anh/{submitted.pk}/theo-doi/", {"email": "c@example.com"}, follow=True
    )
    assert "Phản ánh này đã có 1 người theo dõi, không nhận thêm." in response.content.decode()
    assert list(Follower.objects.values_list("email", flat=True)) == ["a@example.com"]
    assert OutboxMessage.objects.count() == 0


def test_a_signed_in_citizen_reporting_anonymously_leaves_no_details(
    client, citizen, lights, communes
):
    client.force_login(citizen)
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Đèn tắt.",
            "commune": "Xã Ea Kao",
            "is_anonymous": "on",
            "consents_to_publish": "on",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.is_anonymous and report.reporter == citizen
    assert (report.reporter_name, report.reporter_email, report.reporter_phone) == ("", "", "")


def test_a_signed_in_citizen_reporting_openly_gets_their_details_filled_in(
    client, citizen, lights, communes
):
    client.force_login(citizen)
    client.post(
        "/phan-anh/gui/",
        {"category": lights.pk, "description": "Đèn tắt.", "commune": "Xã Ea Kao"},
    )
    report = Report.objects.get()
    assert (report.reporter_name, report.reporter_email, report.reporter_phone) == (
        "Trần Thị Bình",
        "binh@example.com",
        "0987654321",
    )


def test_more_than_five_photos_are_refused_before_any_is_decoded(
    client, lights, communes, monkeypatch
):
    from tinhso.feedback import views

    decoded = []
    monkeypatch.setattr(views, "clean_media", lambda data: decoded.append(data))
    photos = [SimpleUploadedFile(f"{i}.jpg", jpeg(), "image/jpeg") for i in range(6)]
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Đèn tắt.",
            "commune": "Xã Ea Kao",
            "photos": photos,
        },
    )
    assert response.status_code == 400
    assert "Gửi tối đa 5 ảnh." in response.content.decode()
    assert decoded == [] and Report.objects.count() == 0


def test_the_description_keeps_its_paragraphs(client, lights, communes):
    client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Đèn tắt   từ tối qua.  \r\n\r\n\r\nCột số 3 nghiêng.",
            "commune": "Xã Ea Kao",
            "consents_to_publish": "on",
        },
    )
    report = Report.objects.get()
    assert report.description == "Đèn tắt từ tối qua.\n\nCột số 3 nghiêng."
    page = client.get(f"/phan-anh/{report.pk}/").content.decode()
    assert "Đèn tắt từ tối qua.<br><br>Cột số 3 nghiêng." in page


@pytest.mark.parametrize("path", ["/phan-anh/", "/phan-anh/ban-do/"])
@pytest.mark.parametrize("params", [{"until": "9999-12-31"}, {"since": "1900-01-01"}])
def test_dates_out_of_range_are_refused_with_a_message(client, submitted, path, params):
    response = client.get(path, params)
    assert response.status_code == 200
    form = response.context["form"]
    [field] = params
    assert form.errors == {field: ["Ngày phải trong khoảng từ 01/01/2000 đến 31/12/2100."]}


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


@pytest.mark.parametrize("typed", ["Xã Ea Kao", "ea kao", "XA EA KAO", "  Ea  Kao "])
def test_the_commune_is_typed_by_name_with_or_without_diacritics(client, lights, communes, typed):
    response = client.post(
        "/phan-anh/gui/",
        {"category": lights.pk, "description": "Đèn tắt.", "commune": typed},
    )
    assert response.status_code == 200  # not published: the receipt page
    assert Report.objects.get().commune == communes["ea-kao"]


def test_an_unknown_commune_is_refused_with_the_typed_text_kept(client, lights, communes):
    response = client.post(
        "/phan-anh/gui/",
        {"category": lights.pk, "description": "Đèn tắt.", "commune": "Hòa Bình Xa Lắm"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Không có xã, phường “Hòa Bình Xa Lắm” trong tỉnh." in text
    assert 'value="Hòa Bình Xa Lắm"' in text and "Đèn tắt." in text
    assert not Report.objects.exists()


def test_the_form_offers_the_communes_and_a_location_button_instead_of_number_fields(
    client, lights, communes
):
    text = client.get("/phan-anh/gui/").content.decode()
    assert '<datalist id="xa-phuong">' in text
    assert '<option value="Phường Buôn Ma Thuột" data-key="phuong buon ma thuot">' in text
    assert 'list="xa-phuong"' in text and '<select name="commune"' not in text
    assert "Dùng vị trí của tôi" in text
    assert '<input type="hidden" name="lat"' in text and '<input type="hidden" name="long"' in text


def test_a_signed_in_citizens_contact_is_prefilled_from_the_account(client, lights, citizen):
    client.force_login(citizen)
    form = client.get("/phan-anh/gui/").context["form"]
    assert form["reporter_name"].value() == "Trần Thị Bình"
    assert form["reporter_email"].value() == "binh@example.com"
    assert form["reporter_phone"].value() == "0987654321"


def test_the_commune_at_a_position_comes_from_the_imported_boundaries(client, communes):
    from tinhso.places.boundaries import import_boundaries

    ring = [[108.0, 12.6], [108.1, 12.6], [108.1, 12.7], [108.0, 12.7], [108.0, 12.6]]
    import_boundaries(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"ma_xa": communes["buon-ma-thuot"].code},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        },
        actor=None,
    )
    url = "/phan-anh/xa-tai-vi-tri/"
    assert client.get(url, {"lat": "12.65", "long": "108.05"}).json() == {
        "commune": "Phường Buôn Ma Thuột"
    }
    assert client.get(url, {"lat": "21.0", "long": "105.8"}).json() == {"commune": None}
    assert client.get(url, {"lat": "abc", "long": "1"}).status_code == 400


def test_the_reporter_sees_the_reopen_button_only_within_the_reopen_window(
    client, citizen, new_report
):
    report = actions.submit_report(new_report(), reporter=citizen)
    actions.resolve_report(report, answer="Đã vá.", actor=None)
    client.force_login(citizen)
    text = client.get(f"/phan-anh/{report.pk}/").content.decode()
    assert "Mở lại phản ánh" in text and "Gửi đánh giá" in text
    Report.objects.filter(pk=report.pk).update(
        resolved_at=datetime(2020, 1, 1, 9, 0, tzinfo=VN)  # long past the 7 days
    )
    text = client.get(f"/phan-anh/{report.pk}/").content.decode()
    assert "Mở lại phản ánh" not in text and "Gửi đánh giá" in text
    client.logout()
    text = client.get(f"/phan-anh/{report.pk}/").content.decode()
    assert "Gửi đánh giá" not in text and "Theo dõi" in text
