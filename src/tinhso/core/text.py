"""Vietnamese text as data: normalise what comes in, fold it for search.

Input is NFC-normalised (Vietnamese keyboards and copy-paste produce both composed and
decomposed forms of the same letters). Search keys drop diacritics and case and fold "đ"
to "d", so "dang ky khai sinh" finds "Đăng ký khai sinh".
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w]+")


def normalize(text: str | None) -> str:
    """NFC, trimmed, inner runs of white space collapsed to one space."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str | None) -> str:
    """Lower case, no diacritics, đ → d; punctuation becomes a space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", bare.casefold())).strip()


def search_key(*parts: str | None) -> str:
    """One folded string for a record's searchable fields."""
    return " ".join(p for p in (fold(part) for part in parts) if p)
