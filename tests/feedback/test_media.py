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
