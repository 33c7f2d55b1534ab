"""Form widgets shared by the apps' pages."""

from __future__ import annotations

from typing import Any

from django import forms


class NativeDateInput(forms.DateInput):
    """The browser's date picker (`<input type="date">`), whose value is always ISO
    (`2025-11-20`) whatever the interface's date format (dd/mm/yyyy, tinhso.formats)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
