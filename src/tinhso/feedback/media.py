"""Photos and short videos attached to field reports: checked by content, published bare.

Personal data protection (Decree 13/2023/NĐ-CP): a photo's EXIF holds the place it was taken,
the device and sometimes the owner's name; a phone video's container holds the same (the
`location` / `com.apple.quicktime.location.ISO6709` tag, the make and model, the creation
time). We read the position (it may fill in the report's location) and then store only a copy
carrying no metadata at all; the original bytes are never stored.

Photos are re-encoded from their pixels (Pillow). Videos (MP4, QuickTime .mov, WebM: what
phones record) are sniffed by their magic bytes, probed with ffprobe, and copied without
re-encoding by `ffmpeg -map_metadata -1 -map_chapters -1 -c copy -fflags +bitexact`, keeping
only the first video and the first audio stream (a data track can carry a GPS log). A poster
frame (JPEG, through `clean_photo`) is taken for the report's page and for Open311
`media_url`. ffmpeg and ffprobe run in subprocesses with a timeout; limits (size, duration,
resolution, number of videos) come from settings (TINHSO_FEEDBACK_VIDEO_*). Both are optional
tools (`core/tools.py`): a server without them refuses videos with a Vietnamese message
(`VideoUnavailable`, a MediaError like any refused file) and takes photos as before.

`fetch_url` is the adapter that downloads an Open311 `media_url`: SSRF-checked (every address
the host resolves to must be public, unless the host is in TINHSO_FEEDBACK_MEDIA_FETCH_ALLOW),
connecting to the checked address itself, with a timeout, a size cap read in chunks and
redirects limited and re-checked.

Bounded work: uploads arrive from anyone, so the pixel count is checked on the header before
anything is decoded (MAX_PIXELS, 16 MP: a phone camera's photo), JPEGs are decoded at a
reduced scale (draft) and every photo is scaled down to MAX_SIDE before it is re-encoded.
Callers check the number of photos (MAX_PHOTOS) before decoding any of them.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import json
import re
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urljoin, urlsplit

import filetype
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from tinhso.core import tools
from tinhso.core.outbox import RetryableError
from tinhso.feedback import errors
from tinhso.feedback.errors import MediaError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 16_000_000
MAX_SIDE = 2560  # stored photos are at most this wide and high
MAX_PHOTOS = 5  # photos and videos together
VIDEO_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}
# ffprobe's format_name for each type: MP4 and QuickTime share a demuxer.
VIDEO_FORMATS = {
    "video/mp4": "mov,mp4,m4a,3gp,3g2,mj2",
    "video/quicktime": "mov,mp4,m4a,3gp,3g2,mj2",
    "video/webm": "matroska,webm",
}
VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"}
AUDIO_CODECS = {"aac", "mp3", "opus", "vorbis", "alac", "pcm_s16le"}
LOCATION_TAGS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
MAX_URL = 2000  # characters in an Open311 media_url
ALLOWED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
GPS_IFD = 0x8825


class VideoUnavailable(MediaError):
    """This server has no ffmpeg/ffprobe: videos are refused until they are installed."""

    def __init__(self) -> None:
        super().__init__(errors.VIDEO_UNAVAILABLE)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), ())


def video_tools() -> tuple[str, str]:
    """The paths of ffprobe and ffmpeg; VideoUnavailable when either is missing."""
    try:
        return tools.require("ffprobe"), tools.require("ffmpeg")
    except tools.ToolMissing:
        raise VideoUnavailable from None


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes  # re-encoded, no metadata
    content_type: str
    extension: str
    lat: Decimal | None
    long: Decimal | None
    kind: Literal["photo"] = "photo"


@dataclass(frozen=True)
class CleanVideo:
    content: bytes  # the streams copied into a new container, no metadata
    content_type: str
    extension: str
    lat: Decimal | None
    long: Decimal | None
    poster: CleanPhoto  # the first frame, for the page and Open311 media_url
    duration: float
    kind: Literal["video"] = "video"


CleanMedia = CleanPhoto | CleanVideo


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
    """Refuse more than MAX_PHOTOS files, before any of them is decoded."""
    if count > MAX_PHOTOS:
        raise MediaError(
            errors.TOO_MANY_MEDIA,
            _("Gửi tối đa %(count)s ảnh. Ảnh và video được tính chung.") % {"count": MAX_PHOTOS},
        )


def check_uploads(uploads: Sequence[Any]) -> None:
    """Refuse too many files, or too many videos judged by their first bytes, before any file
    is read whole or decoded (each video costs ffprobe and two ffmpeg runs)."""
    check_count(len(uploads))
    videos = 0
    for upload in uploads:
        kind = filetype.guess(upload.read(8192))
        upload.seek(0)
        videos += kind is not None and kind.mime.startswith("video/")
    if videos > settings.FEEDBACK_MAX_VIDEOS:
        raise MediaError(
            errors.TOO_MANY_MEDIA,
            _("Gửi tối đa %(count)s video.") % {"count": settings.FEEDBACK_MAX_VIDEOS},
        )


def check_videos(media: tuple[CleanMedia, ...] | list[CleanMedia]) -> None:
    """Refuse more videos than TINHSO_FEEDBACK_MAX_VIDEOS."""
    videos = sum(1 for m in media if m.kind == "video")
    if videos > settings.FEEDBACK_MAX_VIDEOS:
        raise MediaError(
            errors.TOO_MANY_MEDIA,
            _("Gửi tối đa %(count)s video.") % {"count": settings.FEEDBACK_MAX_VIDEOS},
        )


def clean_media(data: bytes) -> CleanMedia:
    """A photo or a video, told apart by content; refused with a Vietnamese message."""
    kind = filetype.guess(data[:8192])
    if kind is not None and kind.mime in VIDEO_TYPES:
        return clean_video(data)
    if kind is not None and kind.mime.startswith("video/"):
        raise MediaError(
            errors.NOT_A_VIDEO, _("Chỉ nhận video MP4, MOV hoặc WebM (đã kiểm tra nội dung tệp).")
        )
    try:
        return clean_photo(data)
    except MediaError as exc:
        if exc.code is errors.NOT_A_PHOTO:
            raise MediaError(errors.NOT_MEDIA) from None
        raise


def clean_photo(data: bytes) -> CleanPhoto:
    """Check `data` is a real photo of an allowed type; return it without metadata."""
    if len(data) > MAX_BYTES:
        raise MediaError(
            errors.MEDIA_TOO_LARGE,
            _("Ảnh quá lớn (%(size)s KB); tối đa %(max)s MB.")
            % {"size": len(data) // 1024, "max": MAX_BYTES // (1024 * 1024)},
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED:
        raise MediaError(
            errors.NOT_A_PHOTO,
            _("Tệp không phải ảnh JPEG, PNG hoặc WebP (đã kiểm tra nội dung tệp)."),
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != ALLOWED[kind.mime]:
                raise MediaError(
                    errors.MEDIA_MISMATCH, _("Nội dung ảnh không khớp với định dạng của tệp.")
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaError(errors.MEDIA_TOO_LARGE, _("Ảnh có quá nhiều điểm ảnh."))
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
        raise MediaError(errors.MEDIA_BROKEN, _("Tệp ảnh bị hỏng hoặc không đọc được.")) from None
    return CleanPhoto(out.getvalue(), kind.mime, EXTENSIONS[kind.mime], lat, long)


# --- videos -------------------------------------------------------------------------------

_ISO6709 = re.compile(r"^([+-])(\d+(?:\.\d+)?)([+-])(\d+(?:\.\d+)?)")


def _iso6709_part(sign: str, number: str, degree_digits: int) -> Decimal | None:
    """±DD.D, ±DDMM.M or ±DDMMSS.S (ISO 6709 Annex H) → signed decimal degrees."""
    whole, _dot, _fraction = number.partition(".")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    if len(whole) == degree_digits:
        degrees = value
    elif len(whole) == degree_digits + 2:
        degrees = Decimal(int(whole[:degree_digits])) + (value % 100) / 60
    elif len(whole) == degree_digits + 4:
        minutes = Decimal(int(whole[degree_digits : degree_digits + 2]))
        degrees = Decimal(int(whole[:degree_digits])) + minutes / 60 + (value % 100) / 3600
    else:
        return None
    degrees = degrees.quantize(Decimal("0.000001"))
    return -degrees if sign == "-" else degrees


def iso6709_position(text: str) -> tuple[Decimal | None, Decimal | None]:
    """The (lat, long) of an ISO 6709 point such as `+12.6667+108.0500/`, or (None, None)."""
    match = _ISO6709.match(text.strip())
    if not match:
        return None, None
    lat = _iso6709_part(match[1], match[2], 2)
    long = _iso6709_part(match[3], match[4], 3)
    if lat is None or long is None or abs(lat) > 90 or abs(long) > 180:
        return None, None
    return lat, long


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603 (fixed program, our own arguments, no shell)
            args,
            capture_output=True,
            timeout=settings.FEEDBACK_VIDEO_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(
            errors.MEDIA_TOO_LARGE, _("Xử lý video quá lâu; hãy gửi đoạn video ngắn hơn.")
        ) from None
    except FileNotFoundError:  # removed since it was found: not the citizen's fault either
        raise VideoUnavailable from None


# Untrusted input: the demuxer is forced (the one the magic bytes name, so a playlist or a
# concat script cannot be smuggled in under an .mp4 name) and only local files may be read.
DEMUXERS = {"video/mp4": "mov", "video/quicktime": "mov", "video/webm": "matroska"}
SAFE_INPUT = ["-protocol_whitelist", "file"]


def probe_video(path: Path, content_type: str, *, ffprobe: str = "ffprobe") -> dict[str, Any]:
    """ffprobe's JSON description of the file's container and streams."""
    done = _run(
        [
            ffprobe,
            "-v",
            "error",
            *SAFE_INPUT,
            "-f",
            DEMUXERS[content_type],
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
    )
    broken = MediaError(errors.MEDIA_BROKEN, _("Tệp video bị hỏng hoặc không đọc được."))
    if done.returncode != 0:
        raise broken
    try:
        info = json.loads(done.stdout)
    except ValueError:
        raise broken from None
    if not isinstance(info, dict) or "format" not in info:
        raise broken
    return info


def _tags(info: dict[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (info["format"].get("tags") or {}).items()}


def clean_video(data: bytes) -> CleanVideo:
    """Check `data` is a real short video of an allowed type; return it without metadata."""
    limit = settings.FEEDBACK_VIDEO_MAX_BYTES
    if len(data) > limit:
        raise MediaError(
            errors.MEDIA_TOO_LARGE,
            _("Video quá lớn (%(size)s MB); tối đa %(max)s MB.")
            % {"size": len(data) // (1024 * 1024), "max": limit // (1024 * 1024)},
        )
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in VIDEO_TYPES:
        raise MediaError(
            errors.NOT_A_VIDEO,
            _("Tệp không phải video MP4, MOV hoặc WebM (đã kiểm tra nội dung tệp)."),
        )
    ffprobe, ffmpeg = video_tools()
    extension = VIDEO_TYPES[kind.mime]
    with tempfile.TemporaryDirectory(prefix="tinhso-video-") as folder:
        source = Path(folder) / f"in.{extension}"
        source.write_bytes(data)
        info = probe_video(source, kind.mime, ffprobe=ffprobe)
        if info["format"].get("format_name") != VIDEO_FORMATS[kind.mime]:
            raise MediaError(
                errors.MEDIA_MISMATCH, _("Nội dung video không khớp với định dạng của tệp.")
            )
        streams = info.get("streams") or []
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        if video is None or video.get("codec_name") not in VIDEO_CODECS:
            raise MediaError(
                errors.NOT_A_VIDEO,
                _("Tệp không chứa hình ảnh video đọc được (H.264, H.265, VP8, VP9, AV1)."),
            )
        if audio is not None and audio.get("codec_name") not in AUDIO_CODECS:
            raise MediaError(
                errors.NOT_A_VIDEO, _("Âm thanh của video không theo định dạng được nhận.")
            )
        try:
            duration = float(info["format"].get("duration") or video.get("duration") or 0)
        except ValueError:
            duration = 0.0
        if duration <= 0:
            raise MediaError(errors.MEDIA_BROKEN, _("Tệp video bị hỏng hoặc không đọc được."))
        if duration > settings.FEEDBACK_VIDEO_MAX_SECONDS:
            raise MediaError(
                errors.MEDIA_TOO_LARGE,
                _("Video dài %(seconds)s giây; tối đa %(max)s giây.")
                % {"seconds": round(duration), "max": settings.FEEDBACK_VIDEO_MAX_SECONDS},
            )
        width, height = int(video.get("width") or 0), int(video.get("height") or 0)
        if max(width, height) > settings.FEEDBACK_VIDEO_MAX_SIDE:
            raise MediaError(
                errors.MEDIA_TOO_LARGE,
                _(
                    "Video có độ phân giải quá lớn (%(width)s×%(height)s); "
                    "tối đa %(max)s điểm ảnh mỗi cạnh."
                )
                % {"width": width, "height": height, "max": settings.FEEDBACK_VIDEO_MAX_SIDE},
            )
        tags = _tags(info)
        lat = long = None
        for name in LOCATION_TAGS:
            if name in tags:
                lat, long = iso6709_position(tags[name])
                if lat is not None:
                    break
        target = Path(folder) / f"out.{extension}"
        copied = _run(
            [
                ffmpeg,
                "-v",
                "error",
                "-nostdin",
                *SAFE_INPUT,
                "-f",
                DEMUXERS[kind.mime],
                "-i",
                str(source),
                "-map",
                "0:v:0",
                "-map",
                "0:a:0?",
                "-map_metadata",
                "-1",
                "-map_chapters",
                "-1",
                "-c",
                "copy",
                "-fflags",
                "+bitexact",
                "-flags:v",
                "+bitexact",
                "-flags:a",
                "+bitexact",
                str(target),
            ],
        )
        if copied.returncode != 0 or not target.exists():
            raise MediaError(errors.MEDIA_BROKEN, _("Tệp video bị hỏng hoặc không đọc được."))
        poster_path = Path(folder) / "poster.jpg"
        framed = _run(
            [
                ffmpeg,
                "-v",
                "error",
                "-nostdin",
                *SAFE_INPUT,
                "-f",
                DEMUXERS[kind.mime],
                "-i",
                str(target),
                "-frames:v",
                "1",
                "-map_metadata",
                "-1",
                "-fflags",
                "+bitexact",
                "-f",
                "image2",
                "-c:v",
                "mjpeg",
                str(poster_path),
            ],
        )
        if framed.returncode != 0 or not poster_path.exists():
            raise MediaError(errors.MEDIA_BROKEN, _("Tệp video bị hỏng hoặc không đọc được."))
        poster = clean_photo(poster_path.read_bytes())
        content = target.read_bytes()
    return CleanVideo(content, kind.mime, extension, lat, long, poster, duration)


# --- fetching an Open311 media_url --------------------------------------------------------


class FetchRefused(MediaError):
    """The URL cannot be fetched and retrying will not help (refused address, 404, too big)."""


def check_url(url: str) -> str:
    """An http(s) URL of reasonable length, or MediaError (checked when the request arrives)."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise MediaError(
            errors.MEDIA_URL_INVALID, _("media_url dài quá %(max)s ký tự.") % {"max": MAX_URL}
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range or not a number raises here, not later
    except ValueError:
        raise MediaError(
            errors.MEDIA_URL_INVALID, _("media_url phải là địa chỉ http:// hoặc https://.")
        ) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise MediaError(
            errors.MEDIA_URL_INVALID, _("media_url phải là địa chỉ http:// hoặc https://.")
        )
    if parts.username or parts.password:
        raise MediaError(
            errors.MEDIA_URL_INVALID, _("media_url không được chứa tên đăng nhập hoặc mật khẩu.")
        )
    return url


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def _resolve(host: str, port: int) -> str:
    """The address to connect to: the first one, after checking every one is public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(
            errors.MEDIA_FETCH_REFUSED, _("Không tìm thấy máy chủ %(host)s.") % {"host": host}
        ) from None
    addresses = [str(item[4][0]) for item in found]
    allowed = host.lower() in {h.lower() for h in settings.FEEDBACK_MEDIA_FETCH_ALLOW}
    if not addresses:
        raise FetchRefused(
            errors.MEDIA_FETCH_REFUSED, _("Không tìm thấy máy chủ %(host)s.") % {"host": host}
        )
    if not allowed and not all(_is_public(a) for a in addresses):
        raise FetchRefused(
            errors.MEDIA_FETCH_REFUSED,
            _("Địa chỉ %(host)s là mạng nội bộ; không tải ảnh từ đó.") % {"host": host},
        )
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address we checked, not to whatever the name resolves to next."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


MAX_REDIRECTS = 3
CHUNK = 64 * 1024


def fetch_url(url: str) -> bytes:
    """Download `url` (at most FEEDBACK_MEDIA_FETCH_MAX_BYTES, redirects re-checked).

    FetchRefused when retrying cannot help; outbox.RetryableError when it may (timeout,
    connection refused, 5xx)."""
    limit = settings.FEEDBACK_MEDIA_FETCH_MAX_BYTES
    timeout = settings.FEEDBACK_MEDIA_FETCH_TIMEOUT_SECONDS
    # The socket timeout bounds each read; this bounds the whole download, so a server that
    # trickles bytes cannot hold a worker.
    deadline = time.monotonic() + 3 * timeout
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            check_url(url)
        except MediaError as exc:
            raise FetchRefused(exc.code, exc.message) from None
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _resolve(host, port)
        kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        connection = kind(host, port, address, timeout)
        # Vietnamese file names arrive unencoded; http.client sends ASCII only.
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~") + (
            f"?{quote(parts.query, safe='/%:@!$&()*+,;=?~')}" if parts.query else ""
        )
        try:
            connection.request(
                "GET", path, headers={"User-Agent": "tinhso-open311", "Accept": "image/*"}
            )
            response = connection.getresponse()
            if response.status in {301, 302, 303, 307, 308}:
                location = response.getheader("Location", "")
                if not location:
                    raise FetchRefused(
                        errors.MEDIA_FETCH_REFUSED,
                        _("Máy chủ chuyển hướng mà không cho địa chỉ mới."),
                    )
                url = urljoin(url, location)
                continue
            if response.status >= 500:
                raise RetryableError(f"media_url answered {response.status}")
            if response.status != 200:
                raise FetchRefused(
                    errors.MEDIA_FETCH_REFUSED,
                    _("Máy chủ trả lời mã %(status)s khi tải ảnh.") % {"status": response.status},
                )
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchRefused(
                    errors.MEDIA_FETCH_REFUSED,
                    _("Ảnh tại media_url lớn quá %(max)s MB.") % {"max": limit // (1024 * 1024)},
                )
            body = bytearray()
            while chunk := response.read(CHUNK):
                if time.monotonic() > deadline:
                    raise FetchRefused(
                        errors.MEDIA_FETCH_REFUSED, _("Tải ảnh từ media_url quá lâu.")
                    )
                body += chunk
                if len(body) > limit:
                    raise FetchRefused(
                        errors.MEDIA_FETCH_REFUSED,
                        _("Ảnh tại media_url lớn quá %(max)s MB.")
                        % {"max": limit // (1024 * 1024)},
                    )
            return bytes(body)
        except MediaError:
            raise
        except (http.client.InvalidURL, ValueError):  # UnicodeEncodeError is a ValueError
            raise FetchRefused(
                errors.MEDIA_URL_INVALID, _("media_url phải là địa chỉ http:// hoặc https://.")
            ) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException, ssl.SSLError) as exc:
            if isinstance(exc, ssl.SSLCertVerificationError):
                raise FetchRefused(
                    errors.MEDIA_FETCH_REFUSED, _("Chứng thư số của máy chủ không hợp lệ.")
                ) from None
            raise RetryableError(f"media_url: {type(exc).__name__}: {exc}") from None
        except OSError as exc:
            raise RetryableError(f"media_url: {exc}") from None
        finally:
            connection.close()
    raise FetchRefused(
        errors.MEDIA_FETCH_REFUSED,
        _("media_url chuyển hướng quá %(max)s lần.") % {"max": MAX_REDIRECTS},
    )
