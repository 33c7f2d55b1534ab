"""POST /api/v1/dossiers with Idempotency-Key, GET for status, the public look-up API."""

from __future__ import annotations

import base64
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tinhso.core.models import OutboxMessage
from tinhso.dossiers.models import Dossier, DossierFile, IdempotencyKey

from . import support

URL = "/api/v1/dossiers"


def body(**overrides):
    data = {
        "procedure": "2.000488",
        "form": {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12", "so_ban_sao": "2"},
        "delivery": "online",
        "attachments": [
            {
                "component": "TK",
                "filename": "to-khai.pdf",
                "content_base64": base64.b64encode(support.pdf_bytes()).decode(),
            }
        ],
    }
    data.update(overrides)
    return data


def post(client, data, key="khoa-thu-nghiem-0001"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(URL, data, content_type="application/json", headers=headers)


def test_submission_and_retry_give_one_dossier(client, version, citizen):
    client.force_login(citizen)
    first = post(client, body())
    assert first.status_code == 201
    out = first.json()
    assert out["code"].startswith("000.00.03.H66-") and out["state"] == "submitted"
    assert out["procedure_code"] == "2.000488" and out["procedure_version"] == 1
    assert out["fee_total"] == 200000 and out["fee_status"] == "unpaid"
    again = post(client, body())
    # The same dossier; the secret is stored hashed, so only the first response carries it.
    assert len(out["lookup_secret"]) == 10
    assert again.status_code == 200 and again.json() == {**out, "lookup_secret": None}
    assert Dossier.objects.count() == 1
    dossier = Dossier.objects.get()
    assert dossier.channel == "api" and dossier.form_data["so_ban_sao"] == 2
    assert DossierFile.objects.get().kind == "pdf"
    assert OutboxMessage.objects.filter(topic="notify").count() == 1


def test_same_key_with_another_body_is_a_conflict(client, version, citizen):
    client.force_login(citizen)
    assert post(client, body()).status_code == 201
    other = post(client, body(delivery="counter"))
    assert other.status_code == 409
    assert other.json() == {
        "code": "dossiers.idempotency_key_reused",
        "message": "Khóa này đã dùng cho một yêu cầu có nội dung khác.",
        "detail": "Khóa này đã dùng cho một yêu cầu có nội dung khác.",
    }
    assert Dossier.objects.count() == 1


def test_keys_belong_to_their_owner(client, version, citizen, other_citizen):
    # the same body from two accounts: the name is left out, each account gives its own
    same = body(form={"ngay_sinh": "1990-05-12", "so_ban_sao": "2"})
    client.force_login(citizen)
    first = post(client, same).json()
    client.force_login(other_citizen)
    second = post(client, same)
    assert second.status_code == 201 and second.json()["code"] != first["code"]
    assert Dossier.objects.get(code=second.json()["code"]).form_data["ho_ten"] == "Trần Thị Bình"


def test_invalid_form_gives_422_per_field_and_stores_nothing(client, version, citizen):
    client.force_login(citizen)
    bad = body(
        form={"ho_ten": "A", "ngay_sinh": "12/05/1990", "so_ban_sao": "nhiều"},
        delivery="drone",
        attachments=[
            {
                "component": "TK",
                "filename": "to-khai.pdf",
                "content_base64": base64.b64encode(b"MZ").decode(),
            },
            {"component": "KHONG-CO", "filename": "x.pdf", "content_base64": ""},
        ],
    )
    response = post(client, bad)
    assert response.status_code == 422
    detail = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert detail == {
        # the name is the account holder's: "A" names someone else
        ("body", "form", "ho_ten"): (
            "Người nộp phải là chủ tài khoản. Nếu nộp thay người khác, hãy chọn “Nộp thay” "
            "và đính kèm giấy ủy quyền."
        ),
        ("body", "form", "ngay_sinh"): "“Ngày sinh” phải là ngày hợp lệ (năm-tháng-ngày).",
        ("body", "form", "so_ban_sao"): "“Số bản sao đề nghị cấp” phải là số nguyên.",
        ("body", "delivery"): "Vui lòng chọn một cách nhận kết quả mà thủ tục cho phép.",
        ("body", "attachments", "0"): (
            "Tệp “to-khai.pdf” không phải là tệp hợp lệ thuộc các định dạng được chấp nhận "
            "(PDF, JPEG, PNG, DOCX, XLSX, ODT); "
            "hệ thống kiểm tra nội dung tệp, không dựa vào tên tệp."
        ),
        ("body", "attachments", "1", "component"): "Thành phần hồ sơ không thuộc thủ tục này.",
        ("body", "attachments", "TK"): "Chưa đính kèm “Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp”.",
    }
    assert not Dossier.objects.exists() and not IdempotencyKey.objects.exists()
    # a corrected retry with the same key goes through
    assert post(client, body()).status_code == 201


def test_missing_or_short_key_and_unknown_procedure(client, version, citizen):
    client.force_login(citizen)
    assert post(client, body(), key=None).status_code == 422
    short = post(client, body(), key="abc")
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == [
        "header",
        "Idempotency-Key",
    ]
    unknown = post(client, body(procedure="9.999999"))
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "procedure"
    assert not Dossier.objects.exists()


def test_anonymous_cannot_submit(client, version):
    assert post(client, body()).status_code == 401
    assert not Dossier.objects.exists()


def test_status_only_for_the_owner(client, version, citizen, other_citizen):
    client.force_login(citizen)
    code = post(client, body()).json()["code"]
    mine = client.get(f"{URL}/{code}")
    assert mine.status_code == 200
    assert [e["state"] for e in mine.json()["events"]] == ["submitted"]
    client.force_login(other_citizen)
    assert client.get(f"{URL}/{code}").status_code == 404


def test_public_lookup_api(client, version, citizen):
    client.force_login(citizen)
    out = post(client, body()).json()
    anonymous = Client()
    ok = anonymous.post(
        f"{URL}/lookup",
        {"code": out["code"], "secret": out["lookup_secret"]},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["applicant_initials"] == "N. V. A." and ok.json()["clock_paused"] is False
    wrong = anonymous.post(
        f"{URL}/lookup",
        {"code": out["code"], "secret": "AAAAAAAAAA"},
        content_type="application/json",
    )
    unknown = anonymous.post(
        f"{URL}/lookup",
        {"code": "x", "secret": out["lookup_secret"]},
        content_type="application/json",
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_public_lookup_answers_in_the_language_asked(client, version, citizen):
    client.force_login(citizen)
    out = post(client, body()).json()
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the choice made on the site
    ok = english.post(
        f"{URL}/lookup",
        {"code": out["code"], "secret": out["lookup_secret"]},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["state_label"] == "submitted, awaiting reception"
    wrong = english.post(
        f"{URL}/lookup",
        {"code": out["code"], "secret": "AAAAAAAAAA"},
        content_type="application/json",
    )
    assert wrong.status_code == 404
    assert wrong.json()["detail"] == "The dossier code or the look-up secret is wrong."
    vietnamese = Client().post(
        f"{URL}/lookup",
        {"code": out["code"], "secret": out["lookup_secret"]},
        content_type="application/json",
    )
    assert vietnamese.json()["state_label"] == "đã nộp, chờ tiếp nhận"


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_make_one_dossier(version, citizen):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    results: list[int] = []

    def send() -> None:
        c = Client()
        c.force_login(citizen)
        results.append(post(c, body(), key="cung-mot-khoa-123").status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] * 5 + [201]
    assert Dossier.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_sequences(version, make_citizen):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    users = [
        make_citizen(f"0660900012{i:02d}", phone=f"09123456{i:02d}", email=f"u{i}@example.com")
        for i in range(8)
    ]
    codes: list[str] = []

    def send(user) -> None:
        c = Client()
        c.force_login(user)
        codes.append(post(c, body(), key=f"khoa-{user.pk}-abcdef").json()["code"])
        connection.close()

    threads = [threading.Thread(target=send, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 9))


def test_body_over_the_size_limit_is_413_and_stores_nothing(client, version, citizen, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    client.force_login(citizen)
    big = body()
    big["attachments"][0]["content_base64"] = base64.b64encode(
        support.pdf_bytes(pad_to=120_000)
    ).decode()
    response = post(client, big)
    assert response.status_code == 413
    assert response.json()["detail"] == "Yêu cầu quá lớn; hãy giảm dung lượng tệp đính kèm."
    assert not Dossier.objects.exists()


def test_malformed_body_is_422_per_field(client, version, citizen):
    client.force_login(citizen)
    response = post(client, {"procedure": "2.000488", "form": [], "attachments": "x"})
    assert response.status_code == 422
    fields = sorted(tuple(d["loc"]) for d in response.json()["detail"])
    assert fields == [("body", "attachments"), ("body", "delivery"), ("body", "form")]
    assert not Dossier.objects.exists()


def test_openapi_documents_the_request_body(client):
    spec = client.get("/api/v1/openapi.json").json()
    schema = spec["paths"]["/api/v1/dossiers"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert set(schema["required"]) == {"procedure", "form", "delivery"}
    assert schema["properties"]["attachments"]["items"]["required"] == [
        "component",
        "filename",
        "content_base64",
    ]
