"""Photos are checked by content and stored without any metadata; GPS is read first."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image

from tinhso.feedback import media
from tinhso.feedback.media import MediaError, clean_photo

from .conftest import jpeg


def test_the_gps_position_is_read_and_then_every_metadata_is_gone():
    photo = clean_photo(jpeg(gps=(12.6678, 108.0382)))
    assert (photo.lat, photo.long) == (Decimal("12.667800"), Decimal("108.038200"))
    assert photo.content_type == "image/jpeg"
    stored = Image.open(io.BytesIO(photo.content))
    assert dict(stored.getexif()) == {}
    assert b"Exif" not in photo.content
    assert "Nguyễn Văn An".encode() not in photo.content
    assert stored.size == (32, 24)


def test_a_photo_without_gps_gives_no_position():
    photo = clean_photo(jpeg())
    assert (photo.lat, photo.long) == (None, None)


def test_png_text_chunks_are_dropped():
    image = Image.new("RGB", (10, 10), (0, 0, 255))
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Nguyễn Văn An")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    photo = clean_photo(out.getvalue())
    assert photo.content_type == "image/png"
    assert Image.open(io.BytesIO(photo.content)).info == {}


def test_a_text_file_named_like_a_photo_is_refused():
    with pytest.raises(MediaError) as caught:
        clean_photo(b"<html>not a photo</html>")
    assert str(caught.value) == (
        "Tệp không phải ảnh JPEG, PNG hoặc WebP (đã kiểm tra nội dung tệp)."
    )


def test_a_pdf_is_refused_by_its_content():
    with pytest.raises(MediaError):
        clean_photo(b"%PDF-1.7\n" + b"0" * 100)


def test_a_truncated_jpeg_is_refused():
    data = jpeg(size=(200, 200))
    with pytest.raises(MediaError) as caught:
        clean_photo(data[:300])
    assert str(caught.value) == "Tệp ảnh bị hỏng hoặc không đọc được."


def test_an_oversized_file_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(media, "MAX_BYTES", 1000)
    with pytest.raises(MediaError) as caught:
        clean_photo(jpeg(size=(400, 400)) + b"\0" * 2000)
    assert str(caught.value).startswith("Ảnh quá lớn")


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header announces width × height pixels (no image data follows)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_a_photo_of_more_than_16_megapixels_is_refused_from_its_header():
    assert media.MAX_PIXELS == 16_000_000
    with pytest.raises(MediaError) as caught:
        clean_photo(_png_header(6300, 6300))  # 39.7 MP: the reviewer's 154 KB bomb
    assert str(caught.value) == "Ảnh có quá nhiều điểm ảnh."
    with pytest.raises(MediaError) as caught:
        clean_photo(_png_header(4001, 4000))
    assert str(caught.value) == "Ảnh có quá nhiều điểm ảnh."


def test_a_large_photo_is_scaled_down_keeping_its_proportions(monkeypatch):
    monkeypatch.setattr(media, "MAX_SIDE", 16)
    photo = clean_photo(jpeg(size=(64, 48)))
    assert Image.open(io.BytesIO(photo.content)).size == (16, 12)
    png = io.BytesIO()
    Image.new("RGBA", (20, 40), (0, 0, 255, 128)).save(png, "PNG")
    assert Image.open(io.BytesIO(clean_photo(png.getvalue()).content)).size == (8, 16)


def test_a_rotated_photo_is_stored_upright():
    image = Image.new("RGB", (40, 20), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    photo = clean_photo(out.getvalue())
    assert Image.open(io.BytesIO(photo.content)).size == (20, 40)
    assert b"Exif" not in photo.content


def test_more_than_five_photos_are_refused_by_count():
    media.check_count(5)
    with pytest.raises(MediaError) as caught:
        media.check_count(6)
    assert str(caught.value) == "Gửi tối đa 5 ảnh."
