"""`tinhso doctor` names each optional tool, found or missing, with what it enables; fonts,
database and broker; and always exits 0."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tinhso.core import tools


def _doctor() -> str:
    out = io.StringIO()
    call_command("doctor", stdout=out)  # raises on a non-zero exit
    return out.getvalue()


@pytest.mark.django_db
def test_doctor_names_missing_tools_with_what_they_enable_and_how_to_install(
    monkeypatch, tmp_path, settings
):
    monkeypatch.setenv("PATH", str(tmp_path))
    settings.BROKER_URL = ""
    text = _doctor()
    for tool in tools.TOOLS.values():
        assert f"missing  {tool.name:<9} (apt-get install {tool.package}" in text
        assert f"{tool.label}: {tool.enables}" in text
    assert "hoặc đặt TINHSO_DOCUMENTS_SOFFICE" in text
    assert "ok       sqlite" in text or "ok       postgresql" in text
    assert "không cần broker" in text


@pytest.mark.django_db
def test_doctor_shows_where_a_found_tool_is(monkeypatch, tmp_path):
    program = tmp_path / "ffmpeg"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    text = _doctor()
    assert f"found    ffmpeg    {program}" in text
    assert "missing  ffprobe" in text


@pytest.mark.django_db
def test_doctor_reports_fonts_and_an_unreachable_broker_without_failing(settings):
    settings.BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    text = _doctor()
    assert "Phông chữ tiếng Việt" in text
    assert "sans bold" in text
    assert "error    127.0.0.1:1/0" in text or "error    redis://127.0.0.1:1/0" in text
