from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def vnd(amount: int | str | None) -> str:
    """12000 → "12.000" (Vietnamese thousands separator)."""
    try:
        return f"{int(amount or 0):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
