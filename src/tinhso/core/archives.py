"""What a ZIP-based upload expands to (DOCX, XLSX, ODT, any ZIP container), bounded.

Law on Network Information Security 2015 (86/2015/QH13) and Decree 85/2016/NĐ-CP (security of
information systems by level): a public service must not let the input it accepts exhaust the
server. A ZIP is the one accepted format whose size says nothing about its content: a few
hundred kilobytes of deflated zeros become a gigabyte in whoever opens them (our own checks,
LibreOffice, python-docx, the officer's Word). Security issue 17, item 5.

Two passes, cheapest first:

1. The central directory (`zipfile.ZipFile.infolist`), nothing decompressed: the number of
   entries (counted on the raw directory before zipfile builds an object per entry), the
   declared total, each entry's compression ratio and method (stored or deflated: bzip2 and
   LZMA cannot be decompressed in bounded pieces), each name (absolute, `..`, a drive).
2. Because the directory can lie, every entry is decompressed in chunks that are counted
   and spooled (memory, then disk) until the entry is done: it stops at once when the real
   output passes the entry's declared size or the total bound. The stream is read from the
   local header to the end of the data, not to the declared compressed size, so a stream
   longer than declared is measured too. An entry that is itself a ZIP (to zipfile: an end
   record, whatever precedes it) is checked the same way, sharing the bound; a ZIP inside
   that one is refused.

Pure apart from a spooled temporary file holding each entry while it is checked. The
callers turn `ArchiveRefused` into their own Vietnamese message; `reason` says which check,
for logs and tests only.
"""

from __future__ import annotations

import enum
import io
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.conf import settings

MB = 1024 * 1024
DEFAULT_MAX_EXPANDED_BYTES = 100 * MB
# An office document has a few dozen parts; a large workbook or an ODT with many pictures a
# few hundred. Thousands of entries is a directory that costs more to list than to store.
MAX_ENTRIES = 5_000
# Office XML deflates about 5-20:1, pictures and fonts about 1:1. Zeros deflate about 1000:1,
# so more than 100:1 on an entry big enough to matter is a bomb, not a document.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1 * MB  # small parts (a styles.xml of repeated runs) may compress better
# A DOCX may embed an XLSX (a chart's workbook), one level; nothing legitimate goes deeper.
MAX_DEPTH = 1
CHUNK = 64 * 1024  # input read and output produced per step of the streaming check
SPOOL_BYTES = 8 * MB  # a nested archive is held in memory up to this, then on disk

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"
_END64 = b"PK\x06\x06"
_END64_LOCATOR = b"PK\x06\x07"
# Stored and deflated only: office files use nothing else, and zipfile's bzip2 and LZMA readers
# decompress each input block whole before cutting to the declared size, so a few hundred
# bytes can cost hundreds of megabytes before any bound of ours sees them.
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


class Reason(enum.StrEnum):
    """Which check refused: for logs and tests; people get one message from the caller."""

    NOT_A_ZIP = "not_a_zip"
    TOO_MANY_ENTRIES = "too_many_entries"
    TOO_LARGE = "too_large"  # declared or real total over the bound
    RATIO = "ratio"
    UNSAFE_NAME = "unsafe_name"
    NESTED = "nested"
    SIZE_MISMATCH = "size_mismatch"  # the real content is not what the directory declares
    UNREADABLE = "unreadable"  # encrypted, an unknown method, a broken stream


class ArchiveRefused(ValueError):
    """The archive is refused: `reason`, the entry at fault (if one) and the bound in bytes."""

    def __init__(self, reason: Reason, *, entry: str = "", limit: int = 0) -> None:
        super().__init__(f"{reason}: {entry}" if entry else str(reason))
        self.reason = reason
        self.entry = entry
        self.limit = limit


@dataclass(frozen=True)
class Bounds:
    max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES
    max_entries: int = MAX_ENTRIES
    max_ratio: int = MAX_RATIO
    ratio_from_bytes: int = RATIO_FROM_BYTES
    max_depth: int = MAX_DEPTH


def bounds() -> Bounds:
    """The bounds in force: the total from `UPLOAD_MAX_EXPANDED_BYTES`, the rest constants."""
    return Bounds(
        max_expanded_bytes=int(
            getattr(settings, "UPLOAD_MAX_EXPANDED_BYTES", DEFAULT_MAX_EXPANDED_BYTES)
        )
    )


@dataclass(frozen=True)
class Checked:
    """What an accepted archive holds, all levels counted."""

    entries: int
    declared_bytes: int
    expanded_bytes: int  # measured while decompressing, not read from the directory
    nested: int  # entries that were themselves archives


def is_zip(data: bytes) -> bool:
    """What zipfile would open: an end record found from the end, whatever comes before it.
    Not the first bytes: zipfile tolerates a prefix, so a file starting otherwise is still
    read as a ZIP by whoever opens it next."""
    return zipfile.is_zipfile(io.BytesIO(data))


def check_archive(data: bytes, limits: Bounds | None = None) -> Checked:
    """Checked, or ArchiveRefused. `data` must be a ZIP (anything else: NOT_A_ZIP)."""
    limits = limits or bounds()
    budget = _Budget(limits.max_expanded_bytes)
    return _check(io.BytesIO(data), len(data), limits, budget, depth=0)


def too_many_entries(data: bytes, limits: Bounds | None = None) -> bool:
    """Whether the raw central directory lists more entries than the bound: a cheap look for
    code that only wants the names (`namelist()` builds an object per entry)."""
    limits = limits or bounds()
    count = _count_entries(io.BytesIO(data), len(data), stop_after=limits.max_entries)
    return count is not None and count > limits.max_entries


class _Budget:
    """Bytes still allowed out of decompression, shared by an archive and those inside it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    def spend(self, count: int, entry: str) -> None:
        self.used += count
        if self.used > self.total:
            raise ArchiveRefused(Reason.TOO_LARGE, entry=entry, limit=self.total)


def _check(source: IO[bytes], size: int, limits: Bounds, budget: _Budget, *, depth: int) -> Checked:
    count = _count_entries(source, size, stop_after=limits.max_entries)
    if count is not None and count > limits.max_entries:
        raise ArchiveRefused(Reason.TOO_MANY_ENTRIES, limit=limits.max_entries)
    source.seek(0)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ArchiveRefused(Reason.NOT_A_ZIP) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:  # the raw count found no directory zipfile read
            raise ArchiveRefused(Reason.TOO_MANY_ENTRIES, limit=limits.max_entries)
        declared = _check_directory(infos, limits, budget)
        entries, nested = len(infos), 0
        for info in infos:
            inner = _stream(source, size, info, limits, budget, depth=depth)
            if inner is not None:
                nested += 1 + inner.nested
                entries += inner.entries
                declared += inner.declared_bytes
    return Checked(entries, declared, budget.used, nested)


def _check_directory(infos: list[zipfile.ZipInfo], limits: Bounds, budget: _Budget) -> int:
    declared = 0
    for info in infos:
        if _unsafe(info.filename):
            raise ArchiveRefused(Reason.UNSAFE_NAME, entry=info.filename)
        if info.flag_bits & 0x1:  # encrypted: cannot be measured, and no office file is
            raise ArchiveRefused(Reason.UNREADABLE, entry=info.filename)
        if info.compress_type not in _METHODS:
            raise ArchiveRefused(Reason.UNREADABLE, entry=info.filename)
        declared += info.file_size
        if budget.used + declared > budget.total:
            raise ArchiveRefused(Reason.TOO_LARGE, entry=info.filename, limit=budget.total)
        if info.file_size > limits.ratio_from_bytes and (
            info.compress_size == 0 or info.file_size > info.compress_size * limits.max_ratio
        ):
            raise ArchiveRefused(Reason.RATIO, entry=info.filename, limit=limits.max_ratio)
    return declared


def _unsafe(name: str) -> bool:
    """Absolute (`/x`, `\\x`, `C:x`) or climbing out (`..` as a part): an extractor would write
    outside its folder."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        return True
    return ".." in unified.split("/") or "\x00" in name


def _stream(
    source: IO[bytes],
    size: int,
    info: zipfile.ZipInfo,
    limits: Bounds,
    budget: _Budget,
    *,
    depth: int,
) -> Checked | None:
    """Decompress one entry, counting the output into a spooled copy; the nested archive's
    result when the entry is itself a ZIP."""
    if info.is_dir():
        return None
    produced = crc = 0
    # Every entry is kept while it is measured: zipfile opens a ZIP behind any prefix, so
    # only the finished entry says whether it is one (its end record, as zipfile looks).
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for piece in _pieces(source, size, info):
            produced += len(piece)
            if produced > info.file_size:
                raise ArchiveRefused(Reason.SIZE_MISMATCH, entry=info.filename)
            budget.spend(len(piece), info.filename)
            crc = zlib.crc32(piece, crc)
            spool.write(piece)
        if produced != info.file_size or crc != info.CRC:
            raise ArchiveRefused(Reason.SIZE_MISMATCH, entry=info.filename)
        spool.seek(0)
        if not zipfile.is_zipfile(spool):
            return None
        if depth >= limits.max_depth:
            raise ArchiveRefused(Reason.NESTED, entry=info.filename, limit=limits.max_depth)
        try:
            return _check(spool, produced, limits, budget, depth=depth + 1)
        except ArchiveRefused as exc:
            # An end record zipfile cannot follow: refused, not "no ZIP", which callers let
            # pass (the outer archive's remaining entries would go unchecked).
            if exc.reason == Reason.NOT_A_ZIP:
                raise ArchiveRefused(Reason.UNREADABLE, entry=info.filename) from None
            raise


def _pieces(source: IO[bytes], size: int, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The entry's content in pieces of at most CHUNK bytes."""
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise ArchiveRefused(Reason.SIZE_MISMATCH, entry=info.filename)
        return _stored(source, _data_start(source, size, info), info.compress_size, info.filename)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return _inflated(source, _data_start(source, size, info), size, info.filename)
    # `_check_directory` refuses every other method before anything is decompressed.
    raise ArchiveRefused(Reason.UNREADABLE, entry=info.filename)


def _data_start(source: IO[bytes], size: int, info: zipfile.ZipInfo) -> int:
    source.seek(info.header_offset)
    header = source.read(30)
    if len(header) < 30 or header[:4] != _LOCAL:
        raise ArchiveRefused(Reason.UNREADABLE, entry=info.filename)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    if start > size:
        raise ArchiveRefused(Reason.UNREADABLE, entry=info.filename)
    return start


def _stored(source: IO[bytes], position: int, length: int, name: str) -> Iterator[bytes]:
    while length > 0:
        source.seek(position)
        piece = source.read(min(CHUNK, length))
        if not piece:
            raise ArchiveRefused(Reason.UNREADABLE, entry=name)
        position += len(piece)
        length -= len(piece)
        yield piece


def _inflated(source: IO[bytes], position: int, end: int, name: str) -> Iterator[bytes]:
    """A raw deflate stream from `position` to its own end, whatever the directory says its
    compressed size is: a stream longer than declared is measured, not cut short."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = b""
    while not inflater.eof:
        if not pending:
            if position >= end:  # the file ended inside the stream
                raise ArchiveRefused(Reason.UNREADABLE, entry=name)
            source.seek(position)
            pending = source.read(min(CHUNK, end - position))
            position += len(pending)
        try:
            piece = inflater.decompress(pending, CHUNK)
        except zlib.error:
            raise ArchiveRefused(Reason.UNREADABLE, entry=name) from None
        pending = inflater.unconsumed_tail
        if piece:
            yield piece


def _count_entries(source: IO[bytes], size: int, *, stop_after: int) -> int | None:
    """Entries in the central directory, counted on its raw headers (stopping one past
    `stop_after`), so a directory of a million entries is refused before zipfile builds a
    million objects; the larger of that and the count an end record declares. None when no
    end record is found (zipfile then says what is wrong)."""
    tail_length = min(size, 22 + 65_535)
    source.seek(size - tail_length)
    tail = source.read(tail_length)
    end = tail.rfind(_END)
    if end < 0 or len(tail) - end < 22:
        return None
    (declared,) = struct.unpack("<H", tail[end + 10 : end + 12])
    cd_size, cd_offset = struct.unpack("<II", tail[end + 12 : end + 20])
    end_at = size - tail_length + end
    record_at = end_at
    # As zipfile does: a locator just before the end record means the ZIP64 record just
    # before it is the one read, whatever the classic record says (a classic record saying 0
    # entries must not hide a ZIP64 one listing thousands).
    record = b""
    if end_at >= 20 + 56:
        source.seek(end_at - 20)
        if source.read(4) == _END64_LOCATOR:
            source.seek(end_at - 20 - 56)
            record = source.read(56)
    if record[:4] == _END64:
        record_at = end_at - 20 - 56
        (declared64,) = struct.unpack("<Q", record[32:40])
        declared = max(declared, declared64)
        cd_size, cd_offset = struct.unpack("<QQ", record[40:56])
    elif cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        return None
    # Data before the archive (a self-extractor's stub) shifts every offset, as zipfile allows.
    position = max(0, record_at - cd_size)
    stop = min(position + cd_size, size)
    count = 0
    while position + 46 <= stop and count <= stop_after:
        source.seek(position)
        header = source.read(46)
        if header[:4] != _CENTRAL:
            break
        name_length, extra_length, comment_length = struct.unpack("<HHH", header[28:34])
        position += 46 + name_length + extra_length + comment_length
        count += 1
    return max(count, declared)
