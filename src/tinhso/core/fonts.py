"""Fonts with Vietnamese coverage, found through fontconfig instead of fixed system paths.

Stamps on signed documents and the seal drawings need a TrueType file with every Vietnamese
letter (TCVN 6909:2001 / Unicode NFC, so precomposed letters such as "ệ" and "ữ"). Machines
differ in which fonts they carry (a base system has DejaVu; CI adds Noto), so the file is
asked of fontconfig with `:lang=vi`, which only matches fonts covering the language, and the
answer is kept for the life of the process. WeasyPrint's font configuration is likewise made
once per thread (`font_configuration`), not once per PDF.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration


class FontMissing(RuntimeError):
    """No installed font covers Vietnamese for the family and style asked."""


# First choice of family for each use; fontconfig falls back to any font covering `vi`.
SANS = "Noto Sans,DejaVu Sans"
SERIF = "Noto Serif,DejaVu Serif"


@cache
def font_file(families: str = SANS, *, bold: bool = False) -> Path:
    """The path of an installed TrueType/OpenType font covering Vietnamese."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise FontMissing("fontconfig (fc-match) is not installed: no font can be found")
    pattern = f"{families}:lang=vi:fontformat=TrueType" + (":weight=bold" if bold else "")
    found = subprocess.run(  # noqa: S603 - fontconfig with a fixed pattern
        [fc_match, "--format=%{file}\n%{lang}", pattern],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    path_line, _, langs = found.stdout.partition("\n")
    path = Path(path_line.strip())
    if found.returncode != 0 or not path.is_file() or "vi" not in langs.split("|"):
        raise FontMissing(f"no installed font covers Vietnamese (fc-match {pattern!r})")
    return path


_rendering = threading.local()
# Font configurations made and warmed at the server's start (`prepare_font_configurations`),
# each handed to one thread at that thread's first PDF.
_prepared: list[FontConfiguration] = []
_prepared_lock = threading.Lock()


def font_configuration() -> FontConfiguration:
    """WeasyPrint's font configuration, made once per thread and reused by every render.

    Without one, WeasyPrint makes a new configuration on each call: fontconfig reloads its
    configuration and font cache and Pango starts with an empty font map, so every PDF pays
    for loading the same fonts again. One per thread, not one per process: a Pango font map
    is not safe to share between threads (the web server runs several), and the forms use
    no `@font-face`, so a configuration holds nothing from one document into the next.

    A thread's first call takes one of the configurations the server warmed at start-up, if
    any is left (`prepare_font_configurations`): it is handed over once, under a lock, and
    used by that thread alone from then on.
    """
    config = getattr(_rendering, "font_config", None)
    if config is None:
        with _prepared_lock:
            config = _prepared.pop() if _prepared else None
        if config is None:
            from weasyprint.text.fonts import FontConfiguration  # slow to import, needed here

            config = FontConfiguration()
        _rendering.font_config = config
    return cast("FontConfiguration", config)


def prepare_font_configurations(
    count: int, warm: Callable[[FontConfiguration], object] | None = None
) -> None:
    """Make `count` font configurations now, each warmed by `warm(config)` (a representative
    page laid out with it, so its font map holds the faces and glyphs the forms use), for the
    threads' first PDFs to take (`font_configuration`). Called once by the web server's
    worker before it serves (`tinhso.gunicorn_conf`), so the first receipt of each of its
    threads is not the one that loads the fonts (issue 12). Each configuration is used by
    the thread warming it here and, after the hand-over, by one request thread only."""
    from weasyprint.text.fonts import FontConfiguration

    for _ in range(count):
        config = FontConfiguration()
        if warm is not None:
            warm(config)
        with _prepared_lock:
            _prepared.append(config)
