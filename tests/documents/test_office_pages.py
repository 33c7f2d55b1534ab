"""Officials' document pages: "việc của tôi", paper intake, a new draft, and every step on a
document's page (register, reject, assign, finish, link, answer a change, approve, sign,
issue, recall). Each refusal (wrong role, other agency, citizen, no second factor, no CSRF
token) and each bad input (a Vietnamese message) leaves the database as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.tools import requires_tool
from tinhso.core.models import AuditRecord
from tinhso.documents import actions
from tinhso.documents.models import Assignment, Document, StatusEvent
from tinhso.people.models import Role, User

from .test_lifecycle import _issue
from .test_views import _sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _incoming(offices) -> Document:
    _issue(offices)
    return Document.objects.get(direction="incoming", agency=offices["STP"].agency)


def _snapshot() -> tuple:
    return (
        list(Document.objects.order_by("pk").values_list("pk", "state", "pending_change")),
        Assignment.objects.count(),
        AuditRecord.objects.count(),
    )


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


# --- "việc của tôi" -----------------------------------------------------------------------


def test_my_work_lists_each_role_its_tasks_overdue_first(client, offices):
    incoming = _incoming(offices)
    stp = offices["STP"]
    _sign_in(client, stp.clerk)
    page = client.get("/van-ban/viec-cua-toi/").content.decode()
    assert "Chờ vào sổ: 1" in page and "Về việc kiểm tra công trình xây dựng" in page
    actions.register_incoming(incoming, actor=stp.clerk)
    assert "Chờ vào sổ: 1" not in client.get("/van-ban/viec-cua-toi/").content.decode()

    _sign_in(client, stp.leader)
    assert "Chờ phân công: 1" in client.get("/van-ban/viec-cua-toi/").content.decode()

    # Two documents assigned to the specialist: the overdue one is listed first.
    later = actions.record_paper_document(
        stp.agency,
        doc_type="CV",
        subject="Văn bản giấy hạn muộn",
        number_and_notation="7/UBND-VX",
        sender_name="UBND xã",
        document_date=None,
        pdf=PDF,
        actor=stp.clerk,
    )
    actions.register_incoming(later, actor=stp.clerk)
    actions.assign(later, instruction="", days=10, assignee=stp.specialist, actor=stp.leader)
    actions.assign(incoming, instruction="", days=1, assignee=stp.specialist, actor=stp.leader)
    Assignment.objects.filter(document=incoming).update(deadline=timezone.now() - timedelta(days=1))
    _sign_in(client, stp.specialist)
    page = client.get("/van-ban/viec-cua-toi/").content.decode()
    assert "Được giao xử lý: 2" in page
    assert page.index("Về việc kiểm tra công trình") < page.index("Văn bản giấy hạn muộn")
    assert "(quá hạn)" in page


def test_my_work_offers_approve_sign_and_issue_to_their_roles(client, offices):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency,
        doc_type="CV",
        subject="Dự thảo chờ duyệt",
        signer=sxd.leader,
        actor=sxd.specialist,
    )
    _sign_in(client, sxd.leader)
    assert "Chờ duyệt: 1" not in client.get("/van-ban/viec-cua-toi/").content.decode()
    actions.submit_draft(draft, actor=sxd.specialist)  # to the signer alone
    assert "Chờ duyệt: 1" in client.get("/van-ban/viec-cua-toi/").content.decode()
    actions.approve_draft(draft, actor=sxd.leader)
    assert "Chờ ký: 1" in client.get("/van-ban/viec-cua-toi/").content.decode()
    actions.sign_document(draft, signer=sxd.leader)
    _sign_in(client, sxd.clerk)
    assert "Chờ phát hành: 1" in client.get("/van-ban/viec-cua-toi/").content.decode()
    # Another agency's clerk has nothing to do.
    _sign_in(client, offices["STP"].clerk)
    assert (
        "Không có văn bản nào đang chờ bạn."
        in client.get("/van-ban/viec-cua-toi/").content.decode()
    )


# --- paper intake -------------------------------------------------------------------------


def _paper_post(**overrides):
    data = {
        "doc_type": "QD",
        "number_and_notation": "15/QĐ-UBND",
        "document_date": "2026-01-05",
        "sender_name": "UBND huyện Krông Pắc",
        "subject": "Về việc thành lập tổ công tác",
        "scan": _upload("quet.pdf", PDF),
    }
    data.update(overrides)
    return data


def test_clerk_records_a_paper_document(client, offices):
    stp = offices["STP"]
    _sign_in(client, stp.clerk)
    assert "Bản quét (PDF)" in client.get("/van-ban/tiep-nhan-giay/").content.decode()
    response = client.post(
        "/van-ban/tiep-nhan-giay/", _paper_post(agency=stp.agency.pk), follow=True
    )
    doc = Document.objects.get(channel="paper")
    assert response.redirect_chain[-1][0] == f"/van-ban/{doc.pk}/"
    html = response.content.decode()
    assert "Đã tiếp nhận văn bản giấy. Văn bản đang chờ vào sổ." in html
    assert "bản quét không mang chữ ký số" in html
    assert (doc.agency, doc.state, doc.number_and_notation, doc.doc_type) == (
        stp.agency,
        "received",
        "15/QĐ-UBND",
        "QD",
    )
    assert bytes(doc.files.get(kind="main").data) == PDF
    assert AuditRecord.objects.filter(
        action="documents.receive_paper", object_id=str(doc.pk), actor=stp.clerk
    ).exists()


def test_a_draft_for_an_agency_the_official_does_not_draft_for_is_403(client, offices):
    # The page offers only their agencies; another one posted anyway is refused by the
    # action's rule, as in the API (403), not by the list (it used to be a 422).
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    before = _snapshot()
    post = _draft_post(sxd, agency=offices["STP"].agency.pk)
    assert client.post("/van-ban/du-thao/moi/", post).status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scan": _upload("quet.txt", b"khong phai pdf")}, "Bản quét phải là tệp PDF."),
        ({"subject": ""}, "Vui lòng nhập thông tin này."),
        ({"scan": ""}, "Vui lòng chọn tệp bản quét."),
        ({"document_date": "2999-01-01"}, "Ngày văn bản không được sau hôm nay."),
        ({"document_date": "05/01/abc"}, "Ngày không hợp lệ."),
        ({"doc_type": "XX"}, "Lựa chọn không hợp lệ."),
        (
            {"number_and_notation": "không có số"},
            "Số, ký hiệu không đúng dạng Số/Ký hiệu: &#x27;không có số&#x27;.",
        ),
    ],
)
def test_paper_intake_refuses_bad_input_and_saves_nothing(client, offices, overrides, message):
    stp = offices["STP"]
    _sign_in(client, stp.clerk)
    before = _snapshot()
    response = client.post(
        "/van-ban/tiep-nhan-giay/", _paper_post(agency=stp.agency.pk, **overrides)
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot() == before


def test_paper_intake_refuses_another_agency_and_non_clerks(client, offices):
    stp = offices["STP"]
    _sign_in(client, stp.clerk)
    before = _snapshot()
    response = client.post("/van-ban/tiep-nhan-giay/", _paper_post(agency=offices["SXD"].agency.pk))
    assert response.status_code == 422 and "Lựa chọn không hợp lệ." in response.content.decode()
    _sign_in(client, stp.specialist)
    assert client.get("/van-ban/tiep-nhan-giay/").status_code == 404
    assert (
        client.post("/van-ban/tiep-nhan-giay/", _paper_post(agency=stp.agency.pk)).status_code
        == 404
    )
    assert _snapshot() == before


# --- incoming steps -----------------------------------------------------------------------


def test_clerk_rejects_with_a_reason_and_the_sender_hears_02(client, offices):
    incoming = _incoming(offices)
    _sign_in(client, offices["STP"].clerk)
    before = _snapshot()
    response = client.post(f"/van-ban/{incoming.pk}/tu-choi/", {"reject-reason": ""})
    assert response.status_code == 422
    assert "Vui lòng nhập thông tin này." in response.content.decode()
    assert _snapshot() == before
    response = client.post(
        f"/van-ban/{incoming.pk}/tu-choi/",
        {"reject-reason": "Gửi nhầm cơ quan"},
        follow=True,
    )
    assert "Đã từ chối tiếp nhận văn bản" in response.content.decode()
    incoming.refresh_from_db()
    assert incoming.state == "rejected"
    sent = Document.objects.get(direction="outgoing", agency=offices["SXD"].agency)
    assert sent.statuses.filter(code="02", description="Gửi nhầm cơ quan").exists()


def test_leader_assigns_and_the_assignee_finishes(client, offices):
    incoming = _incoming(offices)
    stp = offices["STP"]
    actions.register_incoming(incoming, actor=stp.clerk)
    _sign_in(client, stp.leader)
    page = client.get(f"/van-ban/{incoming.pk}/").content.decode()
    assert "Phân công xử lý" in page and stp.specialist.full_name in page
    response = client.post(
        f"/van-ban/{incoming.pk}/phan-cong/",
        {
            "assign-assignee": stp.specialist.pk,
            "assign-instruction": "Chủ trì, báo cáo trước thứ Sáu",
            "assign-days": "3",
        },
        follow=True,
    )
    assert "Đã phân công xử lý." in response.content.decode()
    item = Assignment.objects.get(document=incoming)
    assert (item.assignee, item.instruction, item.assigned_by) == (
        stp.specialist,
        "Chủ trì, báo cáo trước thứ Sáu",
        stp.leader,
    )
    incoming.refresh_from_db()
    assert incoming.state == "assigned"

    _sign_in(client, stp.specialist)
    page = client.get(f"/van-ban/{incoming.pk}/").content.decode()
    assert "Hoàn thành xử lý" in page and "Phân công</button>" not in page
    response = client.post(
        f"/van-ban/{incoming.pk}/hoan-thanh/",
        {"finish-result": "Đã cử cán bộ phối hợp"},
        follow=True,
    )
    assert "Đã hoàn thành xử lý văn bản." in response.content.decode()
    incoming.refresh_from_db()
    item.refresh_from_db()
    assert (incoming.state, item.state, item.result) == (
        "finished",
        "done",
        "Đã cử cán bộ phối hợp",
    )
    sent = Document.objects.get(direction="outgoing", agency=offices["SXD"].agency)
    assert list(sent.statuses.values_list("code", flat=True)) == ["01", "03", "04", "06"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"assign-days": "3"}, "Cần chọn đơn vị hoặc người xử lý."),
        ({"assign-assignee": "SELF", "assign-days": "0"}, "Hạn xử lý phải từ 1 ngày làm việc."),
        ({"assign-assignee": "SELF", "assign-days": "ba"}, "Hạn xử lý phải là một số ngày."),
        ({"assign-assignee": "OTHER", "assign-days": "3"}, "Lựa chọn không hợp lệ."),
    ],
)
def test_assign_refuses_bad_input(client, offices, data, message):
    incoming = _incoming(offices)
    stp = offices["STP"]
    actions.register_incoming(incoming, actor=stp.clerk)
    people = {"SELF": stp.specialist.pk, "OTHER": offices["SXD"].specialist.pk}
    data = {k: people.get(v, v) for k, v in data.items()}
    _sign_in(client, stp.leader)
    before = _snapshot()
    response = client.post(f"/van-ban/{incoming.pk}/phan-cong/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot() == before


def test_a_step_in_the_wrong_state_is_refused_with_the_actions_message(client, offices):
    incoming = _incoming(offices)
    stp = offices["STP"]
    _sign_in(client, stp.leader)
    before = _snapshot()
    response = client.post(
        f"/van-ban/{incoming.pk}/phan-cong/",
        {"assign-assignee": stp.specialist.pk, "assign-days": "3"},
        follow=True,
    )
    assert "Chỉ phân công được văn bản đã vào sổ." in response.content.decode()
    assert _snapshot() == before


def test_links_to_a_document_and_a_dossier(client, offices):
    incoming = _incoming(offices)
    stp = offices["STP"]
    other = actions.record_paper_document(
        stp.agency,
        doc_type="CV",
        subject="Văn bản trước đó",
        number_and_notation="3/UBND-VX",
        sender_name="UBND tỉnh",
        document_date=None,
        pdf=PDF,
        actor=stp.clerk,
    )
    _sign_in(client, stp.specialist)
    response = client.post(
        f"/van-ban/{incoming.pk}/lien-ket/",
        {"link-related": other.pk, "link-dossier_code": "H66.03-260101-0001"},
        follow=True,
    )
    html = response.content.decode()
    assert "Đã liên kết." in html and "Văn bản trước đó" in html and "H66.03-260101-0001" in html
    incoming.refresh_from_db()
    assert list(incoming.related.all()) == [other]
    assert incoming.dossier_codes == ["H66.03-260101-0001"]


def test_link_refuses_a_document_the_user_cannot_see_and_empty_input(client, offices):
    incoming = _incoming(offices)
    sent = Document.objects.get(direction="outgoing", agency=offices["SXD"].agency)
    _sign_in(client, offices["STP"].clerk)
    before = _snapshot()
    response = client.post(
        f"/van-ban/{incoming.pk}/lien-ket/", {"link-related": sent.pk}, follow=True
    )
    assert "Không tìm thấy văn bản liên quan." in response.content.decode()
    response = client.post(f"/van-ban/{incoming.pk}/lien-ket/", {})
    assert response.status_code == 422
    assert "Cần chọn văn bản hoặc hồ sơ liên quan." in response.content.decode()
    assert _snapshot() == before
    assert not incoming.related.exists()


def test_clerk_answers_the_senders_recall(client, offices):
    incoming = _incoming(offices)
    sent = Document.objects.get(direction="outgoing", agency=offices["SXD"].agency)
    actions.recall_document(sent, reason="Ban hành nhầm", actor=offices["SXD"].clerk)
    _sign_in(client, offices["STP"].clerk)
    page = client.get(f"/van-ban/{incoming.pk}/").content.decode()
    assert "Nơi gửi đề nghị thu hồi, lấy lại văn bản này." in page
    before = _snapshot()
    assert client.post(f"/van-ban/{incoming.pk}/tra-loi-thay-doi/", {}).status_code == 422
    assert _snapshot() == before
    response = client.post(
        f"/van-ban/{incoming.pk}/tra-loi-thay-doi/", {"answer-accept": "yes"}, follow=True
    )
    assert "Đã đồng ý yêu cầu của nơi gửi." in response.content.decode()
    incoming.refresh_from_db()
    assert (incoming.state, incoming.pending_change) == ("recalled", "")
    assert sent.statuses.filter(code="15").exists()


# --- outgoing -----------------------------------------------------------------------------


def _draft_post(office, **overrides):
    data = {
        "agency": office.agency.pk,
        "doc_type": "CV",
        "unit": "QLXD",
        "subject": "Về việc tổng kết công tác năm",
        "content": "Sở Xây dựng đề nghị các đơn vị báo cáo.",
        "urgency": "urgent",
        "secrecy": "",
        "signer": office.leader.pk,
        "signer_position": "Giám đốc",
        "place": "Đắk Lắk",
    }
    data.update(overrides)
    return data


def test_specialist_drafts_from_the_template_and_the_document_goes_all_the_way(client, offices):
    sxd, stp = offices["SXD"], offices["STP"]
    _sign_in(client, sxd.specialist)
    page = client.get("/van-ban/du-thao/moi/").content.decode()
    assert "Soạn dự thảo văn bản" in page and stp.agency.name in page
    # Recipients are checkbox lists, not lists that need Ctrl-click.
    assert '<select name="internal"' not in page and "multiple" not in page
    assert f'<input type="checkbox" name="internal" value="{stp.agency.pk}"' in page
    response = client.post(
        "/van-ban/du-thao/moi/", _draft_post(sxd, internal=[stp.agency.pk]), follow=True
    )
    draft = Document.objects.get(direction="outgoing", subject="Về việc tổng kết công tác năm")
    assert response.redirect_chain[-1][0] == f"/van-ban/{draft.pk}/"
    assert "Đã tạo dự thảo." in response.content.decode()
    assert (draft.state, draft.signer, draft.urgency, draft.unit) == (
        "draft",
        sxd.leader,
        "urgent",
        "QLXD",
    )
    assert list(draft.recipients.values_list("organ_id", flat=True)) == [stp.agency.code]
    assert bytes(draft.files.get(kind="main").data).startswith(b"%PDF-")

    # The specialist may not approve; they submit to the signer, who approves and signs.
    assert client.post(f"/van-ban/{draft.pk}/duyet/").status_code == 403
    # The agency's only leader is the signer, and still a choice in the review chain (the
    # list used to leave the signer out, and was empty); no step the specialist may not take.
    page = client.get(f"/van-ban/{draft.pk}/").content.decode()
    assert f'<option value="{sxd.leader.pk}">{sxd.leader.full_name}</option>' in page
    assert "Duyệt dự thảo" not in page and "Cấp số và phát hành" not in page
    client.post(f"/van-ban/{draft.pk}/trinh/", {})
    _sign_in(client, sxd.leader)
    page = client.get(f"/van-ban/{draft.pk}/").content.decode()
    assert "Duyệt dự thảo" in page
    response = client.post(f"/van-ban/{draft.pk}/duyet/", {"approve-comment": ""}, follow=True)
    assert "Đã duyệt dự thảo; văn bản chờ ký." in response.content.decode()
    page = client.get(f"/van-ban/{draft.pk}/").content.decode()
    assert "Chứng thư số dùng để ký" in page and "Mã PIN" in page
    response = client.post(f"/van-ban/{draft.pk}/ky/", {"sign-pin": ""}, follow=True)
    assert "Đã ký số văn bản." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "signed"

    # The clerk issues; the recipient inside the instance has it at once.
    assert client.post(f"/van-ban/{draft.pk}/phat-hanh/").status_code == 403  # not the clerk
    _sign_in(client, sxd.clerk)
    response = client.post(f"/van-ban/{draft.pk}/phat-hanh/", follow=True)
    html = response.content.decode()
    assert "Đã phát hành văn bản số 01/SXD-QLXD." in html
    assert "01 Đã đến" in html
    draft.refresh_from_db()
    assert (draft.state, draft.agency_signed) == ("issued", True)
    # The issued file is named by its number and notation, and downloads by that name.
    main = draft.files.get(kind="main")
    assert main.name == "01-SXD-QLXD.pdf"
    assert '">01-SXD-QLXD.pdf</a>' in html
    download = client.get(f"/van-ban/{draft.pk}/tep/{main.pk}/")
    assert download["Content-Disposition"] == 'attachment; filename="01-SXD-QLXD.pdf"'
    assert Document.objects.filter(
        direction="incoming", agency=stp.agency, exchange_id=draft.exchange_id
    ).exists()

    # Recall, with a reason.
    before = _snapshot()
    assert client.post(f"/van-ban/{draft.pk}/thu-hoi/", {"recall-reason": ""}).status_code == 422
    assert _snapshot() == before
    response = client.post(
        f"/van-ban/{draft.pk}/thu-hoi/", {"recall-reason": "Sai nơi nhận"}, follow=True
    )
    assert "Đã thu hồi văn bản; nơi nhận được báo." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "recalled"
    received = Document.objects.get(direction="incoming", exchange_id=draft.exchange_id)
    assert received.pending_change == "recall"
    assert StatusEvent.objects.filter(document=draft, code="13", outgoing=True).exists()


def test_draft_from_an_uploaded_pdf_keeps_the_file(client, offices):
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    client.post("/van-ban/du-thao/moi/", _draft_post(sxd, file=_upload("du-thao.pdf", PDF)))
    draft = Document.objects.get(direction="outgoing")
    main = draft.files.get(kind="main")
    assert (bytes(main.data), main.name) == (PDF, "du-thao.pdf")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject": ""}, "Vui lòng nhập thông tin này."),
        ({"file": _upload("a.txt", b"van ban thuong")}, "Tệp dự thảo phải là tệp PDF hoặc DOCX."),
        ({"signer": "UBND"}, "Người ký phải là lãnh đạo của cơ quan ban hành."),
        ({"signer": "CLERK"}, "Người ký phải là lãnh đạo của cơ quan ban hành."),
        ({"unit": "VX 1"}, "Nhóm chữ viết tắt không hợp lệ trong ký hiệu: &#x27;VX 1&#x27;."),
        ({"doc_type": ""}, "Vui lòng chọn."),
    ],
)
def test_draft_refuses_bad_input_and_saves_nothing(client, offices, overrides, message):
    sxd = offices["SXD"]
    # The specialist also drafts for UBND, so UBND's leader is offered as a signer, but not
    # for a document of SXD.
    from tinhso.people import actions as people_actions

    people_actions.grant_role(sxd.specialist, offices["UBND"].agency, Role.SPECIALIST, actor=None)
    named = {
        "UBND": offices["UBND"].leader.pk,
        "CLERK": sxd.clerk.pk,
        "STP": offices["STP"].agency.pk,
    }
    overrides = {k: named.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    _sign_in(client, sxd.specialist)
    before = _snapshot()
    response = client.post("/van-ban/du-thao/moi/", _draft_post(sxd, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot() == before


def test_the_token_pin_reaches_sign_document(client, offices, monkeypatch):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="CV", subject="Ký bằng token", signer=sxd.leader, actor=sxd.specialist
    )
    actions.approve_draft(draft, actor=sxd.leader)
    seen = []
    original = actions.sign_document

    def recording(document, **kwargs):
        seen.append(kwargs.get("pin"))
        return original(document, **kwargs)

    monkeypatch.setattr(actions, "sign_document", recording)
    _sign_in(client, sxd.leader)
    response = client.post(f"/van-ban/{draft.pk}/ky/", {"sign-pin": "123456"}, follow=True)
    assert "Đã ký số văn bản." in response.content.decode()
    assert seen == ["123456"]
    assert "123456" not in response.content.decode()


def test_only_the_named_signer_signs(client, offices, make_official):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="CV", subject="Chờ ký", signer=sxd.leader, actor=sxd.specialist
    )
    actions.approve_draft(draft, actor=sxd.leader)  # the signer approves directly
    deputy = make_official("phogiamdoc_sxd", (Role.LEADER, sxd.agency))
    _sign_in(client, deputy)
    assert "Ký số</button>" not in client.get(f"/van-ban/{draft.pk}/").content.decode()
    before = _snapshot()
    # a leader who is not the named signer holds no role for this step: 403, as the API
    assert client.post(f"/van-ban/{draft.pk}/ky/", {}).status_code == 403
    assert _snapshot() == before


# --- refusals -----------------------------------------------------------------------------

STEPS = [
    "vao-so",
    "tu-choi",
    "phan-cong",
    "hoan-thanh",
    "lien-ket",
    "tra-loi-thay-doi",
    "trinh",
    "sua",
    "duyet",
    "tra-lai",
    "ky",
    "phat-hanh",
    "thu-hoi",
]


@pytest.mark.parametrize("slug", STEPS)
def test_another_agencys_official_gets_404_for_every_step(client, offices, slug):
    incoming = _incoming(offices)
    sent = Document.objects.get(direction="outgoing", agency=offices["SXD"].agency)
    _sign_in(client, offices["UBND"].leader)
    before = _snapshot()
    for doc in (incoming, sent):
        assert client.get(f"/van-ban/{doc.pk}/").status_code == 404
        assert client.post(f"/van-ban/{doc.pk}/{slug}/", {"x": "1"}).status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("slug", "who"),
    [
        ("vao-so", "specialist"),
        ("tu-choi", "leader"),
        ("phan-cong", "clerk"),
        ("hoan-thanh", "specialist"),
        ("tra-loi-thay-doi", "leader"),
    ],
)
def test_wrong_role_in_the_agency_gets_403_and_nothing_changes(client, offices, slug, who):
    # The document is within their reach (their agency's): a role they do not hold for the
    # step is 403, before the input is read, as in the API (documents/permissions.py).
    incoming = _incoming(offices)
    _sign_in(client, getattr(offices["STP"], who))
    before = _snapshot()
    assert client.post(f"/van-ban/{incoming.pk}/{slug}/", {}).status_code == 403
    assert _snapshot() == before


def test_unknown_step_is_404(client, offices):
    incoming = _incoming(offices)
    _sign_in(client, offices["STP"].clerk)
    assert client.post(f"/van-ban/{incoming.pk}/xoa/").status_code == 404


def test_citizen_gets_404_everywhere(client, offices):
    incoming = _incoming(offices)
    citizen = User.objects.create_user(username="congdan", password="x", kind=User.Kind.CITIZEN)
    client.force_login(citizen)
    before = _snapshot()
    for url in ("/van-ban/viec-cua-toi/", "/van-ban/tiep-nhan-giay/", "/van-ban/du-thao/moi/"):
        assert client.get(url).status_code == 404
    assert client.get(f"/van-ban/{incoming.pk}/").status_code == 404
    assert client.post(f"/van-ban/{incoming.pk}/vao-so/").status_code == 404
    assert _snapshot() == before


def test_official_without_second_factor_is_sent_to_sign_in(client, offices):
    incoming = _incoming(offices)
    client.force_login(offices["STP"].clerk)  # no TOTP device verified in this session
    before = _snapshot()
    response = client.post(f"/van-ban/{incoming.pk}/vao-so/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    response = client.get("/van-ban/viec-cua-toi/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    assert _snapshot() == before


def test_a_post_without_the_csrf_token_is_refused(offices):
    incoming = _incoming(offices)
    client = Client(enforce_csrf_checks=True)
    _sign_in(client, offices["STP"].clerk)
    before = _snapshot()
    assert client.post(f"/van-ban/{incoming.pk}/vao-so/").status_code == 403
    assert _snapshot() == before


@requires_tool("soffice")
def test_a_docx_draft_is_converted_and_kept_as_the_source(client, offices):
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("Kế hoạch kiểm tra công trình năm 2026")
    out = io.BytesIO()
    document.save(out)
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    response = client.post(
        "/van-ban/du-thao/moi/", _draft_post(sxd, file=_upload("ke-hoach.docx", out.getvalue()))
    )
    assert response.status_code == 302
    draft = Document.objects.get(direction="outgoing")
    assert bytes(draft.files.get(kind="main").data).startswith(b"%PDF-")
    assert bytes(draft.files.get(kind="source").data) == out.getvalue()


def test_a_broken_docx_is_refused_in_vietnamese_and_nothing_is_saved(client, offices):
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    before = _snapshot()
    response = client.post(
        "/van-ban/du-thao/moi/", _draft_post(sxd, file=_upload("hong.docx", b"PK\x03\x04hong"))
    )
    assert response.status_code == 422
    assert "Tệp không phải tệp DOCX hợp lệ." in response.content.decode()
    assert _snapshot() == before


# --- the review chain -----------------------------------------------------------------------


def test_review_chain_submit_return_revise_resubmit_approve(client, offices, make_official):
    sxd = offices["SXD"]
    head = make_official("truongphong_sxd", (Role.HEAD_OF_UNIT, sxd.agency))
    draft = actions.create_draft(
        sxd.agency,
        doc_type="CV",
        subject="Dự thảo trình duyệt",
        signer=sxd.leader,
        actor=sxd.specialist,
    )
    _sign_in(client, sxd.specialist)
    page = client.get(f"/van-ban/{draft.pk}/").content.decode()
    assert "Trình duyệt dự thảo" in page and head.full_name in page
    response = client.post(
        f"/van-ban/{draft.pk}/trinh/", {"submit-reviewer_1": head.pk}, follow=True
    )
    assert "Đã trình duyệt dự thảo." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "in_review"
    assert [(s.position, s.reviewer) for s in draft.review_steps.all()] == [
        (1, head),
        (2, sxd.leader),
    ]

    # The signer's turn has not come: refused, nothing changes.
    _sign_in(client, sxd.leader)
    assert "Duyệt dự thảo</button>" not in client.get(f"/van-ban/{draft.pk}/").content.decode()
    before = _snapshot()
    response = client.post(f"/van-ban/{draft.pk}/duyet/", {}, follow=True)
    assert "Chưa đến lượt bạn duyệt dự thảo này." in response.content.decode()
    assert _snapshot() == before

    # The head of unit returns it; a return needs a comment.
    _sign_in(client, head)
    assert "Chờ duyệt: 1" in client.get("/van-ban/viec-cua-toi/").content.decode()
    response = client.post(f"/van-ban/{draft.pk}/tra-lai/", {"return-comment": ""})
    assert response.status_code == 422
    assert "Cần ghi ý kiến khi trả lại dự thảo." in response.content.decode()
    assert _snapshot() == before
    response = client.post(
        f"/van-ban/{draft.pk}/tra-lai/", {"return-comment": "Sửa căn cứ pháp lý"}, follow=True
    )
    html = response.content.decode()
    assert "Đã trả lại dự thảo cho người soạn thảo." in html and "Sửa căn cứ pháp lý" in html
    draft.refresh_from_db()
    assert draft.state == "draft"

    # The drafter sees it returned, uploads a new version and resubmits to the same people.
    _sign_in(client, sxd.specialist)
    assert "Dự thảo bị trả lại: 1" in client.get("/van-ban/viec-cua-toi/").content.decode()
    response = client.post(
        f"/van-ban/{draft.pk}/sua/", {"revise-file": _upload("v2.pdf", PDF)}, follow=True
    )
    assert "Đã cập nhật dự thảo" in response.content.decode()
    assert bytes(draft.files.get(kind="main").data) == PDF
    assert draft.files.filter(kind="version").count() == 1
    client.post(f"/van-ban/{draft.pk}/trinh/", {})
    _sign_in(client, head)
    response = client.post(
        f"/van-ban/{draft.pk}/duyet/", {"approve-comment": "Đồng ý"}, follow=True
    )
    assert "Đã duyệt; dự thảo được chuyển người duyệt tiếp theo." in response.content.decode()
    _sign_in(client, sxd.leader)
    response = client.post(f"/van-ban/{draft.pk}/duyet/", {}, follow=True)
    assert "Đã duyệt dự thảo; văn bản chờ ký." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "approved"
    assert list(draft.review_steps.values_list("round", "position", "state")) == [
        (1, 1, "returned"),
        (1, 2, "skipped"),
        (2, 1, "approved"),
        (2, 2, "approved"),
    ]


def test_revise_refuses_a_bad_file_and_another_drafter(client, offices, make_official):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="CV", subject="Dự thảo", signer=sxd.leader, actor=sxd.specialist
    )
    other = make_official("chuyenvien2_sxd", (Role.SPECIALIST, sxd.agency))
    _sign_in(client, sxd.specialist)
    before = _snapshot()
    response = client.post(
        f"/van-ban/{draft.pk}/sua/", {"revise-file": _upload("a.txt", b"khong phai")}
    )
    assert response.status_code == 422
    assert "Tệp dự thảo phải là tệp PDF hoặc DOCX." in response.content.decode()
    _sign_in(client, other)
    assert "Sửa dự thảo" not in client.get(f"/van-ban/{draft.pk}/").content.decode()
    response = client.post(f"/van-ban/{draft.pk}/sua/", {"revise-file": _upload("b.pdf", PDF)})
    assert response.status_code == 403  # not the drafter: no role for this step, as the API
    assert _snapshot() == before
    assert draft.files.filter(kind="version").count() == 0
