"""ZIP-based dossier files that expand too far are refused on every way in (security issue 17,
item 5): the citizen's upload page, `POST /api/v1/dossiers`, a supplement, the counter. The
citizen reads why in Vietnamese beside the upload, the API answers 422 on the attachment,
and nothing is stored: no row, no file in the storage folder, no audit record."""

from __future__ import annotations

import base64
import functools
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.core.test_archives import bomb, lie
from tinhso.core.archives import Reason
from tinhso.core.models import AuditRecord
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier, DossierFile, IdempotencyKey
from tinhso.dossiers.uploads import ArchiveRejected, check_file

from . import support

MB = 1024 * 1024


def refused(name: str) -> str:
    return (
        f"Tệp “{name}” là tệp nén giải nén ra quá lớn (hơn 100,0 MB) hoặc có cấu trúc bất "
        "thường nên không được nhận."
    )


@functools.cache
def lying_docx() -> bytes:
    """The directory declares a 1 KB document part; its stream holds 101 MB of zeros."""
    return lie(bomb(), "word/document.xml", file_size=1024)


@functools.cache
def xlsx_bomb() -> bytes:
    """A real openpyxl workbook whose first sheet is replaced by 101 MB of zeros."""
    source = zipfile.ZipFile(io.BytesIO(support.xlsx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item))
                continue
            with target.open("xl/worksheets/sheet1.xml", "w") as entry:
                for _ in range(101):
                    entry.write(bytes(MB))
    return out.getvalue()


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_check_file_says_why_and_which_check(settings):
    assert check_file("don.docx", support.docx_bytes(), already_in_dossier=0) == "docx"
    assert check_file("bang-ke.xlsx", support.xlsx_bytes(), already_in_dossier=0) == "xlsx"
    assert check_file("to-khai.odt", support.odt_bytes(), already_in_dossier=0) == "odt"
    cases = [(bomb(), Reason.TOO_LARGE), (lying_docx(), Reason.SIZE_MISMATCH)]
    cases.append((xlsx_bomb(), Reason.TOO_LARGE))
    for data, reason in cases:
        with pytest.raises(ArchiveRejected) as caught:
            check_file("ban-khai.docx", data, already_in_dossier=0)
        assert caught.value.message == refused("ban-khai.docx")
        assert (caught.value.reason, caught.value.code) == (reason, "archive_rejected")
    settings.UPLOAD_MAX_EXPANDED_BYTES = 20 * MB  # the message follows the setting
    with pytest.raises(ArchiveRejected, match=r"\(hơn 20,0 MB\)"):
        check_file("ban-khai.docx", bomb(), already_in_dossier=0)


def test_the_upload_page_refuses_a_docx_bomb_beside_the_upload_and_stores_nothing(
    client, version, citizen, media_in_tmp
):
    client.force_login(citizen)
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    url = reverse("dossiers:draft-upload", args=[draft.pk])
    audits = AuditRecord.objects.count()
    response = client.post(
        url,
        {"component": tk.pk, "files": [SimpleUploadedFile("don.docx", bomb())]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert response.json() == {"added": 0, "errors": [refused("don.docx")]}
    assert not DossierFile.objects.exists()
    assert stored_files(media_in_tmp) == []
    assert AuditRecord.objects.count() == audits

    # Without JavaScript: the page comes back with the reason, the honest file is kept.
    page = client.post(
        url,
        {
            "component": tk.pk,
            "files": [
                SimpleUploadedFile("bang-ke.xlsx", xlsx_bomb()),
                SimpleUploadedFile("don.docx", support.docx_bytes()),
            ],
        },
        follow=True,
    )
    text = page.content.decode()
    assert refused("bang-ke.xlsx") in text and "Đã tải lên 1 tệp." in text
    assert list(draft.files.values_list("original_name", flat=True)) == ["don.docx"]
    assert len(stored_files(media_in_tmp)) == 1


def test_the_api_answers_422_on_the_attachment_and_stores_nothing(
    client, version, citizen, media_in_tmp
):
    client.force_login(citizen)
    body = {
        "procedure": "2.000488",
        "form": {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12"},
        "delivery": "online",
        "attachments": [
            {
                "component": "TK",
                "filename": "to-khai.docx",
                "content_base64": base64.b64encode(lying_docx()).decode(),
            }
        ],
    }
    response = client.post(
        "/api/v1/dossiers",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "khoa-bom-nen-0001"},
    )
    assert response.status_code == 422
    detail = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert detail == {
        ("body", "attachments", "0"): refused("to-khai.docx"),
        ("body", "attachments", "TK"): "Chưa đính kèm “Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp”.",
    }
    assert not Dossier.objects.exists() and not IdempotencyKey.objects.exists()
    assert not DossierFile.objects.exists() and stored_files(media_in_tmp) == []


def test_a_supplement_refuses_a_bomb_and_keeps_the_dossier_as_it_was(
    client, version, citizen, media_in_tmp
):
    draft = actions.start_draft(version, user=citizen)
    actions.save_form(draft, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12"}, user=citizen)
    tk = version.components.get(code="TK")
    actions.attach_file(draft, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=citizen)
    actions.choose_delivery(draft, "online", user=citizen)
    dossier = actions.submit(draft, user=citizen)
    actions.request_supplement(
        dossier, reason="Thiếu trang 2", fields=[], component_ids=[tk.pk], officer=None
    )
    files, audits = stored_files(media_in_tmp), AuditRecord.objects.count()
    client.force_login(citizen)
    response = client.post(
        reverse("dossiers:supplement-upload", args=[dossier.code]),
        {"component": tk.pk, "files": [SimpleUploadedFile("trang2.docx", lying_docx())]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [refused("trang2.docx")]
    # The answer form (files and note in one press) says it beside the files, changes nothing.
    answer = client.post(
        reverse("dossiers:supplement-answer", args=[dossier.code]),
        {f"files-{tk.pk}": [SimpleUploadedFile("trang2.docx", bomb())], "note": "Bổ sung"},
    )
    assert answer.status_code == 422
    assert refused("trang2.docx") in answer.content.decode()
    assert list(dossier.files.values_list("original_name", flat=True)) == ["to-khai.pdf"]
    assert stored_files(media_in_tmp) == files
    assert AuditRecord.objects.count() == audits
    assert dossier.open_supplement() is not None


def test_counter_intake_refuses_a_bomb_per_component(office, media_in_tmp):
    tk = office.version.components.get(code="TK")
    before = (Dossier.objects.count(), DossierFile.objects.count(), AuditRecord.objects.count())
    with pytest.raises(actions.DossierError) as caught:
        actions.intake(
            office.version,
            officer=office.tiepnhan,
            channel="counter",
            personal_id="066195000999",
            full_name="Trần Thị Thu Hương",
            form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
            components=[actions.PaperComponent(tk.pk, "bang-ke.xlsx", xlsx_bomb(), True)],
            delivery="counter",
        )
    assert caught.value.errors == {"components.0": refused("bang-ke.xlsx")}
    after = (Dossier.objects.count(), DossierFile.objects.count(), AuditRecord.objects.count())
    assert after == before and stored_files(media_in_tmp) == []
