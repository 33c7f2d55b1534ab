"""Display preferences (text size, high contrast), kept in a cookie, working without JavaScript.

Provincial portals offer A- A A+ and a high-contrast mode; WCAG 2.1 AA (1.4.3 contrast,
1.4.4 resize text) is the bar. The preference is presentation only: nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

COOKIE = "tinhso_hien_thi"
SIZES = {"nho": "text-sm", "vua": "", "lon": "text-lg"}
CONTRASTS = {"thuong": "", "cao": "high-contrast"}


@dataclass(frozen=True)
class Display:
    size: str = "vua"
    contrast: str = "thuong"

    @property
    def css_classes(self) -> str:
        return " ".join(c for c in (SIZES[self.size], CONTRASTS[self.contrast]) if c)

    def cookie_value(self) -> str:
        return f"{self.size}.{self.contrast}"


def parse(value: str | None) -> Display:
    size, _, contrast = (value or "").partition(".")
    return Display(
        size=size if size in SIZES else "vua",
        contrast=contrast if contrast in CONTRASTS else "thuong",
    )


def display_preferences(request: HttpRequest) -> Display:
    return parse(request.COOKIES.get(COOKIE))
