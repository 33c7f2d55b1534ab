"""Photos and videos are checked by content and stored without any metadata; the place is
read first."""

from __future__ import annotations

import io
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.tools import requires_tool
from tinhso.feedback import actions, errors, media
from tinhso.feedback.media import MediaError, clean_photo
from tinhso.feedback.models import Photo, Report

from .conftest import jpeg
from .videos import all_tags, probe, video


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
    assert str(caught.value) == "Gửi tối đa 5 ảnh. Ảnh và video được tính chung."


# --- short videos (real clips made with ffmpeg) ------------------------------------------


PERSONAL_TAGS = {
    "location",
    "location-eng",
    "com.apple.quicktime.location.iso6709",
    "make",
    "model",
    "creation_time",
    "encoder",
}


@requires_tool("ffmpeg", "ffprobe")
@pytest.mark.parametrize(
    ("container", "content_type"),
    [("mp4", "video/mp4"), ("mov", "video/quicktime"), ("webm", "video/webm")],
)
def test_a_phone_video_gives_its_place_and_is_stored_without_any_tag(container, content_type):
    original = video(container)
    assert PERSONAL_TAGS & set(all_tags(probe(original, container)))  # the phone's tags are there
    clip = media.clean_media(original)
    assert clip.kind == "video" and clip.content_type == content_type
    assert clip.extension == container
    assert (clip.lat, clip.long) == (Decimal("12.666700"), Decimal("108.050000"))
    assert clip.duration == pytest.approx(2, abs=0.1)
    stored = probe(clip.content, container)
    left = all_tags(stored)
    # WebM's muxer always names itself; with +bitexact it is the bare "Lavf", no version.
    assert left.pop("encoder", "Lavf") == "Lavf"
    assert set(left) & PERSONAL_TAGS == set()
    assert b"+12.6667+108.0500" not in clip.content and b"iPhone" not in clip.content
    assert [s["codec_type"] for s in stored["streams"]] == ["video", "audio"]
    assert float(stored["format"]["duration"]) == pytest.approx(2, abs=0.1)
    poster = Image.open(io.BytesIO(clip.poster.content))
    assert poster.format == "JPEG" and poster.size == (320, 240)
    assert dict(poster.getexif()) == {}


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_without_a_place_gives_no_position():
    clip = media.clean_video(video(location=None, audio=False))
    assert (clip.lat, clip.long) == (None, None)
    assert [s["codec_type"] for s in probe(clip.content)["streams"]] == ["video"]


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("+12.6667+108.0500/", (Decimal("12.666700"), Decimal("108.050000"))),
        ("+12.6667+108.0500+045.200/", (Decimal("12.666700"), Decimal("108.050000"))),
        ("-33.8688+151.2093/", (Decimal("-33.868800"), Decimal("151.209300"))),
        ("+1240.002+10803.000/", (Decimal("12.666700"), Decimal("108.050000"))),  # ±DDMM.M
        ("+124000+1080300/", (Decimal("12.666667"), Decimal("108.050000"))),  # ±DDMMSS
        ("+95.0000+108.0000/", (None, None)),
        ("somewhere", (None, None)),
    ],
)
def test_iso_6709_positions_are_read(text, position):
    assert media.iso6709_position(text) == position


def test_a_text_file_named_like_a_video_is_refused():
    with pytest.raises(MediaError) as caught:
        media.clean_media(b"just some text, saved as clip.mp4\n" * 10)
    assert str(caught.value) == (
        "Tệp không phải ảnh JPEG, PNG hoặc WebP, cũng không phải video MP4, MOV hoặc WebM "
        "(đã kiểm tra nội dung tệp)."
    )


@requires_tool("ffmpeg", "ffprobe")
def test_a_truncated_mp4_is_refused():
    data = video()
    with pytest.raises(MediaError) as caught:
        media.clean_media(data[: len(data) // 3])
    assert str(caught.value) == "Tệp video bị hỏng hoặc không đọc được."


@requires_tool("ffmpeg", "ffprobe")
def test_an_mp4_header_on_garbage_is_refused():
    with pytest.raises(MediaError) as caught:
        media.clean_video(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\xff" * 500)
    assert str(caught.value) == "Tệp video bị hỏng hoặc không đọc được."


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_that_is_too_long_is_refused(settings):
    settings.FEEDBACK_VIDEO_MAX_SECONDS = 3
    with pytest.raises(MediaError) as caught:
        media.clean_video(video(seconds=5, audio=False))
    assert str(caught.value) == "Video dài 5 giây; tối đa 3 giây."


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_that_is_too_large_is_refused_before_probing(settings, monkeypatch):
    settings.FEEDBACK_VIDEO_MAX_BYTES = 10_000
    monkeypatch.setattr(media, "probe_video", lambda *args: pytest.fail("probed"))
    with pytest.raises(MediaError) as caught:
        media.clean_video(video() + b"\0" * 20_000)
    assert str(caught.value).startswith("Video quá lớn (0 MB); tối đa 0 MB.")


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_of_too_high_a_resolution_is_refused(settings):
    settings.FEEDBACK_VIDEO_MAX_SIDE = 200
    with pytest.raises(MediaError) as caught:
        media.clean_video(video(audio=False))
    assert str(caught.value) == (
        "Video có độ phân giải quá lớn (320×240); tối đa 200 điểm ảnh mỗi cạnh."
    )


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_that_takes_too_long_to_process_is_refused(settings):
    settings.FEEDBACK_VIDEO_TIMEOUT_SECONDS = 0
    with pytest.raises(MediaError) as caught:
        media.clean_video(video(audio=False))
    assert str(caught.value) == "Xử lý video quá lâu; hãy gửi đoạn video ngắn hơn."


@requires_tool("ffmpeg", "ffprobe")
def test_more_videos_than_allowed_are_refused(settings):
    settings.FEEDBACK_MAX_VIDEOS = 1
    clip = media.clean_video(video(audio=False))
    media.check_videos([clip, clean_photo(jpeg())])
    with pytest.raises(MediaError) as caught:
        media.check_videos([clip, clip])
    assert str(caught.value) == "Gửi tối đa 1 video."


@requires_tool("ffmpeg", "ffprobe")
def test_a_video_sent_with_the_form_is_stored_stripped_and_shown_with_its_poster(
    client, lights, communes
):
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Nước ngập.",
            "commune": "Xã Ea Kao",
            "photos": [
                SimpleUploadedFile("clip.mp4", video(), "video/mp4"),
                SimpleUploadedFile("anh.jpg", jpeg(), "image/jpeg"),
            ],
            "consents_to_publish": "on",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.lat, report.long) == (Decimal("12.666700"), Decimal("108.050000"))
    clip, photo = Photo.objects.order_by("pk")
    assert (clip.kind, clip.content_type) == ("video", "video/mp4")
    assert (photo.kind, photo.video.name) == ("photo", "")
    assert clip.video.name.endswith(".mp4") and clip.image.name.endswith(".jpg")
    with clip.video.open("rb") as stored:
        assert set(all_tags(probe(stored.read()))) & PERSONAL_TAGS == set()
    page = client.get(f"/phan-anh/{report.pk}/").content.decode()
    assert f'poster="/phan-anh/tep/{clip.pk}/"' in page
    assert f'<source src="/phan-anh/tep/{clip.pk}/video/" type="video/mp4">' in page
    assert f'<img src="/phan-anh/tep/{photo.pk}/"' in page


@requires_tool("ffmpeg", "ffprobe")
def test_a_bad_video_in_the_form_stores_nothing_and_names_the_file(client, lights, communes):
    data = video()
    response = client.post(
        "/phan-anh/gui/",
        {
            "category": lights.pk,
            "description": "Nước ngập.",
            "commune": "Xã Ea Kao",
            "photos": [
                SimpleUploadedFile("hong.mp4", data[: len(data) // 3], "video/mp4"),
                SimpleUploadedFile("anh.jpg", jpeg(), "image/jpeg"),
            ],
        },
    )
    assert response.status_code == 400
    assert "hong.mp4: Tệp video bị hỏng hoặc không đọc được." in response.content.decode()
    assert Report.objects.count() == 0 and Photo.objects.count() == 0


@requires_tool("ffmpeg", "ffprobe")
def test_the_action_refuses_more_videos_than_allowed(settings, new_report):
    settings.FEEDBACK_MAX_VIDEOS = 1
    clip = media.clean_video(video(audio=False))
    with pytest.raises(media.MediaError) as caught:
        actions.submit_report(new_report(photos=(clip, clip)))
    assert caught.value.code is errors.TOO_MANY_MEDIA and caught.value.field == "media"
    assert caught.value.message == "Gửi tối đa 1 video."
    assert Report.objects.count() == 0


@requires_tool("ffmpeg", "ffprobe")
def test_a_playlist_dressed_as_an_mp4_cannot_make_ffmpeg_read_other_files(tmp_path):
    """The classic ffmpeg SSRF: an HLS playlist inside a file named .mp4 pointing elsewhere."""
    secret = tmp_path / "secret.txt"
    secret.write_text("mật khẩu")
    playlist = (
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
        + f"#EXTM3U\n#EXTINF:1,\nfile://{secret}\n#EXT-X-ENDLIST\n".encode()
    )
    with pytest.raises(MediaError) as caught:
        media.clean_media(playlist)
    assert str(caught.value) == "Tệp video bị hỏng hoặc không đọc được."


@requires_tool("ffmpeg", "ffprobe")
def test_too_many_videos_are_refused_before_any_is_decoded(client, lights, communes, settings):
    settings.FEEDBACK_MAX_VIDEOS = 1
    clip = video(audio=False)
    with mock.patch.object(media, "clean_video", side_effect=AssertionError("decoded")):
        response = client.post(
            "/phan-anh/gui/",
            {
                "category": lights.pk,
                "description": "Nước ngập.",
                "commune": "Xã Ea Kao",
                "photos": [
                    SimpleUploadedFile("a.mp4", clip, "video/mp4"),
                    SimpleUploadedFile("b.mp4", clip, "video/mp4"),
                ],
                "consents_to_publish": "on",
            },
        )
    assert response.status_code == 400
    assert "Gửi tối đa 1 video." in response.content.decode()
    assert Report.objects.count() == 0


def test_a_file_neither_photo_nor_video_is_refused_by_its_code_not_its_text():
    """clean_media tells a photo's "not a photo" apart by the error's code (issue 11)."""
    with pytest.raises(MediaError) as caught:
        media.clean_media(b"%PDF-1.7 not a photo, not a video")
    assert caught.value.code is errors.NOT_MEDIA
    assert "cũng không phải video" in caught.value.message
    # a photo refused for another reason keeps its own code
    with pytest.raises(MediaError) as caught:
        media.clean_media(b"\xff\xd8\xff\xe0" + b"broken jpeg" * 10)
    assert caught.value.code is errors.MEDIA_BROKEN
