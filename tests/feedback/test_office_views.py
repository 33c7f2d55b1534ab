"""The officials' pages for field reports: the queue, a report's page, each action through its
form, refusals (another agency, citizens, anonymous visitors, no second factor), bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import sign_in
from tests.tools import requires_tool
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.feedback import actions
from tinhso.feedback.models import Event, Photo, Report
from tinhso.people.models import Role

from .conftest import jpeg

VN = ZoneInfo("Asia/Ho_Chi_Minh")
QUEUE = "/can-bo/phan-anh/"


def page(pk: int) -> str:
    return reverse("feedback:office-detail", args=[pk])


def act(pk: int, action: str) -> str:
    return reverse("feedback:office-act", args=[pk, action])


@pytest.fixture
def specialist(make_official, agencies):
    return make_official("bmt", roles=((Role.SPECIALIST, agencies["BMT"]),))


@pytest.fixture
def colleague(make_official, agencies):
    return make_official("bmt2", roles=((Role.SPECIALIST, agencies["BMT"]),))


@pytest.fixture
def other(make_official, agencies):
    return make_official("eakao", roles=((Role.SPECIALIST, agencies["EAKAO"]),))


def world(report: Report) -> tuple:
    """Everything an action could change."""
    report.refresh_from_db()
    return (
        report.state,
        report.agency_id,
        report.assignee_id,
        report.answer,
        report.reason,
        report.duplicate_of_id,
        Event.objects.filter(report=report).count(),
        Photo.objects.filter(report=report).count(),
        AuditRecord.objects.exclude(action="personal_data.read").count(),
        OutboxMessage.objects.count(),
    )


# --- the queue ----------------------------------------------------------------------------


def test_the_queue_shows_the_agencys_reports_by_deadline_with_counts(
    client, new_report, lights, communes, specialist
):
    now = datetime(2026, 11, 23, 9, 0, tzinfo=VN)  # a Monday
    late = actions.submit_report(new_report(description="Cũ"), now=now - timedelta(days=14))
    fresh = actions.submit_report(new_report(description="Mới"), now=now)
    actions.verify_report(fresh, actor=None)
    elsewhere = actions.submit_report(
        new_report(commune=communes["ea-kao"], category=lights, attributes={})
    )
    sign_in(client, specialist)
    html = client.get(QUEUE).content.decode()
    assert f"PA-{late.pk}</a>" in html and f"PA-{fresh.pk}</a>" in html
    assert f"PA-{elsewhere.pk}</a>" not in html  # another commune's committee
    assert html.index(f"PA-{late.pk}</a>") < html.index(f"PA-{fresh.pk}</a>")  # due first
    assert 'Tất cả <span class="count">2</span>' in html
    assert 'Đã tiếp nhận <span class="count">1</span>' in html
    assert 'Đã xác minh <span class="count">1</span>' in html
    assert 'Đã xử lý xong <span class="count">0</span>' in html
    assert "an@example.com" not in html and "0912345678" not in html  # no contact in lists
    assert '<tr class="overdue">' in html and "(quá hạn)" in html


def test_the_queue_filters_by_state_category_commune_deadline_and_assignee(
    client, new_report, lights, communes, agencies, specialist, make_official
):
    leader = make_official("tinh", roles=((Role.LEADER, agencies["UBND"]),))
    road = actions.submit_report(new_report())  # Buôn Ma Thuột's committee
    light = actions.submit_report(
        new_report(category=lights, attributes={}, commune=communes["ea-kao"])
    )
    old = actions.submit_report(
        new_report(description="Quá hạn"), now=datetime(2026, 1, 5, 9, 0, tzinfo=VN)
    )
    actions.assign_report(old, assignee=specialist, actor=None)
    sign_in(client, leader)  # the province sees every agency below it

    def shown(query: str) -> set[int]:
        response = client.get(QUEUE + query)
        assert response.status_code == 200
        html = response.content.decode()
        return {r.pk for r in (road, light, old) if f"PA-{r.pk}</a>" in html}

    assert shown("") == {road.pk, light.pk, old.pk}
    assert shown("?state=assigned") == {old.pk}
    assert shown(f"?category={lights.pk}") == {light.pk}
    assert shown(f"?commune={communes['ea-kao'].pk}") == {light.pk}
    assert shown("?deadline=qua-han") == {old.pk}
    assert shown("?mine=on") == set()
    # street lights are due in 4 working hours: near their deadline
    assert light.pk in shown("?deadline=sap-den-han") and old.pk not in shown(
        "?deadline=sap-den-han"
    )
    # a bad filter is ignored with a message at the field, never a 500
    response = client.get(QUEUE + "?state=bay-bong")
    assert response.status_code == 200
    assert (
        "Hãy chọn một lựa chọn hợp lệ. bay-bong không phải là một trong các lựa chọn khả thi."
        in response.content.decode()
    )


def test_the_queue_costs_the_same_queries_for_5_or_30_rows(client, new_report, specialist):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, specialist)
    counted = []
    for rows in (5, 30):
        while Report.objects.count() < rows:
            actions.submit_report(new_report())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_the_queue_is_paginated(client, new_report, specialist):
    for n in range(32):
        actions.submit_report(new_report(description=f"Phản ánh {n}"))
    sign_in(client, specialist)
    first = client.get(QUEUE).content.decode()
    assert "<h2>32 phản ánh</h2>" in first and "Trang 1/2" in first
    assert first.count('<th scope="row">') == 30
    second = client.get(QUEUE + "?trang=2").content.decode()
    assert second.count('<th scope="row">') == 2 and "Trang 2/2" in second


def test_the_officials_menu_links_to_the_queue_and_hotline_staff_can_file(
    client, specialist, make_official, agencies
):
    sign_in(client, specialist)
    html = client.get(QUEUE).content.decode()
    assert f'<a href="{QUEUE}">Xử lý phản ánh hiện trường</a>' in html
    assert "Nhập phản ánh thay người dân" not in html
    desk = make_official("tongdai", roles=((Role.RECEIVING_OFFICER, agencies["UBND"]),))
    client.logout()
    sign_in(client, desk)
    html = client.get(QUEUE).content.decode()
    assert '<a href="/phan-anh/gui/">Nhập phản ánh thay người dân' in html


# --- the report's page --------------------------------------------------------------------


def test_the_report_page_shows_contact_history_photos_and_candidates(
    client, new_report, clean, specialist
):
    report = actions.submit_report(new_report(photos=(clean,)))
    near = actions.submit_report(
        new_report(description="Ổ gà cách 30 m.", lat=Decimal("12.668000"))
    )
    far = actions.submit_report(new_report(description="Xa.", lat=Decimal("12.700000")))
    # given an internal history line (escalation writes such lines)
    Event.objects.create(
        report=report, at=report.received_at, state="received", note="Nội bộ.", is_public=False
    )
    sign_in(client, specialist)
    response = client.get(page(report.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nguyễn Văn An" in html and "an@example.com" in html and "0912345678" in html
    assert "<dt>Mức độ nguy hiểm</dt><dd>Cao</dd>" in html  # the question and the answer
    assert "Đã tiếp nhận phản ánh." in html and "Nội bộ." in html
    assert '<span class="tag internal">nội bộ</span>' in html
    assert html.count("<img ") == 1
    assert f'href="{page(near.pk)}">PA-{near.pk}</a>' in html
    assert f"PA-{far.pk}</a>" not in html
    read = AuditRecord.objects.filter(action="personal_data.read", object_id=str(report.pk))
    assert read.count() == 1 and read.get().actor == specialist
    # only the actions a received report allows
    for allowed in ("verify", "assign", "start", "resolve", "reject", "duplicate", "reroute"):
        assert f'action="{act(report.pk, allowed)}"' in html


def test_an_anonymous_reporters_contact_is_not_shown(client, new_report, specialist):
    report = actions.submit_report(new_report(is_anonymous=True))
    sign_in(client, specialist)
    html = client.get(page(report.pk)).content.decode()
    assert "Phản ánh ẩn danh: không hiển thị thông tin liên hệ." in html
    assert "an@example.com" not in html and "0912345678" not in html


def test_a_closed_report_shows_no_action_forms(client, submitted, specialist):
    actions.reject_report(submitted, reason="Không thuộc thẩm quyền.", actor=None)
    sign_in(client, specialist)
    html = client.get(page(submitted.pk)).content.decode()
    assert "Phản ánh đã đóng, không còn thao tác nào." in html
    assert '<form method="post" action="/can-bo/' not in html


def test_an_assigned_report_offers_no_verify(client, submitted, specialist):
    actions.assign_report(submitted, assignee=specialist, actor=None)
    sign_in(client, specialist)
    html = client.get(page(submitted.pk)).content.decode()
    assert act(submitted.pk, "verify") not in html
    assert act(submitted.pk, "start") in html


# --- each action through the pages --------------------------------------------------------


def _done(response, report: Report, message: str, client) -> None:
    assert response.status_code == 302 and response["Location"] == page(report.pk)
    assert message in client.get(response["Location"]).content.decode()


def test_verify_assign_start_and_resolve_with_evidence(client, submitted, specialist, colleague):
    sign_in(client, specialist)
    _done(client.post(act(submitted.pk, "verify")), submitted, "Đã xác minh phản ánh", client)
    assert Report.objects.get(pk=submitted.pk).state == "verified"
    response = client.post(
        act(submitted.pk, "assign"),
        {"assign-assignee": colleague.pk, "assign-note": "Anh Bình đi kiểm tra."},
    )
    _done(response, submitted, "Đã giao xử lý phản ánh", client)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.assignee) == ("assigned", colleague)
    assert submitted.public_note == "Anh Bình đi kiểm tra."
    _done(
        client.post(act(submitted.pk, "start"), {"start-note": ""}), submitted, "đang xử lý", client
    )
    assert Report.objects.get(pk=submitted.pk).state == "in_progress"
    response = client.post(
        act(submitted.pk, "resolve"),
        {
            "resolve-answer": "Đã vá ổ gà ngày 24/11.",
            "resolve-evidence": [SimpleUploadedFile("sau.jpg", jpeg(gps=(12.6, 108.0)))],
        },
    )
    _done(response, submitted, "Đã trả lời công khai", client)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.answer) == ("resolved", "Đã vá ổ gà ngày 24/11.")
    [photo] = submitted.photos.filter(is_evidence=True)
    assert b"GPS" not in photo.image.read()
    done = list(
        AuditRecord.objects.filter(
            object_id=str(submitted.pk), action__startswith="feedback.report."
        )
        .order_by("pk")
        .values_list("action", "actor_id")
    )
    assert [a for a, _ in done] == [
        "feedback.report.submit",
        "feedback.report.verify",
        "feedback.report.assign",
        "feedback.report.start",
        "feedback.report.resolve",
    ]
    assert {actor for a, actor in done[1:]} == {specialist.pk}


def test_reject_with_a_reason(client, submitted, specialist):
    sign_in(client, specialist)
    response = client.post(act(submitted.pk, "reject"), {"reject-reason": "Không có sự việc."})
    _done(response, submitted, "Đã từ chối phản ánh", client)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.reason) == ("rejected", "Không có sự việc.")


def test_mark_duplicate_of_another_report(client, new_report, specialist):
    original = actions.submit_report(new_report(description="Gốc"))
    copy = actions.submit_report(new_report(description="Bản trùng"))
    sign_in(client, specialist)
    response = client.post(act(copy.pk, "duplicate"), {"duplicate-original": f"PA-{original.pk}"})
    _done(response, copy, "là trùng lặp", client)
    copy.refresh_from_db()
    assert (copy.state, copy.duplicate_of) == ("duplicate", original)


def test_reroute_to_another_agency_with_a_reason(client, submitted, specialist, agencies):
    sign_in(client, specialist)
    response = client.post(
        act(submitted.pk, "reroute"),
        {"reroute-agency": agencies["SXD"].pk, "reroute-reason": "Đường tỉnh lộ."},
    )
    # no longer the commune's: back to the queue, and its page is now refused to them
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert "Đã chuyển phản ánh" in client.get(QUEUE).content.decode()
    submitted.refresh_from_db()
    assert submitted.agency == agencies["SXD"]
    assert submitted.public_note == f"Chuyển đến {agencies['SXD'].name}: Đường tỉnh lộ."
    assert client.get(page(submitted.pk)).status_code == 404


# --- bad input: a message at the field, nothing lost, nothing changed ----------------------


def test_an_empty_answer_is_refused_at_the_field(client, submitted, specialist):
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(act(submitted.pk, "resolve"), {"resolve-answer": "   "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Cần nội dung trả lời công khai." in html
    assert world(submitted) == before


def test_a_fake_evidence_photo_keeps_the_answer_typed(client, submitted, specialist):
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(
        act(submitted.pk, "resolve"),
        {
            "resolve-answer": "Đã xử lý xong.",
            "resolve-evidence": [SimpleUploadedFile("anh.jpg", b"not an image at all")],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Đã xử lý xong.</textarea>" in html  # what was typed is kept
    assert 'id="id_resolve-evidence"' in html and 'role="alert"' in html
    assert world(submitted) == before


def test_a_reject_without_reason_and_a_reroute_without_agency(client, submitted, specialist):
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(act(submitted.pk, "reject"), {"reject-reason": ""})
    assert response.status_code == 400 and "Cần nêu lý do từ chối." in response.content.decode()
    response = client.post(act(submitted.pk, "reroute"), {"reroute-reason": "Sai nơi."})
    html = response.content.decode()
    assert response.status_code == 400 and "Hãy chọn cơ quan, đơn vị nhận." in html
    assert "Sai nơi.</textarea>" in html
    assert world(submitted) == before


def test_assigning_someone_outside_the_agency_is_refused(client, submitted, specialist, other):
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(act(submitted.pk, "assign"), {"assign-assignee": other.pk})
    assert response.status_code == 400
    assert "Cán bộ này không thuộc cơ quan xử lý phản ánh." in response.content.decode()
    assert world(submitted) == before


@pytest.mark.parametrize("given", ["ABC", "PA-999999", "0", "99999999999999999999"])
def test_a_bad_or_unknown_original_is_refused(client, submitted, specialist, given):
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(act(submitted.pk, "duplicate"), {"duplicate-original": given})
    assert response.status_code == 400
    html = response.content.decode()
    expected = (
        f"Không có phản ánh PA-{int(given.removeprefix('PA-'))}."
        if given.removeprefix("PA-").isdigit() and len(given) < 18
        else f"Số phản ánh không hợp lệ: {given}."
    )
    assert expected in html
    assert world(submitted) == before


def test_a_report_cannot_duplicate_itself(client, submitted, specialist):
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(act(submitted.pk, "duplicate"), {"duplicate-original": submitted.pk})
    assert response.status_code == 400
    assert "Không thể đánh dấu trùng với chính nó." in response.content.decode()
    assert world(submitted) == before


def test_an_action_the_state_does_not_allow_is_refused(client, submitted, specialist):
    actions.assign_report(submitted, assignee=specialist, actor=None)
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(act(submitted.pk, "verify"))
    assert response.status_code == 409
    assert "không thể thực hiện thao tác này" in response.content.decode()
    assert world(submitted) == before
    assert client.post(act(submitted.pk, "bay-bong")).status_code == 404
    assert world(submitted) == before


# --- refusals -----------------------------------------------------------------------------


def test_another_agencys_official_is_refused_and_nothing_changes(client, submitted, other):
    sign_in(client, other)
    before = world(submitted)
    assert client.get(page(submitted.pk)).status_code == 404  # as if it did not exist
    assert client.get(page(999_999)).status_code == 404
    response = client.post(act(submitted.pk, "reject"), {"reject-reason": "Không phải của tôi."})
    assert response.status_code == 404
    assert f"PA-{submitted.pk}</a>" not in client.get(QUEUE).content.decode()
    assert world(submitted) == before
    assert not AuditRecord.objects.filter(
        action="personal_data.read", object_id=str(submitted.pk)
    ).exists()


def test_a_citizen_gets_404_and_nothing_changes(client, submitted, citizen):
    client.force_login(citizen)
    before = world(submitted)
    assert client.get(QUEUE).status_code == 404
    assert client.get(page(submitted.pk)).status_code == 404
    assert client.post(act(submitted.pk, "verify")).status_code == 404
    assert world(submitted) == before


def test_an_anonymous_visitor_is_sent_to_sign_in(client, submitted):
    before = world(submitted)
    for response in (client.get(QUEUE), client.post(act(submitted.pk, "verify"))):
        assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")
    assert world(submitted) == before


def test_an_official_without_the_second_factor_is_signed_out(client, submitted, specialist):
    client.force_login(specialist)  # a session without a verified TOTP device
    before = world(submitted)
    response = client.post(act(submitted.pk, "verify"))
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")
    assert world(submitted) == before
    assert client.get(QUEUE).status_code == 302  # the session was ended


def test_posts_need_the_csrf_token(submitted, specialist):
    from django.test import Client

    client = sign_in(Client(enforce_csrf_checks=True), specialist)
    before = world(submitted)
    assert client.post(act(submitted.pk, "verify")).status_code == 403
    assert world(submitted) == before
    assert client.get(QUEUE).status_code == 200


def test_units_under_the_agency_come_first_among_reroute_targets(
    client, submitted, specialist, agencies, province
):
    from tinhso.places.models import Agency

    unit = Agency.objects.create(
        code="000.01.51.H66",
        name="Đội quản lý trật tự đô thị phường Buôn Ma Thuột",
        short_name="Đội TTĐT",
        level=Agency.Level.COMMUNE,
        parent=agencies["BMT"],
        province=province,
    )
    sign_in(client, specialist)
    html = client.get(page(submitted.pk)).content.decode()
    start = html.index('id="id_reroute-agency"')
    options = html[start : html.index("</select>", start)]
    assert options.index(unit.name) < options.index(agencies["SXD"].name)
    assert agencies["BMT"].name not in options  # not its own agency
    response = client.post(
        act(submitted.pk, "reroute"),
        {"reroute-agency": unit.pk, "reroute-reason": "Lấn chiếm vỉa hè."},
    )
    assert response.status_code == 302 and response["Location"] == page(submitted.pk)
    assert Report.objects.get(pk=submitted.pk).agency == unit  # still theirs: a unit below


def test_without_a_position_candidates_are_the_same_communes(
    client, new_report, specialist, communes
):
    report = actions.submit_report(new_report(lat=None, long=None))
    same = actions.submit_report(new_report(lat=None, long=None, description="Cùng phường"))
    actions.submit_report(
        new_report(lat=None, long=None, commune=communes["tan-lap"], description="Tân Lập")
    )
    sign_in(client, specialist)
    html = client.get(page(report.pk)).content.decode()
    start = html.index("Phản ánh có thể trùng")
    listed = html[start : html.index("<h2>", start + 1)]
    assert f"PA-{same.pk}</a>" in listed
    assert "Tân Lập" not in listed and f"PA-{report.pk}</a>" not in listed


def test_the_office_pages_in_english(client, submitted, specialist):
    sign_in(client, specialist)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    html = client.get(QUEUE).content.decode()
    assert "<h1>Handling field reports</h1>" in html
    assert 'Received <span class="count">1</span>' in html
    html = client.get(page(submitted.pk)).content.decode()
    assert "<legend>Reply publicly and close</legend>" in html
    response = client.post(act(submitted.pk, "reject"), {"reject-reason": ""})
    assert "A reason for rejecting is required." in response.content.decode()


def test_an_original_that_is_itself_a_duplicate_is_refused_at_the_field(
    client, new_report, specialist
):
    first = actions.submit_report(new_report(description="Gốc"))
    second = actions.submit_report(new_report(description="Trùng"))
    actions.mark_duplicate(second, original=first, actor=None)
    third = actions.submit_report(new_report(description="Lại trùng"))
    sign_in(client, specialist)
    before = world(third)
    response = client.post(act(third.pk, "duplicate"), {"duplicate-original": second.pk})
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('id="id_duplicate-original"') :]
    assert "Phản ánh gốc cũng là một phản ánh trùng; chọn phản ánh gốc." in field[:600]
    assert world(third) == before


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_as_evidence_is_stored_and_shown(client, submitted, specialist):
    from .videos import video

    sign_in(client, specialist)
    response = client.post(
        act(submitted.pk, "resolve"),
        {
            "resolve-answer": "Đã vá, xem video.",
            "resolve-evidence": [SimpleUploadedFile("sau.mp4", video("mp4", seconds=1))],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [stored] = Photo.objects.filter(report=submitted, is_evidence=True)
    assert stored.kind == "video"
    html = client.get(page(submitted.pk)).content.decode()
    assert f'<source src="/phan-anh/tep/{stored.pk}/video/" type="video/mp4">' in html


def test_an_internal_note_stays_inside_the_agency(client, submitted, specialist):
    from tinhso.core.models import AuditRecord, OutboxMessage

    sign_in(client, specialist)
    sent = OutboxMessage.objects.count()
    response = client.post(act(submitted.pk, "note"), {"note-note": "Đã gọi điện cho tổ dân phố."})
    _done(response, submitted, "Đã thêm ghi chú nội bộ", client)
    event = submitted.events.order_by("pk").last()
    assert (event.note, event.is_public, event.state) == (
        "Đã gọi điện cho tổ dân phố.",
        False,
        "received",
    )
    submitted.refresh_from_db()
    assert submitted.state == "received"
    assert OutboxMessage.objects.count() == sent  # nobody outside is told
    assert AuditRecord.objects.filter(action="feedback.report.note").count() == 1
    client.logout()
    public = client.get(f"/phan-anh/{submitted.pk}/").content.decode()
    assert "tổ dân phố" not in public


def test_an_empty_internal_note_is_refused_at_the_field(client, submitted, specialist):
    sign_in(client, specialist)
    before = world(submitted)
    response = client.post(act(submitted.pk, "note"), {"note-note": "  "})
    assert response.status_code == 400
    assert "Cần nội dung ghi chú." in response.content.decode()
    assert world(submitted) == before


def test_the_page_offers_no_assignment_when_nobody_could_be_given_the_report(
    client, new_report, lights, communes, make_official, agencies
):
    """A report of an agency without officials is seen by the province's leader: the
    assignment form would have an empty list, so it is not offered."""
    report = actions.submit_report(
        actions.NewReport(category=lights, description="Đèn tắt.", commune=communes["tan-lap"])
    )
    assert report.agency == agencies["UBND"]
    leader = make_official("lanhdao", roles=((Role.LEADER, agencies["UBND"]),))
    sign_in(client, leader)
    html = client.get(page(report.pk)).content.decode()
    assert act(report.pk, "assign") in html  # the leader can be given it
    # Moved to a commune's committee with no official: the leader above still sees it.
    Report.objects.filter(pk=report.pk).update(agency=agencies["EAKAO"])
    html = client.get(page(report.pk)).content.decode()
    assert act(report.pk, "verify") in html
    assert act(report.pk, "assign") not in html
