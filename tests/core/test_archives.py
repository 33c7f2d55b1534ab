"""The archive guard (core/archives.py) on hand-built ZIPs: honest office files pass; bombs,
lying directories, crowds of entries, climbing names and deep nesting are refused, and the
streaming check stops as soon as it knows."""

from __future__ import annotations

import functools
import io
import random
import struct
import time
import zipfile

import pytest

from tinhso.core import archives
from tinhso.core.archives import ArchiveRefused, Bounds, Reason

MB = 1024 * 1024


def build(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return out.getvalue()


def docx() -> bytes:
    """What Word writes, in miniature: content types, relationships, the document part."""
    return build(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/content-types"/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": "<w:document><w:body><w:p><w:r><w:t>Đơn đề nghị cấp phiếu"
            "</w:t></w:r></w:p></w:body></w:document>".encode(),
        }
    )


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def zeros(name: str, size: int, *, level: int = 1, parts: dict[str, bytes] | None = None) -> bytes:
    """`parts` then one entry `name` of `size` zero bytes, written in 1 MB pieces (never whole
    in memory)."""
    out = io.BytesIO()
    archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level)
    with archive:
        for part, data in (parts or {}).items():
            archive.writestr(part, data)
        with archive.open(name, "w") as entry:
            block = bytes(MB)
            for _ in range(size // MB):
                entry.write(block)
            entry.write(bytes(size % MB))
    return out.getvalue()


@functools.cache
def bomb() -> bytes:
    """A DOCX whose document part expands to 101 MB of zeros: about 100 KB on the wire."""
    return zeros(
        "word/document.xml",
        101 * MB,
        level=6,
        parts={"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>"},
    )


def lie(data: bytes, name: str, *, file_size: int) -> bytes:
    """`data` with `name`'s uncompressed size rewritten, in the central directory and the local
    header alike: the directory says `file_size`, the stream still says what it holds."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", out, info.header_offset + 22, file_size)
    end = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<I", data[end + 16 : end + 20])
    position = cd_offset
    while data[position : position + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack("<HHH", data[position + 28 : position + 34])
        if data[position + 46 : position + 46 + n].decode() == name:
            struct.pack_into("<I", out, position + 24, file_size)
        position += 46 + n + m + k
    return bytes(out)


def refusal(data: bytes, limits: Bounds | None = None) -> ArchiveRefused:
    with pytest.raises(ArchiveRefused) as caught:
        archives.check_archive(data, limits)
    return caught.value


# --- accepted ---------------------------------------------------------------------------------


def test_a_normal_docx_passes_and_is_measured():
    data = docx()
    checked = archives.check_archive(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        real = sum(len(archive.read(i)) for i in archive.infolist())
    assert checked == archives.Checked(
        entries=3, declared_bytes=real, expanded_bytes=real, nested=0
    )


def test_a_real_xlsx_from_openpyxl_passes():
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in range(1, 2001):
        sheet.append([row, f"Hộ kinh doanh số {row}", row * 1000])
    out = io.BytesIO()
    book.save(out)
    checked = archives.check_archive(out.getvalue())
    assert checked.entries >= 8 and checked.expanded_bytes == checked.declared_bytes > 50_000


def test_stored_entries_and_an_embedded_workbook_pass():
    """A DOCX embedding an XLSX (a chart's data): one level of nesting is normal."""
    inner = build({"xl/workbook.xml": b"<workbook/>", "[Content_Types].xml": b"<Types/>"})
    outer = build(
        {"word/document.xml": b"<w:document/>", "word/embeddings/Sheet1.xlsx": inner},
        method=zipfile.ZIP_STORED,
    )
    checked = archives.check_archive(outer)
    assert (checked.entries, checked.nested) == (4, 1)
    assert checked.expanded_bytes == len(b"<w:document/>") + len(inner) + len(
        b"<workbook/><Types/>"
    )


def test_an_incompressible_large_entry_is_not_a_ratio_problem():
    picture = random.Random(17).randbytes(2 * MB)  # deflates poorly, like a photo
    assert archives.check_archive(build({"word/media/image1.png": picture})).expanded_bytes == (
        2 * MB
    )


# --- refused on the central directory ---------------------------------------------------------


def test_a_small_file_declaring_over_100_mb_is_refused_without_decompressing():
    data = bomb()
    assert len(data) < 200_000
    started = time.perf_counter()
    refused = refusal(data)
    assert refused.reason == Reason.TOO_LARGE
    assert refused.entry == "word/document.xml" and refused.limit == 100 * MB
    assert time.perf_counter() - started < 0.5  # the directory alone decided


def test_the_total_bound_is_configurable(settings):
    data = zeros("word/document.xml", 3 * MB, level=1)
    assert archives.check_archive(data, Bounds(max_ratio=10_000)).expanded_bytes == 3 * MB
    settings.UPLOAD_MAX_EXPANDED_BYTES = 2 * MB
    assert archives.bounds().max_expanded_bytes == 2 * MB
    assert refusal(data).reason == Reason.TOO_LARGE


def test_a_high_ratio_entry_over_1_mb_is_refused():
    data = zeros("xl/worksheets/sheet1.xml", 2 * MB, level=9)  # about 1000:1
    refused = refusal(data)
    assert (refused.reason, refused.limit) == (Reason.RATIO, 100)
    # Below 1 MB the same ratio is left alone (a repetitive styles part).
    assert archives.check_archive(zeros("word/styles.xml", MB // 2, level=9)).expanded_bytes == (
        MB // 2
    )


def test_more_than_5000_entries_are_refused_before_they_are_listed():
    crowd = build({f"word/media/{i}.xml": b"" for i in range(5001)})
    assert refusal(crowd).reason == Reason.TOO_MANY_ENTRIES
    assert archives.too_many_entries(crowd)
    exactly = build({f"word/media/{i}.xml": b"" for i in range(5000)})
    assert archives.check_archive(exactly).entries == 5000
    assert not archives.too_many_entries(exactly)


def zip64_hiding(data: bytes, entries: int) -> bytes:
    """`data` with its classic end record saying 0 entries in an empty directory, and a ZIP64
    end record and locator just before it giving the real directory: zipfile reads the ZIP64
    record whenever the locator sits there, whatever the classic one says."""
    end = data.rfind(b"PK\x05\x06")
    *_, cd_size, cd_offset, _ = struct.unpack("<4s4H2LH", data[end : end + 22])
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, cd_size, cd_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    classic = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0, 0, 0, 0, 0)
    return data[:end] + record + locator + classic


def test_a_zip64_record_cannot_hide_the_entry_count(monkeypatch):
    crowd = zip64_hiding(build({f"word/media/{i}.xml": b"" for i in range(6000)}), 6000)
    with zipfile.ZipFile(io.BytesIO(crowd)) as archive:
        assert len(archive.infolist()) == 6000  # what zipfile would list
    assert archives.too_many_entries(crowd)

    def never(*args, **kwargs):
        raise AssertionError("zipfile listed the directory")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    assert refusal(crowd).reason == Reason.TOO_MANY_ENTRIES


def test_a_zip64_directory_within_the_bound_passes():
    small = zip64_hiding(docx(), 3)
    assert archives.check_archive(small).entries == 3
    assert not archives.too_many_entries(small)


@pytest.mark.parametrize(
    "name",
    ["../../etc/cron.d/x", "word/../../x.xml", "/etc/passwd", "..\\..\\Windows\\x.dll", "C:x.xml"],
)
def test_names_that_climb_out_or_are_absolute_are_refused(name):
    refused = refusal(build({"word/document.xml": b"<w/>", name: b"x"}))
    assert (refused.reason, refused.entry) == (Reason.UNSAFE_NAME, name)


def test_dots_inside_a_name_are_not_climbing():
    assert archives.check_archive(build({"word/a..b.xml": b"<w/>", "..x/y": b"z"})).entries == 2


def test_an_encrypted_entry_is_refused():
    data = bytearray(docx())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.infolist()[0]
    end = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack("<I", data[end + 16 : end + 20])
    struct.pack_into("<H", data, cd_offset + 8, info.flag_bits | 0x1)
    assert refusal(bytes(data)).reason == Reason.UNREADABLE


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_bzip2_and_lzma_entries_are_refused_from_the_directory_without_reading(method, monkeypatch):
    """zipfile decompresses a bzip2 or LZMA block whole before cutting it to the declared
    size (a 374-byte bzip2 entry grew a process by 300 MB): no office file uses either, so
    the directory refuses them and nothing is decompressed."""
    data = build({"word/document.xml": b"<w:document/>"}, method=method)
    assert len(data) < 1_000

    def never(*args, **kwargs):
        raise AssertionError("an entry was read")

    monkeypatch.setattr(archives, "_pieces", never)
    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    refused = refusal(data)
    assert (refused.reason, refused.entry) == (Reason.UNREADABLE, "word/document.xml")


def test_bytes_that_are_no_zip_say_so():
    assert refusal(b"PK\x03\x04 broken").reason == Reason.NOT_A_ZIP
    assert refusal(b"%PDF-1.4 not a zip").reason == Reason.NOT_A_ZIP


# --- refused while streaming ------------------------------------------------------------------


def test_a_lying_directory_is_caught_by_the_stream_and_stops_early(monkeypatch):
    """The directory says 1 KB; the stream holds 101 MB of zeros. The check stops after the
    first piece past 1 KB, not after 101 MB."""
    data = lie(bomb(), "word/document.xml", file_size=1024)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("word/document.xml").file_size == 1024  # the lie is read
    produced: list[int] = []
    real_inflated = archives._inflated

    def counted(source, position, end, name):
        for piece in real_inflated(source, position, end, name):
            if name == "word/document.xml":
                produced.append(len(piece))
            yield piece

    monkeypatch.setattr(archives, "_inflated", counted)
    refused = refusal(data)
    assert (refused.reason, refused.entry) == (Reason.SIZE_MISMATCH, "word/document.xml")
    assert 1024 < sum(produced) <= archives.CHUNK  # one piece decompressed, then stopped


def test_a_stream_shorter_than_declared_is_refused():
    data = lie(docx(), "word/document.xml", file_size=50_000)
    assert refusal(data).reason == Reason.SIZE_MISMATCH


def test_a_nested_archive_counts_against_the_same_bound():
    """A nested archive shares the outer one's bound: the outer file declares a small entry,
    what is inside that entry counts against the same 3 MB."""
    inner = zeros("a.xml", 3 * MB, level=1)
    outer = build({"word/embeddings/x.xlsx": inner}, method=zipfile.ZIP_STORED)
    limits = Bounds(max_expanded_bytes=3 * MB, max_ratio=10_000)
    assert archives.check_archive(inner, limits).expanded_bytes == 3 * MB
    refused = refusal(outer, limits)
    assert refused.reason == Reason.TOO_LARGE and refused.limit == 3 * MB


def test_a_corrupt_stream_is_refused_not_raised():
    data = bytearray(docx())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + 8] = b"\xff" * 8
    assert refusal(bytes(data)).reason in {Reason.UNREADABLE, Reason.SIZE_MISMATCH}


def test_an_archive_two_levels_deep_is_refused():
    deepest = build({"x.xml": b"<x/>"})
    middle = build({"inner.zip": deepest})
    outer = build({"word/document.xml": b"<w/>", "word/embeddings/pack.zip": middle})
    refused = refusal(outer)
    assert (refused.reason, refused.entry) == (Reason.NESTED, "inner.zip")
    assert archives.check_archive(middle).nested == 1  # one level is fine


@pytest.mark.parametrize("level", ["inner", "middle"])
def test_a_junk_byte_before_a_nested_archive_does_not_escape_the_depth_bound(level):
    """zipfile opens a ZIP behind any prefix: one byte before `PK\x03\x04` still makes an
    archive, at either level."""
    deepest = build({"x.xml": b"<x/>"})
    if level == "inner":
        middle = build({"inner.zip": b"J" + deepest})
        outer = build({"word/document.xml": b"<w/>", "word/embeddings/pack.zip": middle})
    else:
        middle = b"J" + build({"inner.zip": deepest})
        outer = build({"word/document.xml": b"<w/>", "word/embeddings/pack.bin": middle})
    refused = refusal(outer)
    assert (refused.reason, refused.entry) == (Reason.NESTED, "inner.zip")


def test_an_entry_with_an_end_record_zipfile_cannot_follow_is_refused_not_passed():
    """An end record pointing before the entry's start: zipfile cannot open it, which must not
    read as "no ZIP" (callers let that pass) for the outer archive."""
    broken = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, 100, 0, 0)
    refused = refusal(build({"word/document.xml": b"<w/>", "word/embeddings/x.bin": broken}))
    assert (refused.reason, refused.entry) == (Reason.UNREADABLE, "word/embeddings/x.bin")


def test_names_inside_a_nested_archive_are_checked_too():
    inner = build({"../../evil.sh": b"#!/bin/sh"})
    refused = refusal(build({"word/embeddings/a.xlsx": inner}))
    assert (refused.reason, refused.entry) == (Reason.UNSAFE_NAME, "../../evil.sh")
