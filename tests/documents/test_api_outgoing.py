"""The outgoing life cycle over the API: draft, approve, sign, issue; links; figures."""

from __future__ import annotations

from django.utils import timezone

from tinhso.core.models import AuditRecord
from tinhso.documents.models import Document

from .test_views import _sign_in


def _draft_body(offices, **changes):
    body = {
        "agency_code": offices["SXD"].agency.code,
        "doc_type": "QD",
        "subject": "Quyết định phê duyệt kế hoạch kiểm tra",
        "content": "Phê duyệt kế hoạch.",
        "signer_username": offices["SXD"].leader.username,
        "signer_position": "Giám đốc",
        "recipients": [{"organ_id": offices["STP"].agency.code, "name": "Sở Tư pháp"}],
    }
    body.update(changes)
    return body


def test_draft_approve_sign_issue(client, offices):
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    created = client.post(
        "/api/v1/documents/drafts", _draft_body(offices), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["state"] == "draft"
    assert client.post(f"/api/v1/documents/{pk}/approve").status_code == 403
    _sign_in(client, sxd.leader)
    assert client.post(f"/api/v1/documents/{pk}/approve").json()["state"] == "approved"
    signed = client.post(f"/api/v1/documents/{pk}/sign", {}, content_type="application/json")
    assert signed.json()["state"] == "signed"
    _sign_in(client, sxd.clerk)
    issued = client.post(f"/api/v1/documents/{pk}/issue").json()
    assert (issued["state"], issued["number_and_notation"]) == ("issued", "01/QĐ-SXD")
    again = client.post(f"/api/v1/documents/{pk}/issue")
    assert again.status_code == 409
    assert again.json() == {
        "code": "documents.not_signed",
        "message": "Chỉ phát hành được văn bản đã ký.",
        "detail": "Chỉ phát hành được văn bản đã ký.",
    }
    assert Document.objects.filter(direction="incoming", agency=offices["STP"].agency).count() == 1

    today = timezone.localdate().isoformat()
    _sign_in(client, sxd.leader)
    figures = client.get(
        f"/api/v1/documents/reports/figures?agency_code={sxd.agency.code}&start={today}&end={today}"
    ).json()
    assert figures == {
        "received": 0,
        "sent": 1,
        "electronic_share": 1.0,
        "signed_share": 1.0,
        "average_handling_days": None,
        "overdue": 0,
    }
    _sign_in(client, offices["STP"].leader)
    denied = client.get(
        f"/api/v1/documents/reports/figures?agency_code={sxd.agency.code}&start={today}&end={today}"
    )
    assert denied.status_code == 403


def test_bad_draft_input_gets_422_per_field_and_saves_nothing(client, offices):
    _sign_in(client, offices["SXD"].specialist)
    before = AuditRecord.objects.count()
    bad_type = client.post(
        "/api/v1/documents/drafts",
        _draft_body(offices, doc_type="XX"),
        content_type="application/json",
    )
    assert bad_type.status_code == 422
    assert bad_type.json()["detail"][0]["field"] == "doc_type"
    bad_signer = client.post(
        "/api/v1/documents/drafts",
        _draft_body(offices, signer_username=offices["SXD"].clerk.username),
        content_type="application/json",
    )
    assert bad_signer.json()["detail"][0]["field"] == "signer_username"
    bad_unit = client.post(
        "/api/v1/documents/drafts",
        _draft_body(offices, doc_type="CV", unit="Q L"),
        content_type="application/json",
    )
    assert bad_unit.status_code == 422 and bad_unit.json()["detail"][0]["field"] == "unit"
    missing = client.post(
        "/api/v1/documents/drafts", {"agency_code": "x"}, content_type="application/json"
    )
    assert missing.status_code == 422
    assert {d["field"] for d in missing.json()["detail"]} >= {"doc_type", "subject"}
    other = client.post(
        "/api/v1/documents/drafts",
        _draft_body(offices, agency_code=offices["STP"].agency.code),
        content_type="application/json",
    )
    assert other.status_code == 403
    assert Document.objects.count() == 0
    assert AuditRecord.objects.count() == before


def test_links_to_documents_and_dossiers(client, offices):
    from .test_lifecycle import _issue

    first = _issue(offices)
    second = _issue(offices)
    _sign_in(client, offices["SXD"].clerk)
    response = client.post(
        f"/api/v1/documents/{second.pk}/links",
        {"related_id": first.pk, "dossier_code": "H66.22-260302-0001"},
        content_type="application/json",
    )
    assert response.status_code == 200
    second.refresh_from_db()
    assert list(second.related.values_list("pk", flat=True)) == [first.pk]
    assert list(first.related.values_list("pk", flat=True)) == [second.pk]
    assert second.dossier_codes == ["H66.22-260302-0001"]
    stp_doc = Document.objects.filter(agency=offices["STP"].agency).first()
    refused = client.post(
        f"/api/v1/documents/{second.pk}/links",
        {"related_id": stp_doc.pk},
        content_type="application/json",
    )
    # out of the clerk's reach: the same answer as a missing document, on the field
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "related_id"
    assert second.related.count() == 1
