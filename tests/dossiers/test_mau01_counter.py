"""Mẫu 01 of a dossier taken in at the desk, as a tester found it: the look-up secret on the
first print only (the look-up page asks for the "mã tra cứu in trên giấy tiếp nhận"), where
the result is received without repeating "nhận tại", and the receiving officer's name under
NGƯỜI TIẾP NHẬN HỒ SƠ whoever prints it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.tools import requires_tool
from tinhso.dossiers import codes, forms_pdf
from tinhso.dossiers.models import Dossier

from .test_forms_pdf import received, text_of  # noqa: F401 - the fixture
from .test_intake_history import _intake
from .test_office_views import sign_in


@requires_tool("pdftotext")
def test_mau_01_prints_the_secret_on_the_first_print_only(office, tmp_path):
    dossier = _intake(office, "counter", delivery="counter")
    first = text_of(forms_pdf.receipt(dossier), tmp_path)
    secret = re.search(r"Mã tra cứu: (\w{10})", first)[1]
    assert secret == dossier.issued_secret
    assert codes.secret_matches_digest(secret, dossier.lookup_secret_hash)
    assert "Tra cứu tình trạng hồ sơ:" in first  # the link line stays
    later = Dossier.objects.get(pk=dossier.pk)  # no secret in clear any more
    text = text_of(forms_pdf.receipt(later), tmp_path)
    assert "Mã tra cứu" not in text and secret not in text
    assert "Tra cứu tình trạng hồ sơ:" in text


@requires_tool("pdftotext")
def test_mau_01_names_the_receiving_officer_whoever_prints(client, office, received, tmp_path):  # noqa: F811
    # no officer given (the office's reprint, the citizen's copy): the one who received it
    text = text_of(forms_pdf.receipt(received), tmp_path)
    # the two signature blocks side by side: both headings, then both names
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ (Ký và ghi rõ họ tên) Nguyễn Văn An Trần Thị Bình" in text
    sign_in(client, office.truongphong)  # a colleague prints it from the office pages
    form = reverse("dossiers:office-form", args=[received.code, "01"])
    response = client.get(form)
    assert response.status_code == 200
    assert "Trần Thị Bình" in text_of(response.content, tmp_path)
    assert "Vũ Thị Hà" not in text_of(response.content, tmp_path)


@requires_tool("pdftotext")
@pytest.mark.parametrize(
    ("delivery", "address", "printed"),
    [
        ("counter", "", "6. Nhận kết quả tại: Bộ phận Một cửa 7."),
        ("post", "12 Lê Duẩn, Buôn Ma Thuột", "6. Nhận kết quả tại: 12 Lê Duẩn, Buôn Ma Thuột "),
        ("online", "", "6. Nhận kết quả tại: Cổng dịch vụ công (trực tuyến) 7."),
    ],
)
def test_mau_01_says_where_the_result_is_received_once(
    office,
    received,  # noqa: F811
    tmp_path,
    delivery,
    address,
    printed,
):
    received.delivery, received.delivery_address = delivery, address
    text = text_of(forms_pdf.receipt(received, office.tiepnhan), tmp_path)
    assert printed in text
    assert "tại: nhận" not in text
