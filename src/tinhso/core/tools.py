"""Optional system tools: the programs some features call, found when they are used.

The platform runs on a base system (Python ≥ 3.11, fontconfig and the DejaVu fonts). A few
features call a program that the server may not have: LibreOffice for DOCX drafts, ffmpeg
and ffprobe for field-report videos. Each is listed here once, with how it is found and what
it enables, so that

- a feature asks `require(name)` before it starts work and, when the tool is missing, refuses
  with a Vietnamese message (`ToolMissing`, which each domain turns into its own typed error:
  a message on the page, a 422 from the API, never a 500);
- `tinhso doctor` prints every tool, found or missing, and what it enables;
- a tool installed later works at once: nothing is cached, each use looks again.

A tool is found through its setting where settings already names the binary
(`TINHSO_DOCUMENTS_SOFFICE`), otherwise by its name on PATH. No system path is written here.
The Debian package that brings each tool is in `deploy/debian-packages.txt`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Tool:
    name: str  # the program's name on PATH
    label: str  # what an administrator knows it as
    enables: str  # what it enables, in Vietnamese
    package: str  # the Debian package that brings it
    setting: str = ""  # the settings attribute that may name another binary

    def command(self) -> str:
        """The configured binary: a name looked up on PATH, or a path."""
        configured = getattr(settings, self.setting, "") if self.setting else ""
        return str(configured or self.name)


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "soffice",
            "LibreOffice (soffice)",
            "nhận dự thảo văn bản dạng DOCX (chuyển sang PDF để trình ký)",
            "libreoffice-writer-nogui",
            setting="DOCUMENTS_SOFFICE",
        ),
        Tool(
            "ffprobe",
            "ffprobe",
            "nhận video trong phản ánh hiện trường (kiểm tra định dạng, thời lượng)",
            "ffmpeg",
        ),
        Tool(
            "ffmpeg",
            "ffmpeg",
            "nhận video trong phản ánh hiện trường (xoá siêu dữ liệu, ảnh đại diện)",
            "ffmpeg",
        ),
    )
}


class ToolMissing(Exception):
    """A feature needs a tool this server does not have; the message is in Vietnamese."""

    code = "tool_missing"

    def __init__(self, tool: Tool) -> None:
        self.tool = tool
        super().__init__(f"Máy chủ này chưa cài {tool.label}, cần để {tool.enables}.")


def find(name: str) -> str | None:
    """The full path of the tool's binary, or None when this server does not have it."""
    return shutil.which(TOOLS[name].command())


def require(name: str) -> str:
    """The full path of the tool's binary; ToolMissing when this server does not have it."""
    found = find(name)
    if found is None:
        raise ToolMissing(TOOLS[name])
    return found
