"""Optional tools: a server without LibreOffice or ffmpeg refuses DOCX drafts and videos with
a Vietnamese message (never a 500), and takes them as soon as the tool is installed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.feedback import conftest as feedback
from tinhso.core import tools
from tinhso.documents import convert
from tinhso.feedback import media
from tinhso.feedback.models import Report

# The feedback app's fixtures, for the report form below.
province, communes, agencies, lights = (
    feedback.province,
    feedback.communes,
    feedback.agencies,
    feedback.lights,
)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 500


@pytest.fixture
def empty_path(monkeypatch, tmp_path) -> Path:
    """A PATH with nothing on it: the server of a fresh machine, as far as tools go."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def _install(folder: Path, name: str) -> Path:
    program = folder / name
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    return program


def test_a_missing_tool_is_named_with_what_it_enables(empty_path):
    assert tools.find("ffprobe") is None
    with pytest.raises(tools.ToolMissing) as caught:
        tools.require("ffprobe")
    assert caught.value.code == "tool_missing"
    assert str(caught.value) == (
        "Máy chủ này chưa cài ffprobe, cần để nhận video trong phản ánh hiện trường (kiểm tra "
        "định dạng, thời lượng)."
    )


def test_a_tool_installed_later_is_found_without_a_restart(empty_path):
    assert tools.find("ffmpeg") is None
    program = _install(empty_path, "ffmpeg")
    assert tools.find("ffmpeg") == str(program)


def test_the_configured_binary_is_used_where_settings_name_one(empty_path, settings, tmp_path):
    settings.DOCUMENTS_SOFFICE = "/khong/co/soffice"
    assert tools.find("soffice") is None
    settings.DOCUMENTS_SOFFICE = str(_install(tmp_path, "libreoffice-7"))
    assert tools.find("soffice") == str(tmp_path / "libreoffice-7")


def test_every_tool_says_what_it_enables_and_which_package_brings_it():
    for tool in tools.TOOLS.values():
        assert tool.enables and tool.package and tool.label
        assert "/" not in tool.command()  # looked up on PATH, no system path written in


def _docx() -> bytes:
    import docx

    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Ủy ban nhân dân xã Hòa Phú")
    document.save(out)
    return out.getvalue()


def test_a_docx_draft_without_libreoffice_is_refused_with_a_message(empty_path):
    with pytest.raises(convert.ToolUnavailable) as caught:
        convert.docx_to_pdf(_docx())
    assert isinstance(caught.value, convert.ConversionError)
    assert caught.value.code == "tool_missing"
    assert str(caught.value) == (
        "Máy chủ này chưa cài LibreOffice (soffice) nên chưa nhận được dự thảo DOCX; hãy tải "
        "lên bản PDF của dự thảo."
    )


def test_a_video_without_ffmpeg_is_refused_with_a_message(empty_path):
    with pytest.raises(media.MediaError) as caught:
        media.clean_media(MP4)
    assert isinstance(caught.value, media.VideoUnavailable)
    assert str(caught.value) == (
        "Máy chủ này chưa cài công cụ xử lý video (ffmpeg) nên chưa nhận được video; hãy gửi "
        "ảnh chụp thay cho video."
    )


def test_a_video_with_ffprobe_but_without_ffmpeg_is_refused_too(empty_path):
    _install(empty_path, "ffprobe")
    with pytest.raises(media.VideoUnavailable):
        media.clean_media(MP4)


def test_photos_still_work_without_ffmpeg(empty_path):
    photo = media.clean_media(feedback.jpeg())
    assert photo.kind == "photo"


def test_an_mp4_report_upload_without_ffprobe_is_a_message_not_a_500(
    client, lights, communes, empty_path, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    form = {"category": lights.pk, "description": "Đèn tắt cả tuần.", "commune": "Xã Ea Kao"}
    response = client.post(
        "/phan-anh/gui/",
        {**form, "photos": [SimpleUploadedFile("clip.mp4", MP4, "video/mp4")]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "clip.mp4: Máy chủ này chưa cài công cụ xử lý video (ffmpeg)" in html
    assert "Đèn tắt cả tuần." in html  # what was typed is kept
    assert Report.objects.count() == 0


# --- CI's fresh machine: which packages and paths .ci/hide-packages.py hides ----------------


def _hide_packages():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / ".ci" / "hide-packages.py"
    spec = importlib.util.spec_from_file_location("hide_packages", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_hides_a_package_with_what_only_it_pulled_in_and_keeps_the_rest(monkeypatch):
    hide = _hide_packages()
    assert hide._names("libc6 (>= 2.36), fonts-a | fonts-b:any, ") == [
        ["libc6"],
        ["fonts-a", "fonts-b"],
    ]
    depends_on = {
        "ffmpeg": {"libavcodec", "libc6"},
        "libavcodec": {"libc6"},
        "fontconfig": {"libc6", "libfreetype"},
        "libfreetype": {"libc6"},
        "libc6": set(),
        "player": {"ffmpeg"},  # cannot work once ffmpeg is hidden
        "by-hand": set(),
    }
    wants = {**depends_on, "libavcodec": {"libc6", "libfreetype", "by-hand"}}
    monkeypatch.setattr(hide, "installed", lambda: (depends_on, wants))
    monkeypatch.setattr(
        hide.subprocess,
        "run",
        lambda *a, **k: type("Done", (), {"stdout": "fontconfig\nby-hand\n"})(),
    )
    assert hide.hidden_packages(["ffmpeg"]) == {"ffmpeg", "libavcodec", "player"}


def test_ci_hides_the_outermost_folder_only(monkeypatch, tmp_path):
    hide = _hide_packages()
    lib = tmp_path / "lib"
    (lib / "libreoffice" / "program").mkdir(parents=True)
    (lib / "libreoffice" / "program" / "soffice").write_text("")
    (lib / "libshared.so").write_text("")
    (lib / "libhidden.so").write_text("")
    listings = {
        "libreoffice": {
            str(lib),
            str(lib / "libreoffice"),
            str(lib / "libreoffice" / "program"),
            str(lib / "libreoffice" / "program" / "soffice"),
            str(lib / "libhidden.so"),
            str(lib / "libshared.so"),
        },
        "base": {str(lib), str(lib / "libshared.so")},
    }
    monkeypatch.setattr(hide, "installed", lambda: ({"libreoffice": set(), "base": set()}, {}))
    monkeypatch.setattr(hide, "package_paths", lambda package: listings[package])
    assert hide.paths_to_hide({"libreoffice"}) == [
        str(lib / "libhidden.so"),
        str(lib / "libreoffice"),
    ]
