"""Checking attached files by their content, not their name, and the size limits.

Decree 45/2020/NĐ-CP lets citizens submit electronic copies of dossier components; the
formats a province accepts are its own choice, so they are configurable. By default: PDF,
JPEG, PNG, DOCX, XLSX and ODT. The file's first bytes decide its type (`filetype`), and a
second look confirms it: a PDF must end with `%%EOF` near its end, an image must decode
with Pillow, an office document must be a ZIP holding the part its format requires. Any ZIP
passes the shared archive guard (`core.archives`: entries, declared and real expansion,
ratios, names, nesting) before anything else opens it, so a DOCX that expands to a gigabyte
is refused and never stored (security issue 17, item 5).

Pure apart from reading the bytes it is given.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from tinhso.core import archives

MB = 1024 * 1024
DEFAULT_TYPES = ("pdf", "jpg", "png", "docx", "xlsx", "odt")
DEFAULT_MAX_FILE_BYTES = 10 * MB
DEFAULT_MAX_DOSSIER_BYTES = 50 * MB

LABELS = {
    "pdf": "PDF",
    "jpg": "JPEG",
    "png": "PNG",
    "docx": "DOCX",
    "xlsx": "XLSX",
    "odt": "ODT",
    "doc": "DOC",
    "xls": "XLS",
    "gif": "GIF",
    "tif": "TIFF",
}
MIME = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
}
_ZIP_PART = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "odt": "content.xml",
}


class RejectedFile(ValueError):
    """A file the dossier cannot take; the message is for the citizen, in their language."""

    code = "file_rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ArchiveRejected(RejectedFile):
    """A ZIP-based file (DOCX, XLSX, ODT) that expands beyond the bound or is built oddly;
    `reason` is the guard's, for logs and tests."""

    code = "archive_rejected"

    def __init__(self, name: str, refusal: archives.ArchiveRefused) -> None:
        limit = archives.bounds().max_expanded_bytes
        super().__init__(
            _(
                "Tệp “%(name)s” là tệp nén giải nén ra quá lớn (hơn %(limit)s) hoặc có cấu trúc "
                "bất thường nên không được nhận."
            )
            % {"name": name, "limit": size_label(limit)}
        )
        self.reason = refusal.reason


@dataclass(frozen=True)
class Limits:
    types: tuple[str, ...]
    max_file_bytes: int
    max_dossier_bytes: int

    @property
    def types_label(self) -> str:
        return ", ".join(LABELS.get(t, t.upper()) for t in self.types)

    @property
    def accept(self) -> str:
        """For `<input type=file accept=...>`: a hint only; the server decides by content."""
        return ",".join(f".{t}" if t != "jpg" else ".jpg,.jpeg" for t in self.types)


def limits() -> Limits:
    """From settings: DOSSIER_FILE_TYPES, DOSSIER_MAX_FILE_BYTES, DOSSIER_MAX_DOSSIER_BYTES."""
    types = getattr(settings, "DOSSIER_FILE_TYPES", DEFAULT_TYPES)
    if isinstance(types, str):
        types = tuple(t.strip().lower() for t in types.split(",") if t.strip())
    return Limits(
        types=tuple(types),
        max_file_bytes=int(getattr(settings, "DOSSIER_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)),
        max_dossier_bytes=int(
            getattr(settings, "DOSSIER_MAX_DOSSIER_BYTES", DEFAULT_MAX_DOSSIER_BYTES)
        ),
    )


def size_label(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"


# An A4 page scanned at 600 dpi is about 35 megapixels; more is not a paper document.
MAX_IMAGE_PIXELS = 50_000_000


def _confirm(kind: str, content: bytes) -> bool:
    if kind == "pdf":
        return content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]
    if kind in {"jpg", "png"}:
        try:
            with Image.open(io.BytesIO(content)) as image:
                # The header's size, before any pixel is decoded: a small file can claim
                # 20000 x 20000 pixels and take gigabytes to open.
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return False
                image.verify()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ):
            return False
        return True
    if kind in _ZIP_PART:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
                if kind == "odt":
                    mimetype = archive.read("mimetype") if "mimetype" in names else b""
                    return mimetype.strip() == MIME["odt"].encode()
                return _ZIP_PART[kind] in names
        except (zipfile.BadZipFile, KeyError, OSError):
            return False
    return True


def check_room(
    name: str, size: int, *, already_in_dossier: int, rules: Limits | None = None
) -> None:
    """RejectedFile when `size` more bytes would take the dossier over its total limit."""
    rules = rules or limits()
    if already_in_dossier + size > rules.max_dossier_bytes:
        raise RejectedFile(
            _("Không thể thêm tệp “%(name)s”: tổng dung lượng hồ sơ sẽ vượt quá %(limit)s.")
            % {"name": name, "limit": size_label(rules.max_dossier_bytes)}
        )


def check_file(
    name: str, content: bytes, *, already_in_dossier: int, rules: Limits | None = None
) -> str:
    """The file's real type (e.g. "pdf"), or RejectedFile with the reason for the citizen."""
    rules = rules or limits()
    if not content:
        raise RejectedFile(_("Tệp “%(name)s” rỗng.") % {"name": name})
    if len(content) > rules.max_file_bytes:
        raise RejectedFile(
            _("Tệp “%(name)s” có dung lượng %(size)s, vượt quá giới hạn %(limit)s cho mỗi tệp.")
            % {
                "name": name,
                "size": size_label(len(content)),
                "limit": size_label(rules.max_file_bytes),
            }
        )
    check_room(name, len(content), already_in_dossier=already_in_dossier, rules=rules)
    guess = filetype.guess(content[:8192] if len(content) > 8192 else content)
    kind = guess.extension if guess else ""
    if kind in _ZIP_PART or kind == "zip" or archives.is_zip(content):
        # Before anything reads the archive's parts: `_confirm` reads an ODT's mimetype and
        # the directory itself can be a million entries.
        try:
            archives.check_archive(content)
        except archives.ArchiveRefused as exc:
            if exc.reason != archives.Reason.NOT_A_ZIP:
                raise ArchiveRejected(name, exc) from None
    if kind == "zip":
        kind = _office_kind(content)
    if kind not in rules.types or not _confirm(kind, content):
        raise RejectedFile(
            _(
                "Tệp “%(name)s” không phải là tệp hợp lệ thuộc các định dạng được chấp nhận "
                "(%(types)s); hệ thống kiểm tra nội dung tệp, không dựa vào tên tệp."
            )
            % {"name": name, "types": rules.types_label}
        )
    return kind


def _office_kind(content: bytes) -> str:
    """filetype may call an office document "zip" when its parts are in an unusual order."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return "zip"
    for kind, part in _ZIP_PART.items():
        if part in names:
            return kind
    return "zip"
