"""Mẫu 01 (Circular 01/2018/TT-VPCP) for a dossier filed on behalf names both people and lists
the authorisation document (usability walk: the slip named the person represented as the one
who filed, and left the authorisation out of the components received)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tinhso.dossiers import forms_pdf
from tinhso.dossiers.models import Dossier

from .test_on_behalf import ADULT, body, pdf64, post, version  # noqa: F401 (fixture)


def text(pdf: bytes) -> str:
    return " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages
    )


def test_the_slip_names_the_filer_and_lists_the_authorisation(client, version, citizen):  # noqa: F811
    client.force_login(citizen)
    authorisation = {
        "component": "authorisation",
        "filename": "giay-uy-quyen.pdf",
        "content_base64": pdf64(),
    }
    response = post(client, body(attachments=[authorisation], on_behalf=ADULT))
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    slip = text(forms_pdf.receipt(dossier))
    assert "Ông/Bà: Lê Văn Cường" in slip
    assert "Người nộp thay: Nguyễn Văn An (người được ủy quyền)" in slip
    assert "Giấy ủy quyền (nộp thay)" in slip
    # the signature block is the filer's (the person represented was not at the desk): the
    # filer is named twice (the line above and the signature), the person represented once
    assert (slip.count("Nguyễn Văn An"), slip.count("Lê Văn Cường")) == (2, 1)
