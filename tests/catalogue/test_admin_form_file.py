"""A component's blank form uploaded in the admin is served to every citizen: its content is
checked like any upload (security issue 17, item 5: archive expansion on every upload path)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tinhso.catalogue.admin import ComponentForm, ComponentInline


def docx(expanded: int = 1000) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * expanded)
    return buffer.getvalue()


def form_with(content: bytes, name: str) -> ComponentForm:
    return ComponentForm(
        data={"position": 1, "name": "Tờ khai", "originals": 1, "copies": 0},
        files={"form_file": SimpleUploadedFile(name, content)},
    )


def test_the_admin_inline_uses_the_checked_form():
    assert ComponentInline.form is ComponentForm


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n", "to-khai.pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "to-khai.doc"),
        (docx(), "to-khai.docx"),
    ],
)
def test_a_pdf_doc_or_docx_form_is_accepted(content, name):
    form = form_with(content, name)
    form.is_valid()
    assert "form_file" not in form.errors


@pytest.mark.django_db
def test_a_docx_that_expands_past_the_bound_is_refused_in_vietnamese(settings):
    settings.UPLOAD_MAX_EXPANDED_BYTES = 1024 * 1024
    form = form_with(docx(expanded=3 * 1024 * 1024), "bom.docx")
    assert not form.is_valid()
    assert form.errors["form_file"] == [
        "Tệp mẫu là tệp nén giải nén ra quá lớn hoặc có cấu trúc bất thường."
    ]


@pytest.mark.django_db
def test_html_posing_as_a_form_is_refused():
    form = form_with(b"<html><script>alert(1)</script></html>", "to-khai.pdf")
    assert not form.is_valid()
    assert form.errors["form_file"] == [
        "Tệp mẫu phải là PDF, Word (DOC, DOCX), Excel (XLSX) hoặc ODT."
    ]
