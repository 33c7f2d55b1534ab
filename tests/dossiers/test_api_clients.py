"""POST /api/v1/dossiers by a client application of another channel (API key), for a citizen."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import codes
from tinhso.dossiers.models import Dossier, DossierFile, IdempotencyKey
from tinhso.people import clients
from tinhso.people.models import ApiClientUsage, Citizen, User

from .test_api import URL, body

APPLICANT = {
    "personal_id": "066088004321",
    "full_name": "Lê Văn Cường",
    "phone": "0905123456",
    "email": "cuong.le@example.com",
    "address": "45 Phan Bội Châu, Buôn Ma Thuột",
}


@pytest.fixture
def portal(db):
    client, key = clients.issue(
        "Cổng Dịch vụ công quốc gia", scopes=["dossiers.submit"], actor=None
    )
    return client, key


@pytest.fixture
def app(db):
    client, key = clients.issue("Ứng dụng Đắk Lắk số", scopes=["dossiers.submit"], actor=None)
    return client, key


def send(key, data, idem="kenh-khac-000001", how="bearer", http=None):
    headers = {"Idempotency-Key": idem} if idem is not None else {}
    if how == "bearer":
        headers["Authorization"] = f"Bearer {key}"
    else:
        headers["X-API-Key"] = key
    return (http or Client()).post(URL, data, content_type="application/json", headers=headers)


def state():
    """Everything a refused request must leave unchanged."""
    return (
        Dossier.objects.count(),
        DossierFile.objects.count(),
        IdempotencyKey.objects.count(),
        Citizen.objects.count(),
        User.objects.count(),
        AuditRecord.objects.count(),
        OutboxMessage.objects.count(),
    )


@pytest.mark.parametrize("how", ["bearer", "x-api-key"])
def test_client_submits_for_a_new_citizen_who_then_owns_the_dossier(version, portal, how):
    client, key = portal
    response = send(key, body(applicant=APPLICANT), how=how)
    assert response.status_code == 201
    out = response.json()
    dossier = Dossier.objects.get(code=out["code"])
    assert dossier.submitted_by_client == client
    assert dossier.channel == "api"
    owner = dossier.owner
    assert owner.username == "066088004321" and owner.citizen.full_name == "Lê Văn Cường"
    assert (dossier.applicant_name, dossier.applicant_phone, dossier.applicant_email) == (
        "Lê Văn Cường",
        "0905123456",
        "cuong.le@example.com",
    )
    assert dossier.applicant_address == "45 Phan Bội Châu, Buôn Ma Thuột"
    assert codes.secret_matches_digest(out["lookup_secret"], dossier.lookup_secret_hash)
    submitted = AuditRecord.objects.get(action="dossier.submitted", object_id=str(dossier.pk))
    assert submitted.actor is None
    assert submitted.actor_label == "api-client:Cổng Dịch vụ công quốc gia"
    assert submitted.changes["submitted_by_client"] == [None, "Cổng Dịch vụ công quốc gia"]
    assert submitted.changes["owner"] == [None, "066088004321"]
    registered = AuditRecord.objects.get(action="people.citizen_registered")
    assert registered.changes["source"] == [None, "api-client:Cổng Dịch vụ công quốc gia"]
    mail = OutboxMessage.objects.get(topic="notify")
    assert mail.payload["to"] == "cuong.le@example.com"
    assert f"Mã tra cứu: {out['lookup_secret']}" in mail.payload["body"]
    # The citizen, signed in later, finds it among their dossiers.
    web = Client()
    web.force_login(owner)
    assert web.get(f"{URL}/{out['code']}").status_code == 200


def test_an_existing_citizen_account_is_reused(version, portal, citizen):
    _, key = portal
    applicant = {**APPLICANT, "personal_id": "066090001234", "full_name": "Nguyễn Văn An"}
    response = send(key, body(applicant=applicant))
    assert response.status_code == 201
    assert Dossier.objects.get().owner == citizen
    assert User.objects.count() == 1 and Citizen.objects.count() == 1


def test_retry_from_the_same_client_returns_the_same_dossier(version, portal):
    _, key = portal
    first = send(key, body(applicant=APPLICANT))
    again = send(key, body(applicant=APPLICANT))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == {**first.json(), "lookup_secret": None}
    assert Dossier.objects.count() == 1 and User.objects.count() == 1
    other_body = send(key, body(applicant={**APPLICANT, "full_name": "Lê Văn Khác"}))
    assert other_body.status_code == 409
    assert Dossier.objects.count() == 1


def test_the_same_key_from_two_clients_makes_two_dossiers(version, portal, app):
    one = send(portal[1], body(applicant=APPLICANT), idem="khoa-chung-0001")
    two = send(app[1], body(applicant=APPLICANT), idem="khoa-chung-0001")
    assert one.status_code == two.status_code == 201
    assert one.json()["code"] != two.json()["code"]
    assert sorted(d.submitted_by_client.name for d in Dossier.objects.all()) == [
        "Cổng Dịch vụ công quốc gia",
        "Ứng dụng Đắk Lắk số",
    ]
    # ... and a signed-in citizen's key of the same text is a third scope
    web = Client()
    web.force_login(Dossier.objects.first().owner)
    own = web.post(
        URL,
        body(form={"ho_ten": "Lê Văn Cường", "ngay_sinh": "1988-05-12"}),  # as themselves
        content_type="application/json",
        headers={"Idempotency-Key": "khoa-chung-0001"},
    )
    assert own.status_code == 201 and Dossier.objects.count() == 3


@pytest.mark.parametrize("how", ["bearer", "x-api-key"])
def test_unknown_and_revoked_keys_are_401_and_change_nothing(version, portal, how):
    client, key = portal
    before = state()
    unknown = send("tsk_" + "x" * 43, body(applicant=APPLICANT), how=how)
    assert unknown.status_code == 401
    assert unknown.json() == {
        "detail": "Khóa API không hợp lệ hoặc đã bị thu hồi.",
        "code": "invalid_api_key",
    }
    assert unknown["WWW-Authenticate"] == 'Bearer realm="tinhso"'
    assert state() == before
    clients.revoke(client, actor=None)
    before = state()
    revoked = send(key, body(applicant=APPLICANT), how=how)
    assert revoked.status_code == 401 and revoked.json()["code"] == "invalid_api_key"
    assert state() == before


def test_a_client_without_the_scope_is_403(version):
    _, key = clients.issue("Ứng dụng phản ánh", scopes=["open311.post"], actor=None)
    before = state()
    response = send(key, body(applicant=APPLICANT))
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Ứng dụng “Ứng dụng phản ánh” không được cấp phạm vi dossiers.submit.",
        "code": "missing_scope",
    }
    assert state() == before


def test_over_the_rate_limit_is_429_with_retry_after(version):
    client, key = clients.issue(
        "Ứng dụng thử", scopes=["dossiers.submit"], actor=None, requests_per_minute=2
    )
    assert send(key, body(applicant=APPLICANT), idem="gioi-han-0001").status_code == 201
    assert send(key, body(applicant=APPLICANT), idem="gioi-han-0001").status_code == 200
    before = state()
    third = send(key, body(applicant=APPLICANT), idem="gioi-han-0002")
    assert third.status_code == 429
    assert third.json()["code"] == "rate_limited"
    assert 1 <= int(third["Retry-After"]) <= 60
    assert third.json()["detail"].startswith("Vượt giới hạn 2 yêu cầu mỗi phút;")
    assert state() == before
    assert ApiClientUsage.objects.get(client=client).count == 3


def test_missing_applicant_fields_are_422_per_field_and_nothing_is_saved(version, portal):
    _, key = portal
    before = state()
    no_applicant = send(key, body())
    assert no_applicant.status_code == 422
    assert [(d["loc"], d["msg"]) for d in no_applicant.json()["detail"]] == [
        (["body", "applicant"], "Cần thông tin người nộp hồ sơ (applicant).")
    ]
    bad = send(
        key,
        body(
            applicant={"personal_id": "066088", "full_name": "  ", "phone": "12", "email": "x@"},
            form={"ho_ten": "Lê Văn Cường"},
        ),
    )
    assert bad.status_code == 422
    messages = {tuple(d["loc"]): d["msg"] for d in bad.json()["detail"]}
    assert set(messages) == {
        ("body", "applicant", "personal_id"),
        ("body", "applicant", "full_name"),
        ("body", "applicant", "phone"),
        ("body", "applicant", "email"),
        ("body", "form", "ngay_sinh"),
    }
    assert messages[("body", "applicant", "full_name")] == "Chưa nhập họ và tên người nộp."
    assert messages[("body", "applicant", "email")] == "Địa chỉ email không hợp lệ."
    no_contact = send(key, body(applicant={**APPLICANT, "phone": "", "email": ""}))
    assert no_contact.status_code == 422
    assert [d["msg"] for d in no_contact.json()["detail"]] == [
        "Cần số điện thoại hoặc email của người nộp."
    ]
    missing_key = send(key, body(applicant={"full_name": "Lê Văn Cường"}))
    assert missing_key.status_code == 422
    assert ("body", "applicant", "personal_id") in {
        tuple(d["loc"]) for d in missing_key.json()["detail"]
    }
    assert state() == before


def test_a_failure_after_the_citizen_was_created_leaves_nothing(version, portal, monkeypatch):
    _, key = portal
    before = state()

    def down(*args, **kwargs):
        raise RuntimeError("notify down")

    monkeypatch.setattr("tinhso.dossiers.actions.notify", down)
    response = send(key, body(applicant=APPLICANT))
    assert response.status_code == 500
    assert state() == before
    assert not Citizen.objects.filter(personal_id="066088004321").exists()


def test_a_signed_in_citizen_cannot_submit_for_someone_else(client, version, citizen):
    client.force_login(citizen)
    before = state()
    response = client.post(
        URL,
        body(applicant=APPLICANT),
        content_type="application/json",
        headers={"Idempotency-Key": "khoa-thu-nghiem-0001"},
    )
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["body", "applicant"]]
    assert state() == before


def test_a_client_reads_and_reissues_only_what_it_submitted(version, portal, app):
    _, key = portal
    out = send(key, body(applicant=APPLICANT)).json()
    headers = {"Authorization": f"Bearer {key}"}
    status = Client().get(f"{URL}/{out['code']}", headers=headers)
    assert status.status_code == 200 and status.json()["lookup_secret"] is None
    stranger = {"Authorization": f"Bearer {app[1]}"}
    assert Client().get(f"{URL}/{out['code']}", headers=stranger).status_code == 404
    before = state()
    refused = Client().post(f"{URL}/{out['code']}/lookup-secret", headers=stranger)
    assert refused.status_code == 404 and state() == before
    renewed = Client().post(f"{URL}/{out['code']}/lookup-secret", headers=headers)
    assert renewed.status_code == 200
    new_secret = renewed.json()["lookup_secret"]
    assert new_secret and new_secret != out["lookup_secret"]
    lookup = Client()
    old = lookup.post(
        f"{URL}/lookup",
        {"code": out["code"], "secret": out["lookup_secret"]},
        content_type="application/json",
    )
    new = lookup.post(
        f"{URL}/lookup",
        {"code": out["code"], "secret": new_secret},
        content_type="application/json",
    )
    assert old.status_code == 404 and new.status_code == 200
    record = AuditRecord.objects.get(action="dossier.lookup_secret_reissued")
    assert record.actor_label == "api-client:Cổng Dịch vụ công quốc gia"


def test_openapi_shows_the_security_schemes(client):
    spec = client.get("/api/v1/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ClientBearer"] == {"type": "http", "scheme": "bearer"}
    assert schemes["ClientKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["SignedIn"]["type"] == "apiKey" and schemes["SignedIn"]["in"] == "cookie"
    post = spec["paths"]["/api/v1/dossiers"]["post"]
    assert post["security"] == [{"ClientBearer": []}, {"ClientKey": []}, {"SignedIn": []}]
    assert {"401", "403", "429"} <= set(post["responses"])
    body_schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert "applicant" in body_schema["properties"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_from_a_client_make_one_dossier(version, portal):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    _, key = portal
    results: list[int] = []

    def go() -> None:
        results.append(send(key, body(applicant=APPLICANT), idem="dong-thoi-0001").status_code)
        connection.close()

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] * 5 + [201]
    assert Dossier.objects.count() == 1 and Citizen.objects.count() == 1
