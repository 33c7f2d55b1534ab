"""DOCX → PDF with LibreOffice headless: the adapter that turns an uploaded DOCX draft into
the PDF that is reviewed and signed (Decree 30/2020/NĐ-CP Điều 10–11: drafting, and the
digital signature on the PDF of an electronic document, Annex I).

Each call runs `soffice --headless --convert-to pdf` in its own temporary folder with its own
user profile (`-env:UserInstallation=file:///…`), so parallel conversions do not fight over
LibreOffice's profile lock; it is killed after `timeout` seconds. The binary comes from
`settings.DOCUMENTS_SOFFICE` (env `TINHSO_DOCUMENTS_SOFFICE`, default `soffice`).
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from django.conf import settings

log = logging.getLogger("tinhso.documents")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ConversionError(Exception):
    """The DOCX could not be converted; the message is for the user, in Vietnamese."""


def is_docx(data: bytes) -> bool:
    """A ZIP holding `word/document.xml` (what Word and LibreOffice write)."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def docx_to_pdf(data: bytes, *, binary: str | None = None, timeout: int | None = None) -> bytes:
    """The PDF of a DOCX file. Raises ConversionError (never returns an empty PDF)."""
    if not is_docx(data):
        raise ConversionError("Tệp không phải tệp DOCX hợp lệ.")
    binary = binary or settings.DOCUMENTS_SOFFICE
    timeout = timeout or settings.DOCUMENTS_CONVERT_TIMEOUT
    with tempfile.TemporaryDirectory(prefix="tinhso-soffice-") as tmp:
        folder = Path(tmp)
        source = folder / "du-thao.docx"
        source.write_bytes(data)
        command = [
            binary,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            str(source),
        ]
        try:
            done = subprocess.run(  # noqa: S603 - the configured binary, fixed arguments
                command, capture_output=True, timeout=timeout, check=False, cwd=folder
            )
        except FileNotFoundError:
            raise ConversionError(
                "Máy chủ chưa cài LibreOffice (soffice) để chuyển DOCX sang PDF."
            ) from None
        except subprocess.TimeoutExpired:
            raise ConversionError(
                f"Chuyển DOCX sang PDF quá {timeout} giây; hãy thử lại hoặc tải lên tệp PDF."
            ) from None
        result = folder / "out" / "du-thao.pdf"
        if done.returncode != 0 or not result.exists():
            log.warning(
                "soffice failed (%s): %s", done.returncode, done.stderr.decode(errors="replace")
            )
            raise ConversionError("Không chuyển được tệp DOCX sang PDF; tệp có thể bị hỏng.")
        pdf = result.read_bytes()
    if not pdf.startswith(b"%PDF-"):
        raise ConversionError("Không chuyển được tệp DOCX sang PDF; tệp có thể bị hỏng.")
    return pdf
