"""Small, real files of each accepted type, built in memory, and helpers for the tests."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

PASSWORD = "mat-khau-rat-dai-2025"


def pdf_bytes(text: str = "Ban sao giay to", *, pad_to: int = 0) -> bytes:
    """A minimal valid one-page PDF; `pad_to` grows it with a comment to about that size."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    if pad_to:
        line = b"%" + b"x" * 78 + b"\n"
        out.write(line * max(0, pad_to // len(line)))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


def docx_bytes() -> bytes:
    from docx import Document

    out = io.BytesIO()
    doc = Document()
    doc.add_paragraph("Đơn đề nghị")
    doc.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Bảng kê"
    book.save(out)
    return out.getvalue()


def odt_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return out.getvalue()


def plain_zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not an office document")
    return out.getvalue()


def paper_intake(office, *, channel: str = "counter", digitised: bool = True, **extra):  # type: ignore[no-untyped-def]
    """A paper dossier received by `tiepnhan` for the same citizen, with the form's scan
    (digitised at intake or not): what the counter and postal intake tests start from."""
    from tinhso.dossiers import actions

    tk = office.version.components.get(code="TK")
    return actions.intake(
        office.version,
        officer=office.tiepnhan,
        channel=channel,
        personal_id="066195000999",
        full_name="Trần Thị Thu Hương",
        form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
        components=[actions.PaperComponent(tk.pk, "to-khai.pdf", pdf_bytes("tk"), digitised)],
        **extra,
    )
