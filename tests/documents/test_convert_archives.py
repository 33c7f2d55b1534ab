"""DOCX drafts pass the shared archive guard before LibreOffice or any reader of ours opens
them (security issue 17, item 5): a DOCX that expands too far, lies about its sizes or holds
thousands of parts is refused in Vietnamese beside the file field, the API answers 422 on
`file`, LibreOffice never starts and nothing is saved. External content is still refused."""

from __future__ import annotations

import io
import subprocess
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.core.test_archives import bomb, lie
from tinhso.core import archives
from tinhso.core.archives import Reason
from tinhso.core.models import AuditRecord
from tinhso.documents import actions, convert
from tinhso.documents.models import Document, DocumentFile

from .test_views import _sign_in

REFUSED = (
    "Tệp DOCX là tệp nén giải nén ra quá lớn (hơn 100 MB) hoặc có cấu trúc bất thường nên "
    "không được nhận; hãy lưu lại tệp bằng trình soạn thảo hoặc tải lên bản PDF."
)


def make_docx(text: str = "Kế hoạch kiểm tra công trình năm 2026") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def crowded_docx() -> bytes:
    """A real DOCX with 5,000 empty parts added: a directory too long to list."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx())) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        for i in range(5_000):
            target.writestr(f"word/media/x{i}.xml", b"")
    return out.getvalue()


@pytest.fixture
def no_libreoffice(monkeypatch):
    """Fails the test if anything tries to start a process (LibreOffice) at all."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started: {args[0] if args else kwargs}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.mark.parametrize(
    "build, reason",
    [
        (bomb, Reason.TOO_LARGE),
        (lambda: lie(bomb(), "word/document.xml", file_size=1024), Reason.SIZE_MISMATCH),
        (crowded_docx, Reason.TOO_MANY_ENTRIES),
    ],
    ids=["expands over 100 MB", "lying directory", "over 5,000 parts"],
)
def test_docx_to_pdf_refuses_before_libreoffice_starts(build, reason, no_libreoffice):
    with pytest.raises(convert.UnsafeArchive) as caught:
        convert.docx_to_pdf(build(), binary="soffice")
    assert str(caught.value) == REFUSED
    assert (caught.value.reason, caught.value.code) == (reason, "archive_refused")
    assert isinstance(caught.value, convert.ConversionError)  # callers' one except still holds


def test_a_docx_behind_a_prefix_is_guarded_too(no_libreoffice):
    """zipfile (and LibreOffice) open a ZIP behind any prefix, so a bomb starting `PK\x07\x08`
    instead of a local header is still a ZIP: the guard runs, and `is_docx` says no."""
    disguised = b"PK\x07\x08" + bomb()
    assert archives.is_zip(disguised)
    assert not convert.is_docx(disguised)
    with pytest.raises(convert.UnsafeArchive) as caught:
        convert.docx_to_pdf(disguised, binary="soffice")
    assert caught.value.reason == Reason.TOO_LARGE


def test_a_normal_docx_passes_the_guard_and_external_content_is_still_refused(no_libreoffice):
    assert convert.is_docx(make_docx())
    rels = "word/_rels/document.xml.rels"
    source = zipfile.ZipFile(io.BytesIO(make_docx()))
    out = io.BytesIO()
    linked = (
        b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/image" Target="http://10.0.0.5/a.png" TargetMode="External"/>'
    )
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == rels:
                data = data.replace(b"</Relationships>", linked + b"</Relationships>")
            target.writestr(item, data)
    with pytest.raises(convert.ConversionError, match="liên kết ra ngoài tệp") as caught:
        convert.docx_to_pdf(out.getvalue(), binary="soffice")
    assert not isinstance(caught.value, convert.UnsafeArchive)


def test_create_draft_refuses_a_docx_bomb_on_the_file_field_and_saves_nothing(
    offices, no_libreoffice
):
    sxd = offices["SXD"]
    audits = AuditRecord.objects.count()
    with pytest.raises(actions.DocumentError) as caught:
        actions.create_draft(
            sxd.agency,
            doc_type="CV",
            subject="Về việc thử",
            signer=sxd.leader,
            docx=bomb(),
            actor=sxd.specialist,
        )
    assert caught.value.fields == {"file": REFUSED}
    assert caught.value.status == 422
    assert not Document.objects.exists() and not DocumentFile.objects.exists()
    assert AuditRecord.objects.count() == audits


def test_the_draft_page_shows_it_beside_the_file_and_the_api_answers_422(
    client, offices, no_libreoffice
):
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    page = client.post(
        "/van-ban/du-thao/moi/",
        {
            "agency": sxd.agency.pk,
            "doc_type": "CV",
            "subject": "Về việc tổng kết công tác năm",
            "urgency": "normal",
            "signer": sxd.leader.pk,
            "file": SimpleUploadedFile("du-thao.docx", bomb()),
        },
    )
    assert page.status_code == 422
    assert REFUSED in page.content.decode()
    lying = lie(bomb(), "word/document.xml", file_size=1024)
    api = client.post(
        "/api/v1/documents/drafts/upload",
        {
            "agency_code": sxd.agency.code,
            "doc_type": "CV",
            "subject": "Về việc thử",
            "signer_username": sxd.leader.username,
            "file": SimpleUploadedFile("du-thao.docx", lying),
        },
    )
    # The API sorts the upload with `is_docx`, which takes no file the guard refuses: the
    # same 422 on `file`, with the API's own message for a file that is no DOCX we take.
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert [(d["field"], d["msg"]) for d in detail] == [
        ("file", "Tệp dự thảo phải là tệp PDF hoặc DOCX.")
    ]
    assert not Document.objects.exists() and not DocumentFile.objects.exists()
