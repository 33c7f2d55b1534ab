"""Headless Chromium and axe-core for page tests, shared by every app's browser tests.

Debian's Chromium (found on PATH) is driven by Playwright (never a downloaded browser);
axe-core comes from npm (`make install`). On a machine without them the browser tests skip;
under CI they run and fail loudly instead, since `.ci/run` installs both (tests/tools.py).
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from tests.tools import missing, under_ci

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The browser's own controls (a file input's "Choose File") in Vietnamese, as on the
    # phones of the people the journeys stand for.
    "--lang=vi-VN",
]
WCAG_TAGS = "['wcag2a','wcag2aa','wcag21a','wcag21aa','best-practice']"

_absent = missing("chromium") + ([] if AXE.exists() else ["node_modules/axe-core"])
requires_browser = pytest.mark.skipif(
    bool(_absent) and not under_ci(),
    reason=f"needs {', '.join(_absent)} (apt-get install chromium; make install for axe-core)",
)


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, *, context: str = "document") -> list[str]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations on the page, one line each."""
    # Evaluated through the DevTools protocol rather than added as a <script>: the platform's
    # Content-Security-Policy rightly blocks inline scripts, and the test must not weaken it.
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return list(
        page.evaluate(
            f"async () => {{ const r = await axe.run({context}, {{runOnly: {{type: 'tag', "
            f"values: {WCAG_TAGS}}}}}); return r.violations.map(v => v.id + ': ' + "
            "v.nodes.map(n => n.target.join(' ')).join(', ')); }"
        )
    )
