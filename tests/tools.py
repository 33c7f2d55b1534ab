"""Tests that need a system tool say so with one marker: `@requires_tool("pdftotext")`.

Each tool is looked up on PATH (no system path is written here). Where one is missing the test
is skipped, the reason naming the tool and the Debian package that brings it (the packages are
listed in deploy/debian-packages.txt; `make test` installs them when it runs as root with
apt-get). Under CI (`CI` set, as `.ci/run` runs) nothing is skipped for a missing tool: the
test runs and fails, since there a missing tool is an install step that went wrong.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

DEBIAN_PACKAGES = Path(__file__).resolve().parents[1] / "deploy" / "debian-packages.txt"

# The Debian package that brings each program the tests call.
PACKAGES = {
    "chromium": "chromium",
    "ffmpeg": "ffmpeg",
    "ffprobe": "ffmpeg",
    "pdfsig": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
    "soffice": "libreoffice-writer-nogui",
    "softhsm2-util": "softhsm2",
    "xmlsec1": "xmlsec1",
    "zbarimg": "zbar-tools",
}


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(*names: str) -> list[str]:
    """The named programs this machine does not have on PATH."""
    return [name for name in names if shutil.which(name) is None]


def requires_tool(*names: str) -> pytest.MarkDecorator:
    """Skip (outside CI) unless every named program is on PATH."""
    unknown = [name for name in names if name not in PACKAGES]
    if unknown:
        raise ValueError(f"add {unknown} to tests/tools.py PACKAGES with its Debian package")
    absent = missing(*names)
    packages = sorted({PACKAGES[name] for name in absent})
    return pytest.mark.skipif(
        bool(absent) and not under_ci(),
        reason=f"needs {', '.join(absent)} (apt-get install {' '.join(packages)})",
    )


def debian_packages(*kinds: str) -> list[str]:
    """The packages of deploy/debian-packages.txt of the given kinds (base, runtime, tests)."""
    found = []
    for line in DEBIAN_PACKAGES.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[1] in kinds:
            found.append(fields[0])
    return found
