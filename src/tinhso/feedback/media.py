"""Photos attached to field reports: checked by content, published without metadata.

Personal data protection (Decree 13/2023/NĐ-CP): a photo's EXIF holds the place it was taken,
the device and sometimes the owner's name. We read the GPS position (it may fill in the
report's location) and then store only a re-encoded copy carrying no metadata at all; the
original bytes are never stored. Videos are not accepted yet (stripping their metadata needs
a tool we do not ship).

Bounded work: uploads arrive from anyone, so the pixel count is checked on the header before
anything is decoded (MAX_PIXELS, 16 MP: a phone camera's photo), JPEGs are decoded at a
reduced scale (draft) and every photo is scaled down to MAX_SIDE before it is re-encoded.
Callers check the number of photos (MAX_PHOTOS) before decoding any of them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import filetype
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 16_000_000
MAX_SIDE = 2560  # stored photos are at most this wide and high
MAX_PHOTOS = 5
ALLOWED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
GPS_IFD = 0x8825


class MediaError(ValueError):
    """The file is refused; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes  # re-encoded, no metadata
    content_type: str
    extension: str
    lat: Decimal | None
    long: Decimal | None


def _degrees(values: object, ref: object) -> Decimal | None:
    try:
        d, m, s = (float(v) for v in values)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    number = Decimal(str(d + m / 60 + s / 3600)).quantize(Decimal("0.000001"))
    return -number if str(ref).upper() in {"S", "W"} else number


def gps_position(image: Image.Image) -> tuple[Decimal | None, Decimal | None]:
    """The (lat, long) in the EXIF GPS block, or (None, None)."""
    gps = image.getexif().get_ifd(GPS_IFD)
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    lat, long = _degrees(gps[2], gps.get(1, "N")), _degrees(gps[4], gps.get(3, "E"))
    if lat is None or long is None:
        return None, None
    return lat, long


# EXIF orientation → the transposition that makes the photo upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def check_count(count: int) -> None:
    """Refuse more than MAX_PHOTOS photos, before any of them is decoded."""
    if count > MAX_PHOTOS:
        raise MediaError(f"Gửi tối đa {MAX_PHOTOS} ảnh.")


def clean_photo(data: bytes) -> CleanPhoto:
    """Check `data` is a real photo of an allowed type; return it without metadata."""
    if len(data) > MAX_BYTES:
        raise MediaError(
            f"Ảnh quá lớn ({len(data) // 1024} KB); tối đa {MAX_BYTES // (1024 * 1024)} MB."
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise MediaError("Tệp không phải ảnh JPEG, PNG hoặc WebP (đã kiểm tra nội dung tệp).")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != ALLOWED[kind.mime]:
                raise MediaError("Nội dung ảnh không khớp với định dạng của tệp.")
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaError("Ảnh có quá nhiều điểm ảnh.")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            lat, long = gps_position(image)
            orientation = image.getexif().get(0x0112)
            mode = "RGB" if kind.mime == "image/jpeg" else "RGBA"
            if kind.mime == "image/jpeg":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4, 1/8 when large
            image.thumbnail((MAX_SIDE, MAX_SIDE))  # decodes once, in place, bounded
            pixels = image if image.mode == mode else image.convert(mode)
            method = _TRANSPOSE.get(orientation or 1)
            if method is not None:
                pixels = pixels.transpose(method)
            # A new image from the pixels only: no EXIF, XMP, ICC, comments or text chunks.
            bare = Image.frombytes(mode, pixels.size, pixels.tobytes())
            del pixels
            out = io.BytesIO()
            options = {"quality": 88} if kind.mime == "image/jpeg" else {}
            bare.save(out, format=ALLOWED[kind.mime], **options)
    except MediaError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise MediaError("Tệp ảnh bị hỏng hoặc không đọc được.") from None
    return CleanPhoto(out.getvalue(), kind.mime, EXTENSIONS[kind.mime], lat, long)
