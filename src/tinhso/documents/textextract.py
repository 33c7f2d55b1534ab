"""Text of a document's files (PDF, DOCX) for full-text search. No I/O beyond the bytes given.

Scanned PDFs without a text layer give no text (OCR is not part of this module).
"""

from __future__ import annotations

import io
import logging
import zipfile

log = logging.getLogger("tinhso.documents")

MAX_CHARS = 200_000
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def extract(data: bytes, content_type: str = "", name: str = "") -> str:
    """The text of a PDF or DOCX file; "" for other kinds or unreadable files."""
    try:
        if data.startswith(b"%PDF-"):
            return _pdf(data)
        if data.startswith(b"PK") and (content_type == DOCX or name.lower().endswith(".docx")):
            return _docx(data)
    except Exception as exc:  # a broken file must not stop registration; it is just not indexed
        log.warning("no text from %s: %s", name or content_type, exc)
    return ""


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    parts, size = [], 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > MAX_CHARS:
            break
    return "\n".join(parts)[:MAX_CHARS]


def _docx(data: bytes) -> str:
    import docx

    from tinhso.core import archives

    # A DOCX received over edXML reaches here unchecked; python-docx would expand it whole.
    try:
        archives.check_archive(data)
    except archives.ArchiveRefused as exc:
        log.warning("DOCX not indexed, its archive was refused: %s", exc.reason)
        return ""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError):
        return ""
    parts = [p.text for p in document.paragraphs]
    # Tables too: the standard layout (Annex I) puts the agency's name, the number and the
    # national motto in a table at the top, and signatures often sit in one at the bottom.
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)[:MAX_CHARS]
