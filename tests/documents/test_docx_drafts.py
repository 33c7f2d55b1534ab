"""DOCX drafts: converted to PDF by LibreOffice headless, the DOCX kept as the source, its
text indexed; clear Vietnamese errors when conversion cannot happen, nothing saved."""

from __future__ import annotations

import io
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tools import requires_tool
from tinhso.documents import actions, convert, queries
from tinhso.documents.models import Document, DocumentFile

from .test_views import _sign_in

BODY = "Ủy ban nhân dân xã Hòa Phú đề nghị hỗ trợ kinh phí sửa chữa đường giao thông nông thôn."


def make_docx(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("QUYẾT ĐỊNH", level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def _one_line(text: str) -> str:
    return " ".join(text.split())


@requires_tool("soffice", "pdftotext")
def test_a_docx_draft_becomes_a_pdf_and_keeps_its_source(offices, tmp_path):
    sxd = offices["SXD"]
    source = make_docx(BODY, "Độc lập - Tự do - Hạnh phúc")
    doc = actions.create_draft(
        sxd.agency,
        doc_type="QD",
        subject="Quyết định hỗ trợ kinh phí",
        signer=sxd.leader,
        docx=source,
        file_name="C:\\Users\\cv\\du-thao quyet dinh.docx",
        actor=sxd.specialist,
    )
    files = {f.kind: f for f in doc.files.all()}
    assert set(files) == {"main", "source"}
    main, kept = files["main"], files["source"]
    assert (main.name, main.content_type) == ("du-thao quyet dinh.pdf", "application/pdf")
    assert (kept.name, kept.content_type) == ("du-thao quyet dinh.docx", convert.DOCX)
    assert bytes(kept.data) == source
    text = _one_line(pdf_text(bytes(main.data), tmp_path))
    assert BODY in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    # The DOCX text is indexed: a word only in the body finds the document.
    visible = queries.visible_documents(sxd.specialist)
    assert list(queries.search(visible, "hoa phu duong giao thong")) == [doc]
    # The PDF is the file that is approved and signed.
    actions.approve_draft(doc, actor=sxd.leader)
    signed = actions.sign_document(doc, signer=sxd.leader)
    assert actions.main_file(signed).data[:5] == b"%PDF-"
    assert BODY in _one_line(pdf_text(bytes(actions.main_file(signed).data), tmp_path))
    assert signed.files.filter(kind="source").count() == 1


@requires_tool("soffice", "pdftotext")
def test_a_revision_as_docx_keeps_the_earlier_versions(offices, tmp_path):
    sxd = offices["SXD"]
    doc = actions.create_draft(
        sxd.agency,
        doc_type="CV",
        subject="Về việc hỗ trợ kinh phí",
        signer=sxd.leader,
        docx=make_docx("Bản thứ nhất."),
        actor=sxd.specialist,
    )
    actions.revise_draft(doc, docx=make_docx("Bản thứ hai có số liệu mới."), actor=sxd.specialist)
    kinds = list(doc.files.order_by("id").values_list("kind", "content_type"))
    assert kinds == [
        ("version", "application/pdf"),
        ("version", convert.DOCX),
        ("main", "application/pdf"),
        ("source", convert.DOCX),
    ]
    assert "Bản thứ hai có số liệu mới." in _one_line(
        pdf_text(bytes(actions.main_file(doc).data), tmp_path)
    )
    doc.refresh_from_db()
    assert "so lieu moi" in doc.search_text
    assert "ban thu nhat" not in doc.search_text  # earlier versions are kept, not searched


@requires_tool("soffice", "pdftotext")
def test_upload_over_the_api(client, offices, tmp_path):
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    form = {
        "agency_code": sxd.agency.code,
        "doc_type": "QD",
        "subject": "Quyết định hỗ trợ kinh phí",
        "signer_username": sxd.leader.username,
    }
    created = client.post(
        "/api/v1/documents/drafts/upload",
        {**form, "file": SimpleUploadedFile("du-thao.docx", make_docx(BODY))},
    )
    assert created.status_code == 201, created.content
    doc = Document.objects.get(pk=created.json()["id"])
    assert BODY in _one_line(pdf_text(bytes(actions.main_file(doc).data), tmp_path))

    before = Document.objects.count()
    cases = [
        ({"file": SimpleUploadedFile("a.docx", b"PK\x03\x04 not a zip")}, "file"),
        ({"file": SimpleUploadedFile("a.txt", b"plain text")}, "file"),
        ({"doc_type": "XX", "file": SimpleUploadedFile("a.docx", make_docx("x"))}, "doc_type"),
        ({"subject": " ", "file": SimpleUploadedFile("a.docx", make_docx("x"))}, "subject"),
    ]
    for changes, field in cases:
        response = client.post("/api/v1/documents/drafts/upload", {**form, **changes})
        assert response.status_code == 422, (changes, response.content)
        assert response.json()["detail"][0]["field"] == field
    assert Document.objects.count() == before


def _broken_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", b"\x00\x01 not xml at all")
        archive.writestr("[Content_Types].xml", b"<broken")
    return out.getvalue()


def test_conversion_failures_are_clear_and_save_nothing(offices, settings, tmp_path):
    sxd = offices["SXD"]
    slow = tmp_path / "slow-soffice"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    cases = [
        ({"DOCUMENTS_SOFFICE": "/khong/co/soffice"}, make_docx("x"), "chưa cài LibreOffice"),
        (
            {"DOCUMENTS_SOFFICE": str(slow), "DOCUMENTS_CONVERT_TIMEOUT": 1},
            make_docx("x"),
            "quá 1 giây",
        ),
        ({}, b"PK\x03\x04 not a zip", "không phải tệp DOCX hợp lệ"),
        ({"DOCUMENTS_SOFFICE": "false"}, make_docx("x"), "Không chuyển được tệp DOCX"),
    ]
    for overrides, data, message in cases:
        for name, value in overrides.items():
            setattr(settings, name, value)
        with pytest.raises(actions.DocumentError, match=message):
            actions.create_draft(
                sxd.agency,
                doc_type="CV",
                subject="Về việc thử",
                signer=sxd.leader,
                docx=data,
                actor=sxd.specialist,
            )
        settings.DOCUMENTS_SOFFICE = "soffice"
        settings.DOCUMENTS_CONVERT_TIMEOUT = 60
    assert Document.objects.count() == 0
    assert DocumentFile.objects.count() == 0


@requires_tool("soffice")
def test_the_libreoffice_output_of_a_broken_docx_is_an_error(settings):
    """A ZIP that claims to be a DOCX but is not: LibreOffice writes no PDF, we say so."""
    with pytest.raises(convert.ConversionError, match="Không chuyển được tệp DOCX"):
        convert.docx_to_pdf(_broken_docx())


@requires_tool("soffice", "pdftotext")
def test_parallel_conversions_do_not_collide(tmp_path):
    """Each call has its own LibreOffice profile: two at once both succeed."""
    results: dict[int, bytes] = {}
    errors: list[Exception] = []

    def run(i: int) -> None:
        try:
            results[i] = convert.docx_to_pdf(make_docx(f"Văn bản số {i} của Sở Xây dựng."))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(3):
        assert f"Văn bản số {i} của Sở Xây dựng." in _one_line(pdf_text(results[i], tmp_path))


def test_the_text_of_docx_tables_is_extracted():
    """The header table (agency, number, national motto) is searchable too."""
    import docx

    from tinhso.documents import textextract

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "SỞ XÂY DỰNG"
    table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    document.add_paragraph("Nội dung chính.")
    out = io.BytesIO()
    document.save(out)
    text = textextract.extract(out.getvalue(), convert.DOCX, "a.docx")
    assert text.split("\n") == [
        "Nội dung chính.",
        "SỞ XÂY DỰNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ]


def test_a_timeout_stops_the_whole_libreoffice_process_tree(settings, tmp_path):
    """`soffice` is a script that starts `soffice.bin`: the child must not outlive a timeout."""
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "soffice"
    script.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pid_file}\nwait\n")
    script.chmod(0o755)
    with pytest.raises(convert.ConversionError, match="quá 1 giây"):
        convert.docx_to_pdf(make_docx("x"), binary=str(script), timeout=1)
    child = int(pid_file.read_text())
    import os
    import time

    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the converter's child process is still running")


def _with_part(docx_bytes: bytes, name: str, transform) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == name:
                data = transform(data)
            target.writestr(item, data)
    return out.getvalue()


LINKED_IMAGE = (
    b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/image" Target="http://10.0.0.5/secret.png" TargetMode="External"/>'
)
HYPERLINK = (
    b'<Relationship Id="rIdY" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/hyperlink" Target="https://dichvucong.gov.vn/" TargetMode="External"/>'
)
INCLUDE_FIELD = (
    b'<w:r><w:instrText xml:space="preserve"> INCLUDETEXT "/etc/passwd" </w:instrText></w:r>'
)


def test_a_docx_that_would_fetch_outside_content_is_refused():
    rels = "word/_rels/document.xml.rels"
    linked = _with_part(
        make_docx("x"),
        rels,
        lambda d: d.replace(b"</Relationships>", LINKED_IMAGE + b"</Relationships>"),
    )
    included = _with_part(
        make_docx("x"),
        "word/document.xml",
        lambda d: d.replace(b"</w:p>", INCLUDE_FIELD + b"</w:p>", 1),
    )
    for data in (linked, included):
        assert convert.pulls_outside_content(data)
        with pytest.raises(convert.ConversionError, match="liên kết ra ngoài tệp"):
            convert.docx_to_pdf(data)
    # A hyperlink and the word LINK in the text are ordinary.
    ordinary = _with_part(
        make_docx("Xem LINK tại Cổng"),
        rels,
        lambda d: d.replace(b"</Relationships>", HYPERLINK + b"</Relationships>"),
    )
    assert not convert.pulls_outside_content(ordinary)
