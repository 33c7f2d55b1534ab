"""The one-stop forms, read back with pdftotext; the tracking book read back with openpyxl."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.tools import requires_tool
from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import actions, forms_pdf
from tinhso.dossiers.receipt import render_receipt

from .backoffice import ready_draft


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VIETNAM)  # type: ignore[misc]


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(out.split())


@pytest.fixture
def received(office):
    office.version.processing_days = Decimal(5)
    office.version.save()
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 2, 12, 8, 0)):
        dossier = actions.submit(ready_draft(office.version, office.citizen), user=office.citizen)
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 2, 12, 9, 0)):
        return actions.receive(dossier, officer=office.tiepnhan)


@requires_tool("pdftotext")
def test_receipt_form_01(office, received, tmp_path):
    text = text_of(forms_pdf.receipt(received, office.tiepnhan), tmp_path)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Mã hồ sơ: 000.00.03.H66-260212-0001" in text
    assert "Ông/Bà: Nguyễn Văn An" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TỈNH ĐẮK LẮK" in text
    assert "4. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 12/02/2026" in text
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: 09 giờ 00 phút, ngày 26/02/2026" in text
    assert "7. Cơ quan giải quyết: Sở Tư pháp tỉnh Đắk Lắk" in text
    assert "Trần Thị Bình" in text  # the receiving officer signs


@requires_tool("pdftotext")
def test_supplement_form_02_lists_components_and_reasons(office, tmp_path):
    dossier = office.submitted()
    tk = office.version.components.get(code="TK")
    request = actions.request_supplement(
        dossier,
        reason="",
        fields=[],
        component_ids=[],
        officer=office.tiepnhan,
        items=[actions.MissingItem(tk.pk, "Thiếu chữ ký của người yêu cầu")],
    )
    text = text_of(forms_pdf.supplement_request(request), tmp_path)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert dossier.code in text
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp" in text
    assert "Thiếu chữ ký của người yêu cầu" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG" in text  # issued by the reception desk


@requires_tool("pdftotext")
def test_refusal_form_03(office, tmp_path):
    dossier = actions.reject(
        office.submitted(), officer=office.tiepnhan, reason="Thủ tục không thuộc thẩm quyền"
    )
    text = text_of(forms_pdf.refusal(dossier, office.tiepnhan), tmp_path)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert dossier.code in text and "Nguyễn Văn An" in text
    assert "Thủ tục không thuộc thẩm quyền" in text


@requires_tool("pdftotext")
def test_apology_form_04_and_tracking_sheet(office, received, tmp_path):
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 2, 25, 10, 0)):
        apology = actions.extend(
            received,
            officer=office.truongphong,
            reason="Chờ xác minh lý lịch tại địa phương",
            new_appointment=at(2026, 3, 3, 9, 0),
        )
    text = text_of(forms_pdf.apology(apology), tmp_path)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "SỞ TƯ PHÁP TỈNH ĐẮK LẮK" in text
    assert "09 giờ 00 phút, ngày 26/02/2026" in text
    assert "hẹn trả kết quả giải quyết hồ sơ vào lúc 09 giờ 00 phút, ngày 03/03/2026" in text
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 2, 24, 9, 0)):
        actions.forward(received, officer=office.chuyenvien)
    sheet = text_of(forms_pdf.tracking_sheet(received, at(2026, 2, 24, 10, 0)), tmp_path)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in sheet
    assert received.code in sheet
    # step 1: 70 % of 40 h = 28 h from Thu 12/02 09:00 across Tết = Tue 24/02 14:30,
    # handed on Tue 24/02 09:00: on time (same day); step 2 still open
    assert "Thẩm định hồ sơ" in sheet and "Trần Thị Bình" in sheet
    assert "14:30 24/02/2026" in sheet
    assert sheet.count("đúng hạn") == 1 and sheet.count("trước hạn") == 0
    assert "đang xử lý" in sheet and "Đánh giá chung: chưa hoàn thành" in sheet


@requires_tool("pdftotext")
def test_override_folder_replaces_a_form(office, received, tmp_path, settings):
    folder = tmp_path / "mau"
    folder.mkdir()
    (folder / "mau03.html").write_text(
        '{% extends "dossiers/forms/_base.html" %}{% block heading %}MẪU RIÊNG CỦA TỈNH'
        "{% endblock %}{% block body %}<p>Lý do: {{ dossier.decision_reason }}</p>{% endblock %}",
        encoding="utf-8",
    )
    settings.DOSSIER_FORMS_DIR = str(folder)
    dossier = actions.reject(office.submitted(), officer=office.tiepnhan, reason="Sai mẫu đơn")
    text = text_of(forms_pdf.refusal(dossier), tmp_path)
    assert "MẪU RIÊNG CỦA TỈNH" in text and "Lý do: Sai mẫu đơn" in text


def test_tracking_book_xlsx(office, received):
    from openpyxl import load_workbook

    data = forms_pdf.tracking_book([received], at(2026, 2, 13, 9, 0))
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]] == forms_pdf.BOOK_COLUMNS
    row = [c.value for c in sheet[2]]
    assert row[:4] == [1, "000.00.03.H66-260212-0001", office.version.name, "Nguyễn Văn An"]
    assert row[7] == datetime(2026, 2, 12, 9, 0)
    assert row[8] == datetime(2026, 2, 26, 9, 0)
    assert row[11] == "đã tiếp nhận, đang giải quyết"


@requires_tool("pdftotext")
def test_forms_stay_vietnamese_while_english_is_active(office, received, tmp_path):
    # An official browsing in English still prints the legal forms in Vietnamese: the
    # processing time and the state come from translated labels, which must not follow.
    with translation.override("en"):
        assert "working days" in str(received.version.processing_label)  # the trap is real
        form = text_of(forms_pdf.receipt(received, office.tiepnhan), tmp_path)
        sheet = text_of(forms_pdf.tracking_sheet(received, at(2026, 2, 13, 9, 0)), tmp_path)
        book = load_workbook(io.BytesIO(forms_pdf.tracking_book([received]))).active
        assert translation.get_language() == "en"  # the override ends with the form
    assert "5 ngày làm việc" in form and "working days" not in form
    assert "đang xử lý" in sheet and "chưa hoàn thành" in sheet
    assert [c.value for c in book[2]][11] == "đã tiếp nhận, đang giải quyết"


@requires_tool("pdftotext")
def test_online_receipt_stays_vietnamese_while_english_is_active(office, tmp_path):
    dossier = office.submitted()
    with translation.override("en"):
        assert dossier.get_delivery_display() != "nhận trực tuyến"  # English is there
        text = text_of(render_receipt(dossier), tmp_path)
    assert "GIẤY XÁC NHẬN ĐÃ NỘP HỒ SƠ TRỰC TUYẾN" in text  # submitted, not yet received
    assert "ngày làm việc" in text and "working days" not in text
    assert "6. Nơi nhận kết quả: nhận trực tuyến" in text


@requires_tool("pdftotext")
def test_a_long_status_link_is_printed_whole_inside_the_page(office, received, tmp_path):
    # the link is one word: unbroken it ran past the right margin and its end was cut off the
    # page (CI once read the link without its final '/'); it now breaks anywhere, so every
    # character is printed whatever the secret's digest makes its length
    long_link = "https://dichvucong.example.vn/tra-cuu-ho-so/qr/" + "Ab3~" * 30 + "/"
    with mock.patch.object(forms_pdf, "status_url", return_value=long_link):
        for form in (forms_pdf.receipt(received, office.tiepnhan), forms_pdf.refusal(received)):
            printed = "".join(text_of(form, tmp_path).split())
            assert long_link in printed
