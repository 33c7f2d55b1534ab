"""Reports through their actions: routing, deadlines, history, audit, notifications, and
refusals that leave nothing behind."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.feedback import actions
from tinhso.feedback.models import Event, Photo, Report
from tinhso.feedback.rules import RuleError
from tinhso.people.models import Role

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=VN)


def notes(topic: str = "notify") -> list[dict]:
    return [m.payload for m in OutboxMessage.objects.filter(topic=topic).order_by("pk")]


def test_a_report_is_routed_by_the_communes_rule_and_gets_its_deadline(new_report, agencies):
    report = actions.submit_report(new_report(), now=MONDAY_9)
    assert report.agency == agencies["BMT"]
    assert report.state == Report.State.RECEIVED
    assert report.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=VN)
    assert report.attributes == {"muc-do": "cao"}
    assert report.token and len(report.token) == 32
    assert list(report.events.values_list("state", "note")) == [
        ("received", "Đã tiếp nhận phản ánh.")
    ]
    record = AuditRecord.objects.get(action="feedback.report.submit")
    assert record.object_id == str(report.pk)
    assert record.changes == {
        "category": "giao-thong",
        "agency": "000.01.50.H66",
        "channel": "web",
        "photos": 0,
        "videos": 0,
    }
    [note] = notes()
    assert note["channel"] == "email" and note["to"] == "an@example.com"
    assert note["subject"] == f"Phản ánh PA-{report.pk}: đã tiếp nhận"


def test_another_commune_goes_to_the_category_default(new_report, communes, agencies):
    report = actions.submit_report(new_report(commune=communes["tan-lap"]))
    assert report.agency == agencies["SXD"]


def test_without_a_rule_the_communes_committee_then_the_province_handle_it(
    lights, communes, agencies
):
    here = actions.submit_report(
        actions.NewReport(category=lights, description="Đèn tắt.", commune=communes["ea-kao"])
    )
    assert here.agency == agencies["EAKAO"]
    nowhere = actions.submit_report(
        actions.NewReport(category=lights, description="Đèn tắt.", address="Quốc lộ 14, km 3")
    )
    assert nowhere.agency == agencies["UBND"]


def test_a_photos_gps_fills_the_missing_location(new_report, clean):
    report = actions.submit_report(
        new_report(lat=None, long=None, address="", commune=None, photos=(clean,))
    )
    assert (report.lat, report.long) == (Decimal("12.667800"), Decimal("108.038200"))
    [photo] = report.photos.all()
    assert photo.content_type == "image/jpeg"
    assert b"Exif" not in photo.image.read()


def test_a_sms_goes_to_a_reporter_with_only_a_phone(new_report):
    actions.submit_report(new_report(reporter_email=""))
    [note] = notes()
    assert (note["channel"], note["to"]) == ("sms", "0912345678")


def test_an_anonymous_report_notifies_nobody(new_report):
    actions.submit_report(
        new_report(reporter_name="", reporter_email="", reporter_phone="", is_anonymous=True)
    )
    assert notes() == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"lat": None, "long": None, "address": "", "commune": None},
            "lat",
            "Cần vị trí: chọn trên bản đồ, nhập địa chỉ, hoặc chọn xã, phường và mô tả nơi xảy ra.",
        ),
        ({"lat": Decimal("48.85"), "long": Decimal("2.35")}, "lat", None),
        ({"long": None}, "long", "Cần cả vĩ độ (lat) và kinh độ (long)."),
        ({"description": "  "}, "description", "Hãy mô tả sự việc hoặc gửi kèm ảnh."),
        ({"attributes": {}}, "muc-do", "Chưa trả lời câu hỏi: Mức độ nguy hiểm."),
        (
            {"attributes": {"muc-do": "rat-cao"}},
            "muc-do",
            "Lựa chọn 'rat-cao' không có trong câu hỏi muc-do.",
        ),
        (
            {"attributes": {"muc-do": "cao", "la": "x"}},
            "la",
            "Câu hỏi bổ sung 'la' không thuộc lĩnh vực này.",
        ),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_stored(new_report, overrides, field, message):
    with pytest.raises(RuleError) as caught:
        actions.submit_report(new_report(**overrides))
    assert caught.value.field == field
    if message:
        assert caught.value.message == message
    assert Report.objects.count() == 0
    assert Event.objects.count() == 0
    assert Photo.objects.count() == 0
    assert not AuditRecord.objects.filter(action="feedback.report.submit").exists()
    assert notes() == []


def test_the_workflow_to_a_public_answer(submitted, make_official, agencies, clean):
    officer = make_official("chuyenvien", roles=((Role.SPECIALIST, agencies["BMT"]),))
    actions.verify_report(submitted, actor=officer)
    actions.assign_report(submitted, assignee=officer, actor=officer)
    actions.start_work(submitted, actor=officer, note="Đã cử đội sửa chữa.")
    report = actions.resolve_report(
        submitted, answer="Đã vá ổ gà ngày 25/11.", actor=officer, evidence=[clean]
    )
    assert report.state == Report.State.RESOLVED
    assert report.answer == "Đã vá ổ gà ngày 25/11."
    assert report.resolved_at is not None
    assert list(report.events.values_list("state", flat=True)) == [
        "received",
        "verified",
        "assigned",
        "in_progress",
        "resolved",
    ]
    assert report.photos.filter(is_evidence=True).count() == 1
    actions_logged = list(
        AuditRecord.objects.filter(object_id=str(report.pk), action__startswith="feedback.report")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions_logged == [
        "feedback.report.submit",
        "feedback.report.verify",
        "feedback.report.assign",
        "feedback.report.start",
        "feedback.report.resolve",
    ]
    assert [n["subject"].split(": ")[1] for n in notes()] == [
        "đã tiếp nhận",
        "đã xác minh",
        "đã giao xử lý",
        "đang xử lý",
        "đã xử lý xong",
    ]


def test_assigning_to_someone_outside_the_agency_is_refused(submitted, make_official, agencies):
    outsider = make_official("sxd", roles=((Role.SPECIALIST, agencies["SXD"]),))
    with pytest.raises(RuleError) as caught:
        actions.assign_report(submitted, assignee=outsider, actor=outsider)
    assert caught.value.message == "Người được giao không thuộc cơ quan xử lý phản ánh này."
    submitted.refresh_from_db()
    assert submitted.state == "received" and submitted.assignee is None


def test_a_rejection_needs_a_reason_and_closes_the_report(submitted):
    with pytest.raises(RuleError):
        actions.reject_report(submitted, reason=" ", actor=None)
    report = actions.reject_report(submitted, reason="Không thuộc địa bàn tỉnh.", actor=None)
    assert (report.state, report.reason) == ("rejected", "Không thuộc địa bàn tỉnh.")
    with pytest.raises(RuleError) as caught:
        actions.start_work(report, actor=None)
    assert caught.value.message == (
        "Phản ánh đang ở trạng thái “từ chối”, không thể chuyển sang “đang xử lý”."
    )


def test_a_duplicate_points_to_its_original(submitted, new_report):
    second = actions.submit_report(new_report(description="Ổ gà trước nhà số 12."))
    report = actions.mark_duplicate(second, original=submitted, actor=None)
    assert (report.state, report.duplicate_of) == ("duplicate", submitted)
    with pytest.raises(RuleError):
        actions.mark_duplicate(submitted, original=submitted, actor=None)


def test_rerouting_needs_a_reason_and_keeps_the_deadline(submitted, agencies):
    due = submitted.due_at
    with pytest.raises(RuleError):
        actions.reroute_report(submitted, agency=agencies["SXD"], reason="", actor=None)
    report = actions.reroute_report(
        submitted, agency=agencies["SXD"], reason="Quốc lộ do Sở quản lý.", actor=None
    )
    assert report.agency == agencies["SXD"] and report.due_at == due
    assert (
        report.events.last().note == "Chuyển đến Sở Xây dựng tỉnh Đắk Lắk: Quốc lộ do Sở quản lý."
    )


def test_the_reporter_reopens_within_the_period_and_gets_a_new_deadline(submitted):
    resolved = actions.resolve_report(submitted, answer="Đã sửa.", actor=None, now=MONDAY_9)
    late = MONDAY_9 + timedelta(days=8)
    with pytest.raises(RuleError) as caught:
        actions.reopen_report(resolved, note="Vẫn còn.", actor=None, now=late)
    assert caught.value.message == "Chỉ mở lại được phản ánh đã xử lý xong, trong 7 ngày."
    report = actions.reopen_report(
        resolved, note="Ổ gà lại bị vỡ.", actor=None, now=MONDAY_9 + timedelta(days=1)
    )
    assert report.state == "in_progress" and report.resolved_at is None
    # Reopened on 24/11, a day off: the clock starts at 07:30 on Wednesday 25/11, and five
    # working days from an opening end at the close of the fifth, Tuesday 1/12.
    assert report.due_at == datetime(2026, 12, 1, 17, 0, tzinfo=VN)


def test_rating_only_a_resolved_report(submitted):
    with pytest.raises(RuleError):
        actions.rate_answer(submitted, rating=5, actor=None)
    resolved = actions.resolve_report(submitted, answer="Đã sửa.", actor=None)
    assert actions.rate_answer(resolved, rating=4, actor=None).rating == 4


def _confirm_link(note: dict) -> str:
    [line] = [x for x in note["body"].splitlines() if "/theo-doi/xac-nhan/" in x]
    return line.rsplit("/theo-doi/xac-nhan/", 1)[1].rstrip("/")


def test_followers_hear_of_public_changes_once_each(submitted):
    OutboxMessage.objects.all().delete()
    assert actions.request_follow(submitted, email="Binh@Example.com") is True
    [mail] = notes()
    assert (mail["to"], mail["subject"]) == (
        "binh@example.com",
        f"Xác nhận theo dõi phản ánh PA-{submitted.pk}",
    )
    token = _confirm_link(mail)
    follower = actions.confirm_follow(token)
    assert (follower.report_id, follower.email) == (submitted.pk, "binh@example.com")
    assert actions.confirm_follow(token) == follower  # a second click changes nothing
    assert actions.request_follow(submitted, email="binh@example.com") is False
    OutboxMessage.objects.all().delete()
    actions.start_work(submitted, actor=None)
    assert sorted(n["to"] for n in notes()) == ["an@example.com", "binh@example.com"]
    assert AuditRecord.objects.filter(action="feedback.report.follow").count() == 1


def test_a_follow_request_stores_nothing_until_it_is_confirmed(submitted):
    OutboxMessage.objects.all().delete()
    actions.request_follow(submitted, email="binh@example.com")
    assert submitted.followers.count() == 0
    actions.start_work(submitted, actor=None)
    assert [n["to"] for n in notes()][1:] == ["an@example.com"]


def test_a_forged_or_expired_confirmation_is_refused_and_nothing_changes(submitted, settings):
    token = actions.follow_token(submitted, "binh@example.com")
    audit_before = AuditRecord.objects.count()
    for bad in (token[:-2] + "xx", "khong-hop-le"):
        with pytest.raises(RuleError) as caught:
            actions.confirm_follow(bad)
        assert caught.value.field == "token"
    from unittest import mock

    later = datetime.now().timestamp() + (actions.FOLLOW_CONFIRM_DAYS + 1) * 86400
    with mock.patch("time.time", return_value=later), pytest.raises(RuleError) as caught:
        actions.confirm_follow(token)
    assert caught.value.message == (
        "Liên kết xác nhận không hợp lệ hoặc đã hết hạn; hãy đăng ký theo dõi lại."
    )
    assert submitted.followers.count() == 0
    assert AuditRecord.objects.count() == audit_before


def test_followers_are_capped_per_report(submitted, monkeypatch):
    monkeypatch.setattr(actions, "MAX_FOLLOWERS", 2)
    tokens = [actions.follow_token(submitted, f"n{i}@example.com") for i in range(3)]
    actions.confirm_follow(tokens[0])
    actions.confirm_follow(tokens[1])
    OutboxMessage.objects.all().delete()
    audit_before = AuditRecord.objects.count()
    message = "Phản ánh này đã có 2 người theo dõi, không nhận thêm."
    with pytest.raises(RuleError) as caught:
        actions.request_follow(submitted, email="n2@example.com")
    assert (caught.value.field, caught.value.message) == ("email", message)
    with pytest.raises(RuleError) as caught:
        actions.confirm_follow(tokens[2])
    assert caught.value.message == message
    assert sorted(submitted.followers.values_list("email", flat=True)) == [
        "n0@example.com",
        "n1@example.com",
    ]
    assert notes() == [] and AuditRecord.objects.count() == audit_before


def test_overdue_reports_escalate_once_per_deadline_up_the_tree(
    new_report, agencies, make_official
):
    leader = make_official("lanhdao", roles=((Role.LEADER, agencies["UBND"]),))
    report = actions.submit_report(new_report(), now=MONDAY_9)
    OutboxMessage.objects.all().delete()
    assert actions.escalate_overdue(now=datetime(2026, 12, 1, 9, 0, tzinfo=VN)) == []
    after = datetime(2026, 12, 1, 9, 1, tzinfo=VN)
    [moved] = actions.escalate_overdue(now=after)
    assert moved.pk == report.pk
    report.refresh_from_db()
    assert report.agency == agencies["UBND"]
    assert report.escalated_at == after
    assert report.due_at == datetime(2026, 12, 8, 9, 1, tzinfo=VN)
    [note] = notes()
    assert note["to"] == leader.email
    assert note["subject"] == f"Phản ánh PA-{report.pk} quá hạn xử lý"
    # Within the new deadline: nothing more.
    assert actions.escalate_overdue(now=datetime(2026, 12, 8, 9, 1, tzinfo=VN)) == []
    # The supervising agency misses it too: escalated again; the provincial committee is the
    # top of the tree, so it stays there, its leaders are told, and the deadline stays.
    again = datetime(2026, 12, 8, 9, 2, tzinfo=VN)
    assert [r.pk for r in actions.escalate_overdue(now=again)] == [report.pk]
    report.refresh_from_db()
    assert (report.agency, report.escalated_at) == (agencies["UBND"], again)
    assert report.due_at == datetime(2026, 12, 8, 9, 1, tzinfo=VN)
    assert [n["to"] for n in notes()] == [leader.email, leader.email]
    # Once per deadline: a month later, nothing more.
    assert actions.escalate_overdue(now=again + timedelta(days=30)) == []
    assert AuditRecord.objects.filter(action="feedback.report.escalate").count() == 2


def test_escalation_goes_further_up_when_the_supervisor_has_a_parent(
    new_report, agencies, make_official, province
):
    from tinhso.places.models import Agency

    ward_office = Agency.objects.create(
        code="000.01.51.H66",
        name="Phòng Quản lý đô thị phường Buôn Ma Thuột",
        short_name="QLĐT",
        level=Agency.Level.COMMUNE,
        parent=agencies["BMT"],
        province=province,
    )
    report = actions.submit_report(new_report(), now=MONDAY_9)
    Report.objects.filter(pk=report.pk).update(agency=ward_office)
    first = datetime(2026, 12, 1, 9, 1, tzinfo=VN)
    actions.escalate_overdue(now=first)
    report.refresh_from_db()
    assert report.agency == agencies["BMT"]
    second = report.due_at + timedelta(minutes=1)
    assert [r.pk for r in actions.escalate_overdue(now=second)] == [report.pk]
    report.refresh_from_db()
    assert (report.agency, report.escalated_at) == (agencies["UBND"], second)
    assert report.due_at > second
    changes = [
        r.changes["agency_id"]
        for r in AuditRecord.objects.filter(action="feedback.report.escalate").order_by("pk")
    ]
    assert changes == [
        [ward_office.pk, agencies["BMT"].pk],
        [agencies["BMT"].pk, agencies["UBND"].pk],
    ]


def test_more_than_five_evidence_photos_are_refused_and_nothing_changes(submitted, clean):
    audit_before = AuditRecord.objects.count()
    outbox_before = OutboxMessage.objects.count()
    with pytest.raises(RuleError) as caught:
        actions.resolve_report(submitted, answer="Đã vá.", actor=None, evidence=[clean] * 6)
    assert (caught.value.field, caught.value.message) == (
        "evidence",
        "Gửi tối đa 5 ảnh kết quả xử lý.",
    )
    submitted.refresh_from_db()
    assert (submitted.state, submitted.answer, submitted.photos.count()) == ("received", "", 0)
    assert AuditRecord.objects.count() == audit_before
    assert OutboxMessage.objects.count() == outbox_before


def test_an_anonymous_report_of_a_signed_in_citizen_stores_no_account_details(new_report):
    from tinhso.people import actions as people_actions

    citizen = people_actions.register_citizen(
        full_name="Trần Thị Bình",
        personal_id="066190001234",
        password="mat-khau-rat-dai-2025",
        phone="0987654321",
        email="binh@example.com",
    )
    report = actions.submit_report(
        new_report(
            reporter_name="Trần Thị Bình", reporter_email="", reporter_phone="", is_anonymous=True
        ),
        reporter=citizen,
    )
    assert (report.reporter_name, report.reporter_email, report.reporter_phone) == ("", "", "")
    # An address typed in for follow-up is kept (for notifications only); never the name.
    typed = actions.submit_report(
        new_report(reporter_email="hoi@example.com", reporter_phone="", is_anonymous=True),
        reporter=citizen,
    )
    assert (typed.reporter_name, typed.reporter_email, typed.reporter_phone) == (
        "",
        "hoi@example.com",
        "",
    )


def test_answers_and_notes_keep_their_paragraphs(submitted):
    actions.start_work(submitted, actor=None, note="Đã cử   đội.\r\n\r\n\r\nChiều nay làm.")
    resolved = actions.resolve_report(
        submitted, answer="  Đã vá ổ gà.\n\n\n\nĐã\x01 rải nhựa.  ", actor=None
    )
    assert resolved.answer == "Đã vá ổ gà.\n\nĐã rải nhựa."
    assert list(resolved.events.values_list("note", flat=True)) == [
        "Đã tiếp nhận phản ánh.",
        "Đã cử đội.\n\nChiều nay làm.",
        "Đã vá ổ gà.\n\nĐã rải nhựa.",
    ]


def test_an_unpublished_report_cannot_be_followed(new_report):
    hidden = actions.submit_report(new_report(consents_to_publish=False))
    audit_before = AuditRecord.objects.count()
    with pytest.raises(RuleError) as caught:
        actions.confirm_follow(actions.follow_token(hidden, "binh@example.com"))
    assert caught.value.message == "Không tìm thấy phản ánh."
    assert hidden.followers.count() == 0 and AuditRecord.objects.count() == audit_before
