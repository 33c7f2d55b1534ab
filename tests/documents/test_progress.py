"""Progress on an assignment (tiến độ xử lý, Decree 30/2020 Điều 24): who may record it, bad
input saves nothing, the first progress reports status 05 "Đang xử lý" to the sender
(QCVN 102:2016), and the notes show on the document's page and in the API."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditRecord
from tinhso.documents import actions
from tinhso.documents.models import Assignment, Document, Progress, Recipient, StatusEvent
from tinhso.people.models import Role
from tinhso.places.models import Agency

from .test_lifecycle import _issue
from .test_views import _sign_in


def _assigned(offices, **who) -> tuple[Document, Document, Assignment]:
    """The SXD document delivered to STP, registered and assigned (to the specialist unless
    `who` names a unit or another assignee). Returns (sent, incoming, assignment)."""
    sent = _issue(offices)
    stp = offices["STP"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    actions.register_incoming(incoming, actor=stp.clerk)
    who = who or {"assignee": stp.specialist}
    item = actions.assign(incoming, instruction="Chủ trì xử lý", days=3, actor=stp.leader, **who)
    return sent, incoming, item


def _state() -> tuple:
    return (
        Progress.objects.count(),
        list(Assignment.objects.order_by("pk").values_list("state", flat=True)),
        AuditRecord.objects.filter(action="documents.progress").count(),
        StatusEvent.objects.count(),
    )


def test_assignee_records_progress_and_the_sender_sees_05_once(offices):
    sent, incoming, item = _assigned(offices)
    specialist = offices["STP"].specialist
    entry = actions.record_progress(
        incoming, note="  Đã làm việc với\nchủ đầu tư ", actor=specialist
    )
    item.refresh_from_db()
    assert (entry.assignment, entry.author, entry.note) == (
        item,
        specialist,
        "Đã làm việc với\nchủ đầu tư",
    )
    assert item.state == Assignment.State.PROGRESS
    audit = AuditRecord.objects.get(action="documents.progress")
    assert (audit.object_id, audit.changes["state"]) == (str(item.pk), [None, "progress"])
    codes = list(sent.statuses.filter(outgoing=False).values_list("code", "description"))
    assert codes[-1] == ("05", "Đang xử lý")  # the internal note is not sent
    assert Recipient.objects.get(document=sent).last_status == "05"
    outgoing = incoming.statuses.filter(outgoing=True).values_list("code", flat=True)
    assert list(outgoing) == ["01", "03", "04", "05"]

    # A later note is recorded, but the sender already knows: no second 05.
    actions.record_progress(incoming, note="Đã dự thảo báo cáo", actor=specialist)
    assert Progress.objects.filter(assignment=item).count() == 2
    assert list(sent.statuses.filter(outgoing=False).values_list("code", flat=True)) == [
        "01",
        "03",
        "04",
        "05",
    ]
    # Finishing closes the assignment in progress and reports 06.
    actions.finish(incoming, result="Đã trả lời", actor=specialist)
    item.refresh_from_db()
    assert item.state == Assignment.State.DONE
    assert Recipient.objects.get(document=sent).last_status == "06"


def test_a_member_of_the_assigned_unit_and_a_leader_may_record(offices, make_official):
    stp = offices["STP"]
    unit = Agency.objects.create(
        code="000.01.03.H66",
        name="Phòng Hành chính tư pháp",
        short_name="HCTP",
        level=Agency.Level.UNIT,
        parent=stp.agency,
        province=stp.agency.province,
    )
    member = make_official("chuyenvien_hctp", (Role.SPECIALIST, unit))
    _sent, incoming, item = _assigned(offices, unit=unit)
    actions.record_progress(incoming, note="Phòng đang xác minh", actor=member)
    actions.record_progress(incoming, note="Lãnh đạo đôn đốc", actor=stp.leader)
    assert list(item.progress.values_list("author__username", flat=True)) == [
        "chuyenvien_hctp",
        "lanhdao_stp",
    ]


@pytest.mark.parametrize(
    ("who", "note", "message"),
    [
        ("clerk", "Ghi thay", "Bạn không được giao xử lý văn bản này."),
        ("other_specialist", "Ghi thay", "Bạn không được giao xử lý văn bản này."),
        ("sxd_leader", "Ghi thay", "Bạn không được giao xử lý văn bản này."),
        ("specialist", "   ", "Cần ghi nội dung tiến độ xử lý."),
        ("specialist", "x" * 5001, "Nội dung tiến độ quá dài (tối đa 5.000 ký tự)."),
    ],
)
def test_refused_progress_changes_nothing(offices, make_official, who, note, message):
    _sent, incoming, _item = _assigned(offices)
    stp = offices["STP"]
    people = {
        "clerk": stp.clerk,
        "other_specialist": make_official("chuyenvien2_stp", (Role.SPECIALIST, stp.agency)),
        "sxd_leader": offices["SXD"].leader,
        "specialist": stp.specialist,
    }
    before = _state()
    with pytest.raises(actions.DocumentError) as exc:
        actions.record_progress(incoming, note=note, actor=people[who])
    assert str(exc.value) == message
    assert _state() == before


def test_progress_needs_an_open_assignment_and_a_choice_between_several(offices):
    _sent, incoming, first = _assigned(offices)
    stp = offices["STP"]
    second = actions.assign(
        incoming, instruction="Phối hợp", days=3, assignee=stp.clerk, actor=stp.leader
    )
    before = _state()
    with pytest.raises(actions.DocumentError, match="Cần chọn phân công"):
        actions.record_progress(incoming, note="Đôn đốc", actor=stp.leader)
    with pytest.raises(actions.DocumentError, match="không còn mở"):
        other = actions.assign(
            Document.objects.get(pk=incoming.pk),
            instruction="",
            days=1,
            assignee=stp.leader,
            actor=stp.leader,
        )
        Assignment.objects.filter(pk=other.pk).update(state=Assignment.State.DONE)
        actions.record_progress(incoming, note="Đôn đốc", assignment=other, actor=stp.leader)
    assert Progress.objects.count() == before[0]
    actions.record_progress(incoming, note="Đôn đốc", assignment=second, actor=stp.leader)
    assert (first.progress.count(), second.progress.count()) == (0, 1)
    actions.finish(incoming, result="Xong", actor=stp.leader)
    with pytest.raises(actions.DocumentError, match="đang được phân công"):
        actions.record_progress(incoming, note="Muộn", actor=stp.specialist)


def test_page_offers_progress_to_the_assignee_and_shows_the_notes(client, offices, make_official):
    _sent, incoming, item = _assigned(offices)
    stp = offices["STP"]
    _sign_in(client, stp.specialist)
    page = client.get(f"/van-ban/{incoming.pk}/").content.decode()
    assert "Ghi tiến độ xử lý" in page and 'name="progress-note"' in page
    bad = client.post(f"/van-ban/{incoming.pk}/tien-do/", {"progress-note": ""})
    assert bad.status_code == 422
    assert "Vui lòng nhập thông tin này." in bad.content.decode()
    assert Progress.objects.count() == 0
    response = client.post(
        f"/van-ban/{incoming.pk}/tien-do/",
        {"progress-note": "Đã họp với các phòng"},
        follow=True,
    )
    page = response.content.decode()
    assert "Đã ghi tiến độ xử lý." in page
    assert "Tiến độ xử lý" in page and "Đã họp với các phòng" in page
    item.refresh_from_db()
    assert item.state == "progress" and item.get_state_display() in page

    # A specialist of the agency who was not assigned: no form, and a POST is a 403 (they see
    # the document, and hold no role for this step: as the API).
    other = make_official("chuyenvien2_stp", (Role.SPECIALIST, stp.agency))
    _sign_in(client, other)
    page = client.get(f"/van-ban/{incoming.pk}/").content.decode()
    assert "Đã họp với các phòng" in page and 'name="progress-note"' not in page
    denied = client.post(f"/van-ban/{incoming.pk}/tien-do/", {"progress-note": "Ghi thay"})
    assert denied.status_code == 403
    assert Progress.objects.count() == 1


def test_api_records_and_lists_progress(client, offices):
    sent, incoming, item = _assigned(offices)
    stp = offices["STP"]
    url = f"/api/v1/documents/{incoming.pk}/progress"

    _sign_in(client, stp.clerk)  # sees the document, is not assigned
    refused = client.post(url, {"note": "Ghi thay"}, content_type="application/json")
    assert refused.status_code == 403
    _sign_in(client, offices["SXD"].leader)  # another agency
    assert client.get(url).status_code == 404
    assert client.post(url, {"note": "x"}, content_type="application/json").status_code == 404
    assert Progress.objects.count() == 0

    _sign_in(client, stp.specialist)
    empty = client.post(url, {"note": " "}, content_type="application/json")
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["msg"] == "Cần ghi nội dung tiến độ xử lý."
    response = client.post(url, {"note": "Đang xác minh"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["assignment_id"], body["assignment_state"], body["note"]) == (
        item.pk,
        "progress",
        "Đang xác minh",
    )
    assert body["author_username"] == stp.specialist.username
    listed = client.get(url).json()
    assert [(e["note"], e["author_username"]) for e in listed] == [
        ("Đang xác minh", "chuyenvien_stp")
    ]
    assert Recipient.objects.get(document=sent).last_status == "05"
