from __future__ import annotations

import re

from django import template

from tinhso.core.text import fold

register = template.Library()


@register.filter
def vnd(amount: int | str | None) -> str:
    """12000 → "12.000" (Vietnamese thousands separator)."""
    try:
        return f"{int(amount or 0):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""


# Sentences the catalogue's editors wrote for themselves, not for the public ("chưa xác
# nhận mức của tỉnh", "[UNCONFIRMED]"), recognised on the folded text.
_INTERNAL = ("chua xac nhan", "unconfirmed")


def _internal(text: str) -> bool:
    folded = fold(text)
    return any(marker in folded for marker in _INTERNAL)


@register.filter
def public_note(text: str | None) -> str:
    """A catalogue note without the editors' own remarks."""
    kept = []
    for sentence in re.split(r"(?<=[.;])\s+", (text or "").strip()):
        if not _internal(sentence):
            kept.append(sentence)
            continue
        # "Quá hạn: mức do tỉnh quy định, chưa xác nhận mức." keeps what comes before
        clauses = sentence.split(",")
        while clauses and _internal(clauses[-1]):
            clauses.pop()
        if clauses:
            kept.append(",".join(clauses).rstrip(" ,;.") + ".")
    return " ".join(kept)
