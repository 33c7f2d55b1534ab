"""The review and approval chain of a draft: submit, approve in turn, return, revise,
resubmit; only the current reviewer acts; a draft not fully approved cannot be signed."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditRecord
from tinhso.documents import actions, rendering
from tinhso.documents.models import Document, DocumentFile, ReviewStep
from tinhso.people.models import Role

from .test_views import _sign_in


@pytest.fixture
def chain(offices, make_official):
    """SXD with a head of unit and a deputy director besides the director who signs."""
    sxd = offices["SXD"]
    head = make_official("truongphong_sxd", (Role.HEAD_OF_UNIT, sxd.agency))
    deputy = make_official("phogiamdoc_sxd", (Role.LEADER, sxd.agency))
    return sxd, head, deputy


def _draft(sxd) -> Document:
    return actions.create_draft(
        sxd.agency,
        doc_type="QD",
        subject="Quyết định phê duyệt kế hoạch kiểm tra",
        content="Phê duyệt kế hoạch kiểm tra năm 2026.",
        signer=sxd.leader,
        signer_position="Giám đốc",
        actor=sxd.specialist,
    )


def _steps(doc: Document) -> list[tuple[int, int, str, str]]:
    return [
        (s.round, s.position, s.reviewer.username, s.state)
        for s in doc.review_steps.select_related("reviewer").order_by("round", "position")
    ]


def _pdf(text: str) -> bytes:
    from datetime import date

    return rendering.render_pdf(
        rendering.Draft(
            "Sở Xây dựng", "UBND tỉnh", "Số: /QĐ-SXD", "Đắk Lắk", date(2026, 3, 2),
            "Quyết định", text, text, "Giám đốc", "Cán bộ lanhdao_sxd",
        )
    )  # fmt: skip


def test_the_chain_passes_in_order_and_ends_with_the_signer(chain):
    sxd, head, deputy = chain
    doc = _draft(sxd)
    # The signer is appended when the drafter leaves them out.
    actions.submit_draft(doc, reviewers=[head, deputy], actor=sxd.specialist)
    doc.refresh_from_db()
    assert doc.state == Document.State.IN_REVIEW
    assert _steps(doc) == [
        (1, 1, "truongphong_sxd", "pending"),
        (1, 2, "phogiamdoc_sxd", "pending"),
        (1, 3, "lanhdao_sxd", "pending"),
    ]
    assert actions.current_step(doc).reviewer == head

    # Not the deputy's turn yet, nor the signer's: refused, nothing changes.
    for early in (deputy, sxd.leader):
        with pytest.raises(actions.DocumentError, match="Chưa đến lượt bạn duyệt"):
            actions.approve_draft(doc, actor=early)
    assert [s[3] for s in _steps(doc)] == ["pending", "pending", "pending"]

    actions.approve_draft(doc, actor=head, comment="Đồng ý trình")
    actions.approve_draft(doc, actor=deputy)
    doc.refresh_from_db()
    assert doc.state == Document.State.IN_REVIEW  # not approved until the signer approves
    with pytest.raises(actions.DocumentError, match="Chỉ ký được văn bản đã duyệt"):
        actions.sign_document(doc, signer=sxd.leader)

    actions.approve_draft(doc, actor=sxd.leader)
    doc.refresh_from_db()
    assert doc.state == Document.State.APPROVED
    assert [s[3] for s in _steps(doc)] == ["approved", "approved", "approved"]
    assert doc.review_steps.get(position=1).comment == "Đồng ý trình"
    assert list(
        AuditRecord.objects.filter(object_id=str(doc.pk), object_type="documents.document")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "documents.draft.create",
        "documents.draft.submit",
        "documents.review.start",
        "documents.review.approve",
        "documents.review.approve",
        "documents.review.approve",
        "documents.draft.approve",
    ]
    signed = actions.sign_document(doc, signer=sxd.leader)
    assert signed.state == Document.State.SIGNED


def test_a_return_goes_back_to_the_drafter_who_revises_and_resubmits(chain):
    sxd, head, deputy = chain
    doc = _draft(sxd)
    first_main = actions.main_file(doc)
    actions.submit_draft(doc, reviewers=[head, deputy, sxd.leader], actor=sxd.specialist)
    actions.approve_draft(doc, actor=head)
    with pytest.raises(actions.DocumentError, match="Cần ghi ý kiến"):
        actions.return_draft(doc, comment="  ", actor=deputy)
    with pytest.raises(actions.DocumentError, match="Chưa đến lượt"):
        actions.return_draft(doc, comment="Sửa lại", actor=sxd.leader)
    actions.return_draft(doc, comment="Bổ sung căn cứ pháp lý.", actor=deputy)
    doc.refresh_from_db()
    assert doc.state == Document.State.DRAFT
    assert _steps(doc) == [
        (1, 1, "truongphong_sxd", "approved"),
        (1, 2, "phogiamdoc_sxd", "returned"),
        (1, 3, "lanhdao_sxd", "skipped"),
    ]
    assert doc.review_steps.get(position=2).comment == "Bổ sung căn cứ pháp lý."
    # A returned draft cannot be approved or signed.
    with pytest.raises(actions.DocumentError):
        actions.approve_draft(doc, actor=sxd.leader)
    with pytest.raises(actions.DocumentError, match="Chỉ ký được văn bản đã duyệt"):
        actions.sign_document(doc, signer=sxd.leader)

    # Only the drafter revises; the earlier version stays.
    with pytest.raises(actions.DocumentError, match="Chỉ người soạn thảo"):
        actions.revise_draft(doc, pdf=_pdf("Bản sửa"), actor=head)
    actions.revise_draft(
        doc, pdf=_pdf("Căn cứ Luật Xây dựng"), file_name="ban-sua.pdf", actor=sxd.specialist
    )
    versions = list(doc.files.order_by("id").values_list("kind", "name"))
    assert versions == [
        ("version", first_main.name),
        ("main", "ban-sua.pdf"),
    ]
    assert bytes(doc.files.get(kind="version").data) == bytes(first_main.data)
    assert "can cu luat xay dung" in Document.objects.get(pk=doc.pk).search_text

    # Resubmitting without a list restarts the same chain from its first reviewer.
    actions.submit_draft(doc, actor=sxd.specialist)
    assert actions.current_step(doc).reviewer == head
    assert [s for s in _steps(doc) if s[0] == 2] == [
        (2, 1, "truongphong_sxd", "pending"),
        (2, 2, "phogiamdoc_sxd", "pending"),
        (2, 3, "lanhdao_sxd", "pending"),
    ]
    for reviewer in (head, deputy, sxd.leader):
        actions.approve_draft(doc, actor=reviewer)
    doc.refresh_from_db()
    assert doc.state == Document.State.APPROVED
    actions_seen = set(
        AuditRecord.objects.filter(
            object_id=str(doc.pk), object_type="documents.document"
        ).values_list("action", flat=True)
    )
    assert {"documents.review.return", "documents.draft.return", "documents.draft.revise"} <= (
        actions_seen
    )


def test_submission_is_checked_and_a_refusal_changes_nothing(chain, offices, make_official):
    sxd, head, _deputy = chain
    doc = _draft(sxd)
    stranger = offices["STP"].leader  # a leader of another agency
    cases = [
        (sxd.specialist, [head, stranger], "không phải trưởng đơn vị hoặc lãnh đạo"),
        (sxd.specialist, [sxd.clerk], "không phải trưởng đơn vị hoặc lãnh đạo"),
        (sxd.specialist, [head, head], "chỉ được chọn một lần"),
        (head, [head], "Chỉ người soạn thảo được trình"),
    ]
    for actor, reviewers, message in cases:
        with pytest.raises(actions.DocumentError, match=message):
            actions.submit_draft(doc, reviewers=reviewers, actor=actor)
    assert ReviewStep.objects.count() == 0
    assert Document.objects.get(pk=doc.pk).state == Document.State.DRAFT
    actions.submit_draft(doc, reviewers=[head], actor=sxd.specialist)
    with pytest.raises(actions.DocumentError, match="Đang trình duyệt"):
        actions.submit_draft(doc, reviewers=[head], actor=sxd.specialist)
    with pytest.raises(actions.DocumentError, match="Chỉ sửa được dự thảo chưa trình"):
        actions.revise_draft(doc, pdf=_pdf("x"), actor=sxd.specialist)
    assert ReviewStep.objects.count() == 2


def test_a_draft_never_submitted_is_approved_directly_only_by_its_signer(chain):
    sxd, head, deputy = chain
    doc = _draft(sxd)
    for other in (head, deputy):
        with pytest.raises(actions.DocumentError, match="Chỉ người có thẩm quyền ký"):
            actions.approve_draft(doc, actor=other)
    assert ReviewStep.objects.count() == 0
    actions.approve_draft(doc, actor=sxd.leader)
    assert _steps(doc) == [(1, 1, "lanhdao_sxd", "approved")]
    assert Document.objects.get(pk=doc.pk).state == Document.State.APPROVED


def test_the_chain_over_the_api(client, chain, offices):
    sxd, head, deputy = chain
    _sign_in(client, sxd.specialist)
    doc = _draft(sxd)
    url = f"/api/v1/documents/{doc.pk}"
    bad = client.post(
        f"{url}/submit", {"reviewer_usernames": ["khong_co"]}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "reviewer_usernames"
    assert bad.json()["detail"][0]["msg"] == "Không có cán bộ “khong_co”."
    clerk = client.post(
        f"{url}/submit",
        {"reviewer_usernames": [sxd.clerk.username]},
        content_type="application/json",
    )
    assert clerk.status_code == 422
    assert ReviewStep.objects.count() == 0
    submitted = client.post(
        f"{url}/submit",
        {"reviewer_usernames": [head.username, deputy.username]},
        content_type="application/json",
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "in_review"

    _sign_in(client, deputy)
    early = client.post(f"{url}/approve")
    assert early.status_code == 409
    assert early.json()["code"] == "documents.not_your_turn"
    assert early.json()["detail"] == "Chưa đến lượt bạn duyệt dự thảo này."
    _sign_in(client, head)
    assert client.post(f"{url}/approve").json()["state"] == "in_review"
    _sign_in(client, deputy)
    empty = client.post(f"{url}/return", {"comment": ""}, content_type="application/json")
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["field"] == "comment"
    returned = client.post(
        f"{url}/return", {"comment": "Sửa trích yếu"}, content_type="application/json"
    )
    assert returned.json()["state"] == "draft"

    _sign_in(client, sxd.specialist)
    history = client.get(f"{url}/review").json()
    assert history["state"] == "draft"
    assert history["current_reviewer"] is None
    assert [(s["reviewer_username"], s["state"], s["comment"]) for s in history["steps"]] == [
        ("truongphong_sxd", "approved", ""),
        ("phogiamdoc_sxd", "returned", "Sửa trích yếu"),
        ("lanhdao_sxd", "skipped", ""),
    ]
    revised = client.post(
        f"{url}/revise",
        {"file": _upload("ban-2.pdf", _pdf("Bản 2")), "subject": "Quyết định phê duyệt kế hoạch"},
    )
    assert revised.status_code == 200, revised.content
    assert revised.json()["subject"] == "Quyết định phê duyệt kế hoạch"
    not_a_draft = client.post(f"{url}/revise", {"file": _upload("x.txt", b"hello")})
    assert not_a_draft.status_code == 422
    assert not_a_draft.json()["detail"][0]["msg"] == "Tệp dự thảo phải là tệp PDF hoặc DOCX."
    kinds = [f["kind"] for f in client.get(f"{url}/review").json()["files"]]
    assert kinds == ["version", "main"]
    assert client.post(f"{url}/submit", {}, content_type="application/json").status_code == 200
    assert client.get(f"{url}/review").json()["current_reviewer"] == "truongphong_sxd"

    # Another agency's official sees nothing and changes nothing.
    _sign_in(client, offices["STP"].leader)
    assert client.post(f"{url}/approve").status_code == 404
    assert client.get(f"{url}/review").status_code == 404
    assert DocumentFile.objects.filter(document=doc).count() == 2


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
