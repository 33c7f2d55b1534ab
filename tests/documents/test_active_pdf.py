"""A PDF with active content (JavaScript, launch actions, embedded files...) never enters the
signing workflow (security issue item 5): refused at the draft's upload, page and API, and
again at signing for a file that was stored before the check; the platform's own PDFs pass."""

from __future__ import annotations

import io
import time
import zlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from tests.support import SHARED
from tinhso.documents import actions, pdfcheck, pki, rendering, signing
from tinhso.documents.models import Document, DocumentFile

from . import pdfs
from .test_office_pages import _draft_post, _snapshot
from .test_views import _sign_in

SAMPLES = SHARED / "domain" / "samples"
MESSAGE = "Tệp PDF chứa mã chạy tự động"

ACTIVE = {
    "plain": pdfs.classic(pdfs.JS_ACTION),
    "hex-escaped": pdfs.classic(pdfs.ESCAPED_JS_ACTION),
    "object stream": pdfs.object_stream(pdfs.JS_ACTION),
    "object stream, hex-escaped": pdfs.object_stream(pdfs.ESCAPED_JS_ACTION),
}


def _rendered() -> bytes:
    return rendering.render_pdf(
        rendering.Draft(
            agency_name="Sở Xây dựng tỉnh Đắk Lắk",
            parent_name="Ủy ban nhân dân tỉnh Đắk Lắk",
            number_line="Số: /SXD-QLXD",
            place="Đắk Lắk",
            day=date(2026, 3, 2),
            type_name="",
            subject="Về việc tổng kết công tác năm",
            content="Sở Xây dựng đề nghị các đơn vị báo cáo.",
            signer_position="Giám đốc",
            signer_name="Nguyễn Văn A",
            recipients=("Sở Tư pháp",),
        )
    )


def _written_by_pypdf(attachment: bytes | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if attachment is not None:
        writer.add_attachment("bang-tinh.xlsx", attachment)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the detector ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(ACTIVE))
def test_javascript_is_found_however_it_is_written(shape):
    data = ACTIVE[shape]
    # a viewer sees the action: the file is a real PDF whose opening runs JavaScript
    root = PdfReader(io.BytesIO(data), strict=False).trailer["/Root"]
    assert root["/OpenAction"]["/S"] == "/JavaScript"
    assert pdfcheck.active_content(data) == ("/JS", "/JavaScript")


@pytest.mark.parametrize("shape", ["classic", "object stream"])
def test_the_same_files_without_the_action_pass(shape):
    build = pdfs.classic if shape == "classic" else pdfs.object_stream
    assert pdfcheck.active_content(build(pdfs.NO_ACTION)) == ()


def test_each_kind_of_active_content_is_named():
    assert pdfcheck.active_content(_written_by_pypdf(attachment=b"x")) == (
        "/EmbeddedFile",
        "/EmbeddedFiles",
    )
    for action, name in [
        (b"<< /S /Launch /F (cmd.exe) >>", "/Launch"),
        (b"<< /S /SubmitForm /F (https://x.example/) >>", "/SubmitForm"),
        (b"<< /S /ImportData /F (du-lieu.fdf) >>", "/ImportData"),
        (b"<< /S /Rich#4dedia >>", "/RichMedia"),
    ]:
        assert pdfcheck.active_content(pdfs.classic(action)) == (name,)
    xfa = pdfs.classic(pdfs.NO_ACTION).replace(
        b"/OpenAction 4 0 R", b"/AcroForm << /XFA 5 0 R >>    "
    )
    assert pdfcheck.active_content(xfa) == ("/XFA",)


def test_an_object_hidden_in_another_streams_data_is_still_read():
    """The cross-reference table may point into what reads, front to back, as a stream's
    data: a viewer opens the object there, so the check does too."""
    data = pdfs.classic(pdfs.JS_ACTION, hidden=True)
    root = PdfReader(io.BytesIO(data), strict=False).trailer["/Root"]
    assert root["/OpenAction"]["/S"] == "/JavaScript"
    assert pdfcheck.active_content(data) == ("/JS", "/JavaScript")


def test_a_decompression_bomb_is_refused_without_being_expanded():
    """An object stream that inflates past the budget is not read further: refused, fast."""
    bomb = pdfs.object_stream(pdfs.NO_ACTION, compressed_body=b"1 0 " + b" " * 300_000_000)
    assert len(bomb) < 400_000
    started = time.monotonic()
    assert pdfcheck.active_content(bomb) == (pdfcheck.UNCHECKED,)
    assert time.monotonic() - started < 5


def test_an_object_stream_in_a_filter_not_read_here_is_refused():
    data = pdfs.object_stream(pdfs.NO_ACTION)
    raw_start = data.index(b"stream\n", data.index(b"/ObjStm")) + len(b"stream\n")
    raw_end = data.index(b"\nendstream", raw_start)
    plain = zlib.decompress(data[raw_start:raw_end])
    hexed = plain.hex().encode() + b">"
    changed = data[:raw_start].replace(b"/FlateDecode", b"/ASCIIHexDecode") + hexed + data[raw_end:]
    assert pdfcheck.active_content(changed) == (pdfcheck.UNCHECKED,)


def test_the_platforms_own_pdfs_pass(test_ca):
    rendered = _rendered()
    assert pdfcheck.active_content(rendered) == ()
    keys = pki.issue(test_ca, "Nguyễn Văn A", "Sở Xây dựng")
    signed = signing.sign_pdf(
        rendered,
        signing.SigningKey(keys.to_pkcs12(b"mat-khau", (test_ca.certificate,)), b"mat-khau"),
        field_name="ChuKy",
        stamp_text="Giám đốc\nNguyễn Văn A\n%(ts)s",
        box=signing.SIGNER_BOX,
    )
    assert pdfcheck.active_content(signed) == ()
    assert pdfcheck.active_content(_written_by_pypdf()) == ()


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
def test_the_shared_sample_pdfs_pass():
    found = sorted(SAMPLES.rglob("*.pdf"))
    for path in found:
        assert pdfcheck.active_content(path.read_bytes()) == (), path.name
    if not found:
        pytest.skip("no PDF among the shared samples")


# --- where a PDF enters the workflow ---------------------------------------------------------


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize("shape", sorted(ACTIVE))
def test_a_draft_page_refuses_an_active_pdf_and_saves_nothing(client, offices, shape):
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    before = _snapshot()
    response = client.post(
        "/van-ban/du-thao/moi/", _draft_post(sxd, file=_upload("du-thao.pdf", ACTIVE[shape]))
    )
    assert response.status_code == 422
    assert MESSAGE in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("shape", sorted(ACTIVE))
def test_the_draft_api_refuses_an_active_pdf_on_the_file_field(client, offices, shape):
    sxd = offices["SXD"]
    _sign_in(client, sxd.specialist)
    before = _snapshot()
    response = client.post(
        "/api/v1/documents/drafts/upload",
        {
            "agency_code": sxd.agency.code,
            "doc_type": "CV",
            "subject": "Về việc tổng kết",
            "signer_username": sxd.leader.username,
            "file": _upload("du-thao.pdf", ACTIVE[shape]),
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "documents.active_pdf"
    assert [(d["field"], d["msg"][: len(MESSAGE)]) for d in body["detail"]] == [("file", MESSAGE)]
    assert _snapshot() == before


def test_a_new_version_with_javascript_is_refused_page_and_api(client, offices):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="CV", subject="Dự thảo", signer=sxd.leader, actor=sxd.specialist
    )
    _sign_in(client, sxd.specialist)
    before = _snapshot()
    page = client.post(
        f"/van-ban/{draft.pk}/sua/", {"revise-file": _upload("b.pdf", ACTIVE["object stream"])}
    )
    assert page.status_code == 422
    assert MESSAGE in page.content.decode()
    api = client.post(
        f"/api/v1/documents/{draft.pk}/revise",
        {"file": _upload("b.pdf", ACTIVE["hex-escaped"])},
    )
    assert (api.status_code, api.json()["code"]) == (422, "documents.active_pdf")
    assert _snapshot() == before
    assert draft.files.filter(kind=DocumentFile.Kind.VERSION).count() == 0


def _approved_with_main(offices, data: bytes) -> Document:
    """An approved draft whose main file is `data`, stored as if before the check existed."""
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="CV", subject="Chờ ký", signer=sxd.leader, actor=sxd.specialist
    )
    actions.approve_draft(draft, actor=sxd.leader)
    draft.files.filter(kind=DocumentFile.Kind.MAIN).update(data=data)
    return draft


@pytest.mark.parametrize("shape", sorted(ACTIVE))
def test_signing_refuses_an_active_pdf_stored_before_the_check(client, offices, shape, monkeypatch):
    draft = _approved_with_main(offices, ACTIVE[shape])
    signatures = []
    monkeypatch.setattr(signing, "sign_pdf", lambda *a, **k: signatures.append(a))
    _sign_in(client, offices["SXD"].leader)
    before = _snapshot()
    response = client.post(
        f"/api/v1/documents/{draft.pk}/sign", {}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (422, "documents.active_pdf")
    page = client.post(f"/van-ban/{draft.pk}/ky/", {"sign-pin": ""})
    assert page.status_code == 422
    assert MESSAGE in page.content.decode()
    assert signatures == []
    assert _snapshot() == before
    draft.refresh_from_db()
    assert draft.state == Document.State.APPROVED


def test_a_draft_rendered_by_the_platform_is_signed_as_before(offices):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="CV", subject="Mẫu", signer=sxd.leader, actor=sxd.specialist
    )
    actions.approve_draft(draft, actor=sxd.leader)
    signed = actions.sign_document(draft, signer=sxd.leader)
    assert signed.state == Document.State.SIGNED
    assert pdfcheck.active_content(bytes(actions.main_file(signed).data)) == ()
    issued = actions.issue_document(signed, actor=sxd.clerk)
    assert issued.state == Document.State.ISSUED
