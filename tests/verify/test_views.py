"""The public page /xac-thuc/<code>: the facts, the SHA-256, the signature's state; an
upload of the untouched PDF is confirmed and a tampered copy is not; unknown codes are a
Vietnamese 404, counted, then 429."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.dossiers import support
from tinhso.core.models import AuditRecord
from tinhso.documents import signing
from tinhso.documents.models import TrustedRoot
from tinhso.verify import actions, codes
from tinhso.verify.models import ElectronicResult, FailedLookup, UploadCheck

pytestmark = pytest.mark.django_db


def _stored(result) -> bytes:
    with result.file.open("rb") as f:
        return f.read()


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_page_shows_the_documents_facts_and_hash(issued, client):
    electronic = ElectronicResult.objects.get()
    response = client.get(f"/xac-thuc/{electronic.code}")
    assert response.status_code == 200
    text = _text(response)
    assert "Xác thực kết quả điện tử" in text
    assert f"Loại giấy tờ {electronic.kind_name}" in text
    assert f"Số hồ sơ {issued.dossier.code}" in text
    assert "Cơ quan cấp Sở Tư pháp tỉnh Đắk Lắk" in text
    assert f"Ngày cấp {electronic.issued_on:%d/%m/%Y}" in text
    assert f"Mã xác thực {codes.printed(electronic.code)}" in text
    assert f"Mã băm SHA-256 của tệp {issued.result.sha256}" in text
    assert "Chữ ký số của cơ quan cấp Hợp lệ" in text
    # nothing personal beyond the paper: not the applicant's name, ID, phone or address
    for personal in (
        issued.dossier.applicant_name,
        issued.dossier.applicant_personal_id,
        issued.dossier.applicant_phone,
    ):
        if personal:
            assert personal not in text
    assert response["Cache-Control"] == "no-store"
    assert not FailedLookup.objects.exists()


def test_the_code_is_found_typed_in_groups_and_lower_case(issued, client):
    electronic = ElectronicResult.objects.get()
    typed = codes.printed(electronic.code).lower()
    response = client.get("/xac-thuc/", {"ma": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/xac-thuc/{electronic.code}"
    assert client.get(f"/xac-thuc/{codes.printed(electronic.code)}").status_code == 200


def test_the_untouched_pdf_is_confirmed(issued):
    client = Client(enforce_csrf_checks=True)
    electronic = ElectronicResult.objects.get()
    page = client.get(f"/xac-thuc/{electronic.code}")
    token = page.cookies["csrftoken"].value
    upload = SimpleUploadedFile("ket-qua.pdf", _stored(issued.result), "application/pdf")
    response = client.post(
        f"/xac-thuc/{electronic.code}", {"tep": upload, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200
    text = _text(response)
    assert "Đã xác nhận: tệp này đúng là giấy tờ trên, chưa bị sửa đổi, chữ ký số hợp lệ." in text
    assert f"Mã băm SHA-256 của tệp đã tải lên: {issued.result.sha256}" in text


def test_a_tampered_copy_is_not_confirmed(issued, client):
    electronic = ElectronicResult.objects.get()
    content = _stored(issued.result)
    tampered = content.replace(b"so 12/2026", b"so 99/2026")
    assert tampered != content and len(tampered) == len(content)
    response = client.post(
        f"/xac-thuc/{electronic.code}",
        {"tep": SimpleUploadedFile("ket-qua.pdf", tampered, "application/pdf")},
    )
    text = _text(response)
    assert response.status_code == 200
    assert "Không xác nhận: tệp này không phải bản gốc của giấy tờ trên" in text
    assert "Nội dung tệp đã bị thay đổi sau khi ký." in text
    assert "Đã xác nhận" not in text


def test_the_unsigned_original_is_not_confirmed(issued, client):
    electronic = ElectronicResult.objects.get()
    response = client.post(
        f"/xac-thuc/{electronic.code}",
        {"tep": SimpleUploadedFile("ket-qua.pdf", issued.original, "application/pdf")},
    )
    text = _text(response)
    assert "Không xác nhận" in text and "Đã xác nhận" not in text
    assert "Tệp PDF không có chữ ký số." in text


def test_an_upload_that_is_not_a_pdf_or_too_large_is_refused(issued, client, settings):
    electronic = ElectronicResult.objects.get()
    url = f"/xac-thuc/{electronic.code}"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    response = client.post(url, {"tep": SimpleUploadedFile("a.pdf", png, "application/pdf")})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()
    settings.DOSSIER_MAX_FILE_BYTES = 100
    big = support.pdf_bytes("x", pad_to=500)
    response = client.post(url, {"tep": SimpleUploadedFile("a.pdf", big, "application/pdf")})
    assert response.status_code == 422
    assert "Tệp lớn hơn" in _text(response)
    response = client.post(url, {})
    assert response.status_code == 422
    assert "Vui lòng chọn tệp PDF cần kiểm tra." in _text(response)


def test_an_unknown_code_is_a_vietnamese_404_and_counted(db, client):
    response = client.get("/xac-thuc/ABCDEFGHJKMNPQRS")
    assert response.status_code == 404
    text = _text(response)
    assert "Không tìm thấy kết quả điện tử" in text
    assert "Mã xác thực không đúng" in text
    assert FailedLookup.objects.count() == 1


def test_too_many_unknown_codes_from_one_address_wait(issued, client, settings):
    settings.VERIFY_FAILURES_PER_MINUTE = 3
    for n in range(3):
        assert client.get(f"/xac-thuc/ABCDEFGHJKMNPQR{n + 2}").status_code == 404
    response = client.get("/xac-thuc/ABCDEFGHJKMNPQRZ")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Thử lại sau ít phút" in _text(response)
    assert FailedLookup.objects.count() == 3  # a refused try writes nothing
    # even the right code waits: the address is held, not the code
    electronic = ElectronicResult.objects.get()
    assert client.get(f"/xac-thuc/{electronic.code}").status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(f"/xac-thuc/{electronic.code}").status_code == 200


def test_a_known_code_costs_no_write(issued, client, django_assert_max_num_queries):
    electronic = ElectronicResult.objects.get()
    with django_assert_max_num_queries(4):
        response = client.get(f"/xac-thuc/{electronic.code}")
    assert response.status_code == 200
    assert not FailedLookup.objects.exists()


def test_the_page_shows_the_recorded_outcome_and_verifies_nothing(
    issued, client, monkeypatch, django_assert_num_queries
):
    electronic = ElectronicResult.objects.get()
    assert electronic.signature_valid is True and electronic.signature_note == ""
    assert electronic.signature_checked_at is not None

    def no_verification(*args, **kwargs):
        raise AssertionError("a signature verified on a page view")

    monkeypatch.setattr(signing, "verify_pdf", no_verification)
    monkeypatch.setattr(type(issued.result.file), "open", no_verification)
    # the address's failures, the code's row, the province's name in the page's header
    with django_assert_num_queries(3):
        response = client.get(f"/xac-thuc/{electronic.code}")
    assert response.status_code == 200
    checked = timezone.localtime(electronic.signature_checked_at)
    assert "Chữ ký số của cơ quan cấp Hợp lệ — ký số lúc" in _text(response)
    assert f"(kiểm tra lúc {checked:%H:%M %d/%m/%Y})" in _text(response)
    assert not UploadCheck.objects.exists() and not FailedLookup.objects.exists()


def test_a_recheck_records_a_new_outcome_that_the_page_shows(issued, client):
    electronic = ElectronicResult.objects.get()
    first = electronic.signature_checked_at
    TrustedRoot.objects.all().delete()  # the TEST CA is no longer trusted
    row = actions.recheck(electronic)
    assert (row.signature_valid, row.signature_note) == (
        False,
        "Chứng thư số không thuộc tổ chức chứng thực được tin cậy.",
    )
    assert row.signature_checked_at > first
    record = AuditRecord.objects.get(action="verify.signature_rechecked")
    assert record.changes == {
        "signature": [
            [True, ""],
            [False, "Chứng thư số không thuộc tổ chức chứng thực được tin cậy."],
        ]
    }
    text = _text(client.get(f"/xac-thuc/{electronic.code}"))
    assert (
        "Chữ ký số của cơ quan cấp Không hợp lệ — "
        "Chứng thư số không thuộc tổ chức chứng thực được tin cậy." in text
    )
    # the same outcome again: its date moves, no second audit record
    again = actions.recheck(row)
    assert again.signature_checked_at > row.signature_checked_at
    assert AuditRecord.objects.filter(action="verify.signature_rechecked").count() == 1


def test_uploads_from_one_address_are_rate_limited(issued, client, settings, monkeypatch):
    settings.VERIFY_UPLOADS_PER_MINUTE = 2
    electronic = ElectronicResult.objects.get()
    url = f"/xac-thuc/{electronic.code}"
    content = _stored(issued.result)
    calls = []
    real = signing.verify_pdf

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(signing, "verify_pdf", counted)
    for _n in range(2):
        response = client.post(
            url, {"tep": SimpleUploadedFile("a.pdf", content, "application/pdf")}
        )
        assert response.status_code == 200
        assert "Đã xác nhận" in _text(response)
    assert len(calls) == 2
    response = client.post(url, {"tep": SimpleUploadedFile("a.pdf", content, "application/pdf")})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    text = _text(response)
    assert "Địa chỉ truy cập này đã kiểm tra nhiều tệp trong một phút." in text
    assert "Đã xác nhận" not in text
    assert len(calls) == 2  # the refused upload was not verified
    assert UploadCheck.objects.count() == 2  # and wrote nothing
    # viewing the page is not limited, and another address may still upload
    assert client.get(url).status_code == 200
    other = Client(REMOTE_ADDR="10.0.0.9")
    ok = other.post(url, {"tep": SimpleUploadedFile("a.pdf", content, "application/pdf")})
    assert ok.status_code == 200
    assert UploadCheck.objects.count() == 3


def test_the_page_in_english_for_a_visitor_who_asks(issued, client):
    electronic = ElectronicResult.objects.get()
    client.cookies["django_language"] = "en"
    text = _text(client.get(f"/xac-thuc/{electronic.code}", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Verify an electronic result" in text
    assert f"Verification code {codes.printed(electronic.code)}" in text
    assert "Digital signature of the issuing agency Valid — signed at" in text
    assert "Xác thực kết quả điện tử" not in text
    start = _text(client.get("/xac-thuc/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Scan the QR code on the result of an administrative procedure" in start


@pytest.mark.parametrize("typed", ["a/b", "%", "khong-phai-ma"])
def test_a_typed_text_that_cannot_be_a_code_is_a_counted_404(db, client, typed):
    response = client.get("/xac-thuc/", {"ma": typed})
    assert response.status_code == 404
    assert "Không tìm thấy kết quả điện tử" in _text(response)
    assert FailedLookup.objects.count() == 1
