"""Indexing a received DOCX goes through the archive guard (security issue 17, item 5): an
attachment from another agency's system is not opened whole if it expands past the bound."""

from __future__ import annotations

import io
import zipfile

from tinhso.documents import textextract


def docx_with(text: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", text)
    return buffer.getvalue()


def test_an_expanding_docx_is_not_opened(settings, monkeypatch):
    settings.UPLOAD_MAX_EXPANDED_BYTES = 1024 * 1024
    opened = []
    import docx

    monkeypatch.setattr(docx, "Document", lambda *a, **k: opened.append(a) or None)
    data = docx_with(b"0" * (3 * 1024 * 1024))
    assert textextract.extract(data, name="bom.docx") == ""
    assert opened == []


def test_a_small_docx_is_still_opened(settings, monkeypatch):
    opened = []
    import docx

    class Fake:
        paragraphs = [type("P", (), {"text": "Công văn số 12"})()]
        tables: list[object] = []

    monkeypatch.setattr(docx, "Document", lambda *a, **k: opened.append(a) or Fake())
    assert textextract.extract(docx_with(b"<w:document/>"), name="cv.docx") == "Công văn số 12"
    assert len(opened) == 1
