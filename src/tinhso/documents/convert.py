"""DOCX → PDF with LibreOffice headless: the adapter that turns an uploaded DOCX draft into
the PDF that is reviewed and signed (Decree 30/2020/NĐ-CP Điều 10–11: drafting, and the
digital signature on the PDF of an electronic document, Annex I).

Each call runs `soffice --headless --convert-to pdf` in its own temporary folder with its own
user profile (`-env:UserInstallation=file:///…`), so parallel conversions do not fight over
LibreOffice's profile lock; it is killed after `timeout` seconds. The binary comes from
`settings.DOCUMENTS_SOFFICE` (env `TINHSO_DOCUMENTS_SOFFICE`, default `soffice` on PATH),
through the optional-tools registry (`core/tools.py`): a server without LibreOffice refuses
DOCX drafts with a Vietnamese message (`ToolUnavailable`) and accepts them once it is installed.

Before LibreOffice or any reader of ours opens a DOCX, the shared archive guard
(`core.archives`) bounds what it expands to (`UnsafeArchive`), then `pulls_outside_content`
refuses a file that would make the converter fetch anything from outside it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from django.conf import settings

from tinhso.core import archives, tools

log = logging.getLogger("tinhso.documents")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ConversionError(Exception):
    """The DOCX could not be converted; the message is for the user, in Vietnamese."""

    code = "conversion_failed"


class ToolUnavailable(ConversionError):
    """This server has no LibreOffice: DOCX drafts cannot be accepted until it is installed."""

    code = "tool_missing"

    def __init__(self) -> None:
        super().__init__(
            "Máy chủ này chưa cài LibreOffice (soffice) nên chưa nhận được dự thảo DOCX; hãy "
            "tải lên bản PDF của dự thảo."
        )


class UnsafeArchive(ConversionError):
    """The DOCX expands beyond the upload bound or is built oddly (`core.archives`)."""

    code = "archive_refused"

    def __init__(self, refusal: archives.ArchiveRefused) -> None:
        limit = archives.bounds().max_expanded_bytes
        super().__init__(
            f"Tệp DOCX là tệp nén giải nén ra quá lớn (hơn {limit // archives.MB} MB) hoặc có "
            "cấu trúc bất thường nên không được nhận; hãy lưu lại tệp bằng trình soạn thảo hoặc "
            "tải lên bản PDF."
        )
        self.reason = refusal.reason


def soffice(binary: str | None = None) -> str:
    """The LibreOffice binary to run (`binary`, else the configured one); ToolUnavailable."""
    found = shutil.which(binary) if binary else tools.find("soffice")
    if found is None:
        raise ToolUnavailable
    return found


def is_docx(data: bytes) -> bool:
    """A ZIP the archive guard accepts, holding `word/document.xml` (what Word and
    LibreOffice write). The guard comes first: nothing lists the parts of a file it refuses,
    whatever its first bytes are (zipfile opens a ZIP behind any prefix)."""
    try:
        archives.check_archive(data)
    except archives.ArchiveRefused:
        return False
    return _holds_document(data)


def _holds_document(data: bytes) -> bool:
    """For a ZIP the guard accepted: only the central directory is read."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


_EXTERNAL = re.compile(rb"<Relationship\b[^>]*TargetMode=\"External\"[^>]*>")
_TYPE = re.compile(rb'\bType="([^"]*)"')
# A field's instruction: in <w:instrText> runs or a simple field's w:instr attribute.
_FETCHING_FIELDS = re.compile(
    rb'(?:<w:instrText[^>]*>|w:instr=")\s*(?:INCLUDETEXT|INCLUDEPICTURE|LINK|DDEAUTO|DDE)\b'
)


def pulls_outside_content(data: bytes) -> bool:
    """Whether converting would make LibreOffice fetch something outside the file: a linked
    (not embedded) image, template, frame or object, or a field that includes a file or URL.
    Hyperlinks are fine: converting does not follow them. Reads each XML part whole: for a
    DOCX the archive guard accepted (as `docx_to_pdf` checks first)."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for info in archive.infolist():
            name = info.filename
            if not name.startswith("word/") and not name.endswith(".rels"):
                continue
            if not name.endswith((".xml", ".rels")):
                continue  # embedded images and fonts
            content = archive.read(name)
            if name.endswith(".rels"):
                for relationship in _EXTERNAL.findall(content):
                    kind = _TYPE.search(relationship)
                    if not (kind and kind.group(1).endswith(b"/hyperlink")):
                        return True
            elif name.endswith(".xml") and _FETCHING_FIELDS.search(content):
                return True
    return False


def docx_to_pdf(data: bytes, *, binary: str | None = None, timeout: int | None = None) -> bytes:
    """The PDF of a DOCX file. Raises ConversionError (never returns an empty PDF)."""
    # The guard on every input, not only on what starts like a ZIP: zipfile (and LibreOffice)
    # open a ZIP behind any prefix. Before anything lists or reads its parts.
    try:
        archives.check_archive(data)
    except archives.ArchiveRefused as exc:
        if exc.reason != archives.Reason.NOT_A_ZIP:
            raise UnsafeArchive(exc) from None
        raise ConversionError("Tệp không phải tệp DOCX hợp lệ.") from None
    if not _holds_document(data):
        raise ConversionError("Tệp không phải tệp DOCX hợp lệ.")
    if pulls_outside_content(data):
        # The server would fetch it while converting: an address inside the province's
        # network, or a local file copied into the PDF.
        raise ConversionError(
            "Tệp DOCX có ảnh, trường hoặc đối tượng liên kết ra ngoài tệp; hãy nhúng chúng vào "
            "tệp hoặc tải lên bản PDF."
        )
    binary = soffice(binary)
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
            # Its own process group: `soffice` is a script that starts `soffice.bin`, and a
            # timeout must stop the whole tree, not just the script.
            process = subprocess.Popen(  # noqa: S603 - the configured binary, fixed arguments
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=folder,
                start_new_session=True,
            )
        except FileNotFoundError:  # removed since it was found
            raise ToolUnavailable from None
        try:
            _out, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConversionError(
                f"Chuyển DOCX sang PDF quá {timeout} giây; hãy thử lại hoặc tải lên tệp PDF."
            ) from None
        result = folder / "out" / "du-thao.pdf"
        if process.returncode != 0 or not result.exists():
            log.warning(
                "soffice failed (%s): %s", process.returncode, errors.decode(errors="replace")
            )
            raise ConversionError("Không chuyển được tệp DOCX sang PDF; tệp có thể bị hỏng.")
        pdf = result.read_bytes()
    if not pdf.startswith(b"%PDF-"):
        raise ConversionError("Không chuyển được tệp DOCX sang PDF; tệp có thể bị hỏng.")
    return pdf
