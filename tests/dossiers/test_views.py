"""The citizen pages over HTTP: journey, my dossiers, receipt, public look-up, refusals."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier, DossierFile, LookupAttempt, Rating

from . import support


def submitted(version, user):
    draft = actions.start_draft(version, user=user)
    actions.save_form(draft, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12"}, user=user)
    tk = version.components.get(code="TK")
    actions.attach_file(draft, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=user)
    actions.choose_delivery(draft, "online", user=user)
    return actions.submit(draft, user=user)


def test_whole_journey_over_http(client, version, citizen):
    client.force_login(citizen)
    start = reverse("dossiers:start", args=[version.procedure.code])
    page = client.get(start)
    assert page.status_code == 200
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in page.content.decode()
    response = client.post(start)
    draft = Dossier.objects.get(owner=citizen)
    assert response.url == reverse("dossiers:draft-form", args=[draft.pk])
    form_page = client.get(response.url).content.decode()
    # the applicant's name comes from the account: shown, not an input to change
    assert "Nguyễn Văn An" in form_page and 'name="ho_ten"' not in form_page

    bad = client.post(response.url, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "31/02/1990"})
    assert bad.status_code == 422
    assert "“Ngày sinh” phải là ngày hợp lệ (năm-tháng-ngày)." in bad.content.decode()
    good = client.post(response.url, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12"})
    assert good.url == reverse("dossiers:draft-files", args=[draft.pk])

    tk = version.components.get(code="TK")
    upload = reverse("dossiers:draft-upload", args=[draft.pk])
    client.post(
        upload,
        {
            "component": tk.pk,
            "files": [
                SimpleUploadedFile("trang1.pdf", support.pdf_bytes()),
                SimpleUploadedFile("trang2.pdf", b"MZ not a pdf"),
                SimpleUploadedFile("anh.jpg", support.jpeg_bytes()),
            ],
        },
    )
    assert list(draft.files.values_list("original_name", flat=True)) == ["trang1.pdf", "anh.jpg"]
    files_page = client.get(good.url).content.decode()
    assert "Đã tải lên 2 tệp." in files_page
    assert "Tệp “trang2.pdf” không phải là tệp hợp lệ" in files_page

    assert client.post(good.url).url == reverse("dossiers:draft-delivery", args=[draft.pk])
    delivery = reverse("dossiers:draft-delivery", args=[draft.pk])
    assert client.post(delivery, {"delivery": "post", "delivery_address": ""}).status_code == 422
    ok = client.post(
        delivery, {"delivery": "post", "delivery_address": "12 Lê Duẩn, Buôn Ma Thuột"}
    )
    assert ok.url == reverse("dossiers:draft-review", args=[draft.pk])

    review = client.get(ok.url).content.decode()
    assert "trang1.pdf, anh.jpg" in review and "12 Lê Duẩn, Buôn Ma Thuột" in review
    done = client.post(ok.url)
    draft.refresh_from_db()
    assert draft.state == "submitted"
    assert done.url == reverse("dossiers:detail", args=[draft.code])
    detail = client.get(done.url).content.decode()
    assert f"Đã nộp hồ sơ. Mã hồ sơ của Ông/Bà là {draft.code}." in detail
    # The secret is stored hashed: the browser that submitted sees it (signed cookie) a while.
    secret = re.search(
        r"Mã tra cứu: (\w{10})", OutboxMessage.objects.filter(topic="notify").last().payload["body"]
    )[1]
    assert draft.lookup_secret_hash and secret not in draft.lookup_secret_hash
    assert secret in detail
    receipt = client.get(reverse("dossiers:receipt", args=[draft.code]))
    assert receipt["Content-Type"] == "application/pdf" and receipt.content.startswith(b"%PDF-")


def test_json_upload_reports_a_rejected_file_in_place(client, version, citizen):
    client.force_login(citizen)
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    response = client.post(
        reverse("dossiers:draft-upload", args=[draft.pk]),
        {"component": tk.pk, "files": [SimpleUploadedFile("x.docx", b"PK\x03\x04 broken")]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert response.json()["added"] == 0
    assert response.json()["errors"][0].startswith("Tệp “x.docx” không phải là tệp hợp lệ")


def test_garbage_component_gives_a_message_not_an_error(client, version, citizen):
    client.force_login(citizen)
    draft = actions.start_draft(version, user=citizen)
    response = client.post(
        reverse("dossiers:draft-upload", args=[draft.pk]),
        {"component": "abc", "files": [SimpleUploadedFile("a.pdf", support.pdf_bytes())]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == ["Thành phần hồ sơ không thuộc thủ tục này."]
    assert not draft.files.exists()


def test_other_citizen_is_refused_everywhere_and_nothing_changes(
    client, version, citizen, other_citizen
):
    dossier = submitted(version, citizen)
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    item = actions.attach_file(draft, tk.pk, "a.pdf", support.pdf_bytes(), user=citizen)
    audit_before = AuditRecord.objects.count()
    client.force_login(other_citizen)
    gets = [
        reverse("dossiers:draft-form", args=[draft.pk]),
        reverse("dossiers:draft-files", args=[draft.pk]),
        reverse("dossiers:draft-review", args=[draft.pk]),
        reverse("dossiers:detail", args=[dossier.code]),
        reverse("dossiers:receipt", args=[dossier.code]),
        reverse("dossiers:file", args=[item.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (
            reverse("dossiers:draft-form", args=[draft.pk]),
            {"ho_ten": "Kẻ lạ", "ngay_sinh": "2000-01-01"},
        ),
        (reverse("dossiers:draft-review", args=[draft.pk]), {}),
        (reverse("dossiers:draft-delete", args=[draft.pk]), {}),
        (reverse("dossiers:file-remove", args=[item.pk]), {}),
        (reverse("dossiers:withdraw", args=[dossier.code]), {}),
        (reverse("dossiers:rate", args=[dossier.code]), {"level": "not_satisfied", "comment": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    dossier.refresh_from_db()
    draft.refresh_from_db()
    assert dossier.state == "submitted" and not Rating.objects.exists()
    assert draft.form_data == {"ho_ten": "Nguyễn Văn An"}
    assert DossierFile.objects.filter(pk=item.pk).exists()
    assert AuditRecord.objects.count() == audit_before


def test_anonymous_is_sent_to_sign_in(client, version):
    response = client.get(reverse("dossiers:mine"))
    assert response.status_code == 302 and response.url.startswith(reverse("people:sign-in"))


def test_my_dossiers_lists_drafts_and_dossiers(client, version, citizen, other_citizen):
    mine = submitted(version, citizen)
    submitted(version, other_citizen)
    actions.start_draft(version, user=citizen)
    client.force_login(citizen)
    page = client.get(reverse("dossiers:mine")).content.decode()
    assert page.count("ho-so-cua-toi/000.00.03.H66-") == 1 and mine.code in page
    assert "Bản nháp" in page


def test_withdraw_rate_and_supplement_from_the_detail_page(client, version, citizen):
    dossier = submitted(version, citizen)
    client.force_login(citizen)
    url = reverse("dossiers:detail", args=[dossier.code])
    client.post(
        reverse("dossiers:rate", args=[dossier.code]), {"level": "satisfied", "comment": "Tốt"}
    )
    assert dossier.__class__.objects.get(pk=dossier.pk).rating.level == "satisfied"
    tk = version.components.get(code="TK")
    actions.request_supplement(
        dossier, reason="Thiếu trang 2", fields=["ngay_sinh"], component_ids=[tk.pk], officer=None
    )
    page = client.get(url).content.decode()
    assert "Thời hạn giải quyết đang tạm dừng" in page and "Thiếu trang 2" in page
    assert 'id="ef-ngay_sinh"' in page and 'id="ef-ho_ten"' not in page
    client.post(
        reverse("dossiers:supplement-upload", args=[dossier.code]),
        {"component": tk.pk, "files": [SimpleUploadedFile("trang2.pdf", support.pdf_bytes("2"))]},
    )
    client.post(
        reverse("dossiers:supplement-answer", args=[dossier.code]), {"ngay_sinh": "1990-05-21"}
    )
    dossier.refresh_from_db()
    # issue 4: a supplement asked at reception sends the dossier back to the reception desk
    assert dossier.state == "submitted" and dossier.form_data["ngay_sinh"] == "1990-05-21"
    page = client.get(url).content.decode()
    assert "Tổng thời gian tạm dừng" in page
    assert "Rút hồ sơ" in page  # not received yet: still withdrawable


def test_public_lookup_same_answer_for_unknown_code_and_wrong_secret(client, version, citizen):
    dossier = submitted(version, citizen)
    url = reverse("dossiers:lookup")
    wrong = client.post(url, {"ma": dossier.code, "ma-tra-cuu": "ABCDEFGH23"})
    unknown = client.post(
        url, {"ma": "000.00.03.H66-251124-9999", "ma-tra-cuu": dossier.issued_secret}
    )
    assert wrong.status_code == unknown.status_code == 404

    def body(response):
        text = response.content.decode()
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        return re.sub(r'id="ma" name="ma" value="[^"]*"', "", text)

    assert body(wrong) == body(unknown)
    assert "Mã hồ sơ hoặc mã tra cứu không đúng." in wrong.content.decode()
    right = client.get(url, {"ma": dossier.code, "ma-tra-cuu": dossier.issued_secret.lower()})
    page = right.content.decode()
    assert right.status_code == 200 and right["Cache-Control"] == "no-store"
    assert "N. V. A." in page and "Nguyễn Văn An" not in page
    assert "Đã nộp, chờ tiếp nhận" in page


def test_public_lookup_is_rate_limited_per_code(client, version, citizen, settings):
    """Failures count per dossier code and address (from all addresses together, and per
    address over distinct codes: `test_lookup_limits.py`); a correct look-up never counts."""
    settings.DOSSIER_LOOKUPS_PER_CODE_PER_MINUTE = 3
    dossier = submitted(version, citizen)
    url = reverse("dossiers:lookup")
    for _ in range(3):
        assert client.post(url, {"ma": dossier.code, "ma-tra-cuu": "WRONGWRONG"}).status_code == 404
    blocked = client.post(url, {"ma": dossier.code, "ma-tra-cuu": dossier.issued_secret})
    assert blocked.status_code == 429 and 1 <= int(blocked["Retry-After"]) <= 60
    assert dossier.issued_secret not in blocked.content.decode()
    assert LookupAttempt.objects.count() == 3
    # the lock holds the address that failed, not the citizen looking from elsewhere
    other = client.post(
        url, {"ma": dossier.code, "ma-tra-cuu": dossier.issued_secret}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 200
    # correct look-ups do not count towards the limit
    settings.DOSSIER_LOOKUPS_PER_CODE_PER_MINUTE = 4
    for _ in range(5):
        ok = client.post(url, {"ma": dossier.code, "ma-tra-cuu": dossier.issued_secret})
        assert ok.status_code == 200
    assert LookupAttempt.objects.count() == 3


@pytest.mark.parametrize("path", ["ho-so-cua-toi/", "tra-cuu-ho-so/"])
def test_pages_declare_their_language_and_main_landmark(client, citizen, path):
    client.force_login(citizen)
    page = client.get("/" + path).content.decode()
    assert '<html lang="vi"' in page and 'id="noi-dung"' in page


def test_pages_are_translated_to_english(client, version, citizen):
    dossier = submitted(version, citizen)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("dossiers:lookup"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Look up a dossier" in page and "Dossier code" in page
    client.force_login(citizen)
    detail = client.get(reverse("dossiers:detail", args=[dossier.code]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Download the receipt (PDF)" in detail.content.decode()


def test_pick_an_earlier_result_from_the_data_store_page(client, version, citizen):
    earlier = submitted(version, citizen)
    result = actions.issue_result(
        earlier, "Phiếu lý lịch tư pháp số 7", support.pdf_bytes(), officer=None
    )
    draft = actions.start_draft(version, user=citizen)
    cccd = version.components.get(code="CCCD")
    client.force_login(citizen)
    page = client.get(reverse("dossiers:draft-files", args=[draft.pk])).content.decode()
    assert (
        f'<option value="result:{result.pk}">Phiếu lý lịch tư pháp số 7 — '
        f"Kết quả hồ sơ {earlier.code}</option>" in page
    )
    client.post(
        reverse("dossiers:draft-pick", args=[draft.pk]),
        {"component": cccd.pk, "ref": f"result:{result.pk}"},
    )
    item = draft.files.get()
    assert item.component == cccd and item.from_result == result
    download = client.get(reverse("dossiers:file", args=[item.pk]))
    assert b"".join(download.streaming_content) == support.pdf_bytes()


def test_procedure_without_agency_asks_for_one(client, agencies, citizen):
    from tinhso.places.models import Agency

    from .conftest import make_version

    commune = Agency.objects.create(
        code="H66.01.01",
        name="UBND phường Buôn Ma Thuột",
        short_name="UBND",
        level=Agency.Level.COMMUNE,
        province=agencies["UBND"].province,
    )
    local = make_version(None, code="1.000893", name="Đăng ký khai sinh")
    local.procedure.levels = ["commune"]
    local.procedure.save()
    client.force_login(citizen)
    url = reverse("dossiers:start", args=["1.000893"])
    assert "UBND phường Buôn Ma Thuột" in client.get(url).content.decode()
    refused = client.post(url, {"agency": ""})
    assert refused.status_code == 422
    assert "Vui lòng chọn cơ quan giải quyết hồ sơ." in refused.content.decode()
    assert not Dossier.objects.exists()
    client.post(url, {"agency": "H66.01.01"})
    assert Dossier.objects.get().agency == commune
