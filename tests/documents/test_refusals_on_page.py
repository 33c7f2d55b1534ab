"""A refused step shows the document's own page with the reason on top (the status says the
refusal: 403 no role, 409 wrong state or turn), not the site's 403 page with citizens'
links; a step already done says so plainly and changes nothing; a document out of reach
stays a 404."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditRecord
from tinhso.documents import actions
from tinhso.documents.models import Document, StatusEvent
from tinhso.people.models import Role

from .test_views import _sign_in

ERROR_PAGE = "Bạn không có quyền xem trang này"


@pytest.fixture
def sxd(offices):
    return offices["SXD"]


@pytest.fixture
def head(sxd, make_official):
    return make_official("truongphong_sxd", (Role.HEAD_OF_UNIT, sxd.agency))


def _draft(sxd) -> Document:
    return actions.create_draft(
        sxd.agency,
        doc_type="CV",
        subject="Về việc rà soát hồ sơ",
        signer=sxd.leader,
        actor=sxd.specialist,
    )


def _approved(sxd) -> Document:
    draft = _draft(sxd)
    actions.approve_draft(draft, actor=sxd.leader)
    return draft


def _snapshot(doc: Document) -> tuple:
    doc.refresh_from_db()
    return (
        doc.state,
        doc.number_and_notation,
        doc.files.count(),
        doc.review_steps.count(),
        StatusEvent.objects.count(),
        AuditRecord.objects.count(),
    )


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_a_clerk_pressing_approve_sees_the_reason_on_the_document(client, sxd, head):
    draft = _draft(sxd)
    actions.submit_draft(draft, reviewers=[head], actor=sxd.specialist)
    before = _snapshot(draft)
    _sign_in(client, sxd.clerk)
    response = client.post(f"/van-ban/{draft.pk}/duyet/")
    html = response.content.decode()
    assert response.status_code == 403  # as the API
    assert response.templates[0].name == "documents/detail.html"
    assert _messages(response) == [("error", "Bạn không có trong danh sách duyệt dự thảo này.")]
    assert "Về việc rà soát hồ sơ" in html and ERROR_PAGE not in html
    assert _snapshot(draft) == before
    # the reason was shown once: the page opened again has no stale message
    again = client.get(f"/van-ban/{draft.pk}/")
    assert again.status_code == 200 and _messages(again) == []


def test_a_specialist_pressing_sign_sees_the_reason_on_the_document(client, sxd):
    draft = _approved(sxd)
    before = _snapshot(draft)
    _sign_in(client, sxd.specialist)
    response = client.post(f"/van-ban/{draft.pk}/ky/", {"sign-pin": ""})
    html = response.content.decode()
    assert response.status_code == 403
    assert response.templates[0].name == "documents/detail.html"
    assert _messages(response) == [("error", "Chỉ lãnh đạo cơ quan được thực hiện thao tác này.")]
    assert "Về việc rà soát hồ sơ" in html and ERROR_PAGE not in html
    assert _snapshot(draft) == before


def test_a_step_the_state_does_not_allow_is_409_on_the_document(client, sxd):
    draft = _draft(sxd)  # not approved yet
    before = _snapshot(draft)
    _sign_in(client, sxd.leader)
    response = client.post(f"/van-ban/{draft.pk}/ky/", {"sign-pin": ""})
    assert response.status_code == 409
    assert response.templates[0].name == "documents/detail.html"
    assert _messages(response) == [("error", "Chỉ ký được văn bản đã duyệt.")]
    assert _snapshot(draft) == before


def _twice(client, doc: Document, slug: str, data=None):
    first = client.post(f"/van-ban/{doc.pk}/{slug}/", data or {})
    assert first.status_code == 302, first.content[:300]
    assert [m for m in _messages(client.get(first["Location"])) if m[0] == "success"]
    after_first = _snapshot(doc)
    second = client.post(f"/van-ban/{doc.pk}/{slug}/", data or {})
    assert second.status_code == 303 and second["Location"] == f"/van-ban/{doc.pk}/"
    assert _snapshot(doc) == after_first  # nothing changed the second time
    return client.get(second["Location"])


def test_signing_twice_says_it_is_signed(client, sxd):
    draft = _approved(sxd)
    _sign_in(client, sxd.leader)
    page = _twice(client, draft, "ky", {"sign-pin": ""})
    assert _messages(page) == [("info", "Văn bản đã được ký.")]
    assert draft.state == "signed"


def test_issuing_twice_says_it_is_issued(client, sxd):
    draft = actions.sign_document(_approved(sxd), signer=sxd.leader)
    _sign_in(client, sxd.clerk)
    page = _twice(client, draft, "phat-hanh")
    assert _messages(page) == [("info", "Văn bản đã được phát hành.")]
    assert (draft.state, draft.number_and_notation) == ("issued", "01/SXD")


def test_submitting_and_approving_twice_say_so(client, sxd, head):
    draft = _draft(sxd)
    _sign_in(client, sxd.specialist)
    page = _twice(client, draft, "trinh", {"submit-reviewer_1": head.pk})
    assert _messages(page) == [("info", "Dự thảo đã được trình duyệt.")]
    # the head approves their step; the chain moves to the leader, who signs
    _sign_in(client, head)
    page = _twice(client, draft, "duyet")
    assert _messages(page) == [
        ("info", "Bạn đã duyệt dự thảo này; dự thảo đang chờ người duyệt tiếp theo.")
    ]
    _sign_in(client, sxd.leader)
    page = _twice(client, draft, "duyet")
    assert _messages(page) == [("info", "Dự thảo đã được duyệt.")]
    assert draft.state == "approved"


def test_a_role_refusal_is_not_taken_for_a_step_already_done(client, sxd):
    # The clerk may not sign: a signed document still answers them 403, not "already signed".
    draft = actions.sign_document(_approved(sxd), signer=sxd.leader)
    _sign_in(client, sxd.clerk)
    response = client.post(f"/van-ban/{draft.pk}/ky/", {"sign-pin": ""})
    assert response.status_code == 403
    assert _messages(response) == [("error", "Chỉ lãnh đạo cơ quan được thực hiện thao tác này.")]


def test_a_document_out_of_reach_stays_404(client, offices, sxd):
    draft = _approved(sxd)
    _sign_in(client, offices["STP"].leader)
    for slug in ("ky", "duyet", "phat-hanh"):
        response = client.post(f"/van-ban/{draft.pk}/{slug}/", {})
        assert response.status_code == 404
        assert "Về việc rà soát hồ sơ" not in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "approved"
