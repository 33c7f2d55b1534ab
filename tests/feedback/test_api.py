"""/api/v1/feedback: officials handle the reports of their agencies, and only those."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import sign_in
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.feedback import actions
from tinhso.people.models import Role

from .conftest import jpeg

API = "/api/v1/feedback/reports"
NOT_FOUND = {
    "code": "feedback.report_not_found",
    "message": "Không tìm thấy phản ánh.",
    "detail": "Không tìm thấy phản ánh.",
}


@pytest.fixture
def specialist(make_official, agencies):
    return make_official("bmt", roles=((Role.SPECIALIST, agencies["BMT"]),))


@pytest.fixture
def other(make_official, agencies):
    return make_official("eakao", roles=((Role.SPECIALIST, agencies["EAKAO"]),))


def test_nobody_signed_in_gets_401(client, submitted):
    assert client.get(API).status_code == 401


def test_the_agency_sees_its_queue_with_contact_details_and_the_read_is_audited(
    client, submitted, specialist
):
    sign_in(client, specialist)
    [row] = client.get(API).json()
    assert row["reporter_email"] is None
    assert (row["id"], row["state"], row["agency_code"]) == (
        submitted.pk,
        "received",
        "000.01.50.H66",
    )
    detail = client.get(f"{API}/{submitted.pk}").json()
    assert (detail["reporter_email"], detail["reporter_phone"]) == ("an@example.com", "0912345678")
    read = AuditRecord.objects.filter(action="personal_data.read", object_id=str(submitted.pk))
    assert read.count() == 1 and read.get().actor == specialist


def test_the_provincial_committee_sees_the_communes_reports(
    client, submitted, make_official, agencies
):
    leader = make_official("tinh", roles=((Role.LEADER, agencies["UBND"]),))
    sign_in(client, leader)
    assert [r["id"] for r in client.get(API).json()] == [submitted.pk]


def test_the_whole_workflow_through_the_api(client, submitted, specialist):
    sign_in(client, specialist)
    assert client.post(f"{API}/{submitted.pk}/verify").json()["state"] == "verified"
    body = client.post(
        f"{API}/{submitted.pk}/assign", {"assignee": "bmt"}, content_type="application/json"
    ).json()
    assert (body["state"], body["assignee"]) == ("assigned", "bmt")
    client.post(f"{API}/{submitted.pk}/start", {"note": ""}, content_type="application/json")
    photo = SimpleUploadedFile("sau.jpg", jpeg(gps=(12.6, 108.1)), "image/jpeg")
    body = client.post(
        f"{API}/{submitted.pk}/resolve", {"answer": "Đã vá.", "evidence": [photo]}
    ).json()
    assert (body["state"], body["answer"]) == ("resolved", "Đã vá.")
    [evidence] = submitted.photos.filter(is_evidence=True)
    assert b"Exif" not in evidence.image.read()


def test_a_fake_evidence_photo_is_422_and_nothing_changes(client, submitted, specialist):
    sign_in(client, specialist)
    fake = SimpleUploadedFile("sau.jpg", b"GIF89a not really", "image/jpeg")
    response = client.post(f"{API}/{submitted.pk}/resolve", {"answer": "Xong.", "evidence": [fake]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "evidence"
    assert response.json()["code"] == "feedback.not_a_photo"
    submitted.refresh_from_db()
    assert submitted.state == "received" and submitted.photos.count() == 0


def test_a_refused_rule_is_422_with_the_field(client, submitted, specialist):
    sign_in(client, specialist)
    response = client.post(
        f"{API}/{submitted.pk}/reject", {"reason": "  "}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "feedback.required",
        "detail": [
            {
                "loc": ["body", "reason"],
                "field": "reason",
                "msg": "Cần nêu lý do từ chối.",
                "type": "feedback.required",
            }
        ],
        "message": "Cần nêu lý do từ chối.",
    }
    response = client.post(
        f"{API}/{submitted.pk}/reroute",
        {"agency_code": "000.00.99.H66", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "feedback.unknown_agency"
    assert response.json()["detail"][0]["msg"] == "Không có cơ quan mã '000.00.99.H66'."


def test_another_agency_is_refused_and_nothing_changes(client, submitted, other):
    sign_in(client, other)
    audit_before = AuditRecord.objects.count()
    outbox_before = OutboxMessage.objects.count()
    assert client.get(API).json() == []
    response = client.get(f"{API}/{submitted.pk}")
    # out of reach is "not found", the same answer as for a number no report has
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert client.get(f"{API}/{submitted.pk + 1000}").json() == NOT_FOUND
    response = client.post(f"{API}/{submitted.pk}/resolve", {"answer": "Xong."})
    assert response.status_code == 404
    submitted.refresh_from_db()
    assert (submitted.state, submitted.answer) == ("received", "")
    assert AuditRecord.objects.count() == audit_before
    assert OutboxMessage.objects.count() == outbox_before


def test_an_unknown_report_is_404(client, submitted, specialist):
    sign_in(client, specialist)
    assert client.get(f"{API}/999999").status_code == 404


def test_the_openapi_document_lists_the_feedback_paths(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/feedback/reports/{report_id}/resolve" in paths
    responses = paths["/api/v1/feedback/reports/{report_id}/resolve"]["post"]["responses"]
    assert set(responses) == {"200", "404", "409", "422"}


def _unchanged(submitted, audit_before, outbox_before):
    state = (submitted.state, submitted.agency_id, submitted.assignee_id, submitted.reason)
    submitted.refresh_from_db()
    assert (
        submitted.state,
        submitted.agency_id,
        submitted.assignee_id,
        submitted.reason,
    ) == state
    assert submitted.duplicate_of_id is None and submitted.events.count() == 1
    assert AuditRecord.objects.count() == audit_before
    assert OutboxMessage.objects.count() == outbox_before


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("verify", None),
        ("assign", {"assignee": "eakao"}),
        ("start", {"note": "Đang làm."}),
        ("reject", {"reason": "Không thuộc thẩm quyền."}),
        ("duplicate", {"original_id": 0}),
        ("reroute", {"agency_code": "000.03.50.H66", "reason": "Của xã."}),
    ],
)
def test_another_agency_cannot_change_the_report_and_nothing_changes(
    client, submitted, other, new_report, endpoint, body
):
    if endpoint == "duplicate":
        body = {"original_id": actions.submit_report(new_report()).pk}
    sign_in(client, other)
    audit_before = AuditRecord.objects.count()
    outbox_before = OutboxMessage.objects.count()
    if body is None:
        response = client.post(f"{API}/{submitted.pk}/{endpoint}")
    else:
        response = client.post(
            f"{API}/{submitted.pk}/{endpoint}", body, content_type="application/json"
        )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    _unchanged(submitted, audit_before, outbox_before)


def test_another_agency_is_refused_before_any_evidence_photo_is_decoded(
    client, submitted, other, monkeypatch
):
    from tinhso.feedback import api

    decoded = []
    monkeypatch.setattr(api, "clean_photo", lambda data: decoded.append(data))
    sign_in(client, other)
    audit_before = AuditRecord.objects.count()
    outbox_before = OutboxMessage.objects.count()
    photo = SimpleUploadedFile("sau.jpg", jpeg(), "image/jpeg")
    response = client.post(
        f"{API}/{submitted.pk}/resolve", {"answer": "Xong.", "evidence": [photo]}
    )
    assert response.status_code == 404
    assert decoded == []
    _unchanged(submitted, audit_before, outbox_before)
    assert submitted.photos.count() == 0


def test_more_than_five_evidence_photos_are_422_before_decoding(
    client, submitted, specialist, monkeypatch
):
    from tinhso.feedback import api

    decoded = []
    monkeypatch.setattr(api, "clean_photo", lambda data: decoded.append(data))
    sign_in(client, specialist)
    audit_before = AuditRecord.objects.count()
    outbox_before = OutboxMessage.objects.count()
    photos = [SimpleUploadedFile(f"{i}.jpg", jpeg(), "image/jpeg") for i in range(12)]
    response = client.post(f"{API}/{submitted.pk}/resolve", {"answer": "Xong.", "evidence": photos})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "evidence"],
            "field": "evidence",
            "msg": "Gửi tối đa 5 ảnh kết quả xử lý.",
            "type": "feedback.too_many_media",
        }
    ]
    assert decoded == []
    # The access check read the contact details (audited); nothing else happened.
    assert AuditRecord.objects.count() == audit_before + 1
    _unchanged(submitted, audit_before + 1, outbox_before)
    assert submitted.photos.count() == 0


@pytest.mark.parametrize("published", [True, False])
def test_a_duplicate_of_another_agencys_unpublished_report_is_refused(
    client, submitted, specialist, new_report, communes, published
):
    elsewhere = actions.submit_report(
        new_report(commune=communes["ea-kao"], consents_to_publish=published)
    )
    sign_in(client, specialist)
    audit_before = AuditRecord.objects.count() + 1  # the access check's read of the contact
    outbox_before = OutboxMessage.objects.count()
    response = client.post(
        f"{API}/{submitted.pk}/duplicate",
        {"original_id": elsewhere.pk},
        content_type="application/json",
    )
    if published:  # a published report is public: it may be named as the original
        assert response.status_code == 200 and response.json()["state"] == "duplicate"
        return
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "original_id"],
            "field": "original_id",
            "msg": f"Không có phản ánh PA-{elsewhere.pk}.",
            "type": "feedback.unknown_original",
        }
    ]
    _unchanged(submitted, audit_before, outbox_before)


def test_a_duplicate_of_an_unpublished_report_of_the_same_agency_is_allowed(
    client, submitted, specialist, new_report
):
    own = actions.submit_report(new_report(consents_to_publish=False))
    sign_in(client, specialist)
    response = client.post(
        f"{API}/{submitted.pk}/duplicate", {"original_id": own.pk}, content_type="application/json"
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert (submitted.state, submitted.duplicate_of_id) == ("duplicate", own.pk)


def test_an_anonymous_reporters_contact_is_not_shown_to_the_agency(client, specialist, new_report):
    report = actions.submit_report(new_report(is_anonymous=True))
    assert (report.reporter_name, report.reporter_email) == ("", "an@example.com")
    sign_in(client, specialist)
    detail = client.get(f"{API}/{report.pk}").json()
    assert (detail["reporter_name"], detail["reporter_email"], detail["reporter_phone"]) == (
        "",
        "",
        "",
    )


def test_a_report_number_too_large_for_the_database_is_404(client, submitted, specialist):
    sign_in(client, specialist)
    assert client.get(f"{API}/99999999999999999999").status_code == 404
    assert client.get("/phan-anh/99999999999999999999/").status_code == 404
    response = client.post(
        f"{API}/{submitted.pk}/duplicate",
        {"original_id": 99999999999999999999},
        content_type="application/json",
    )
    assert response.status_code == 422
    submitted.refresh_from_db()
    assert submitted.state == "received"
