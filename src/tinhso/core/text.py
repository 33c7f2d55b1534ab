"""Vietnamese text as data: normalise what comes in, fold it for search.

Input is NFC-normalised (Vietnamese keyboards and copy-paste produce both composed and
decomposed forms of the same letters). Search keys drop diacritics and case and fold "đ"
to "d", so "dang ky khai sinh" finds "Đăng ký khai sinh".

Characters XML 1.0 does not allow (C0 controls other than tab, line feed and carriage return,
U+FFFE, U+FFFF and lone surrogates) are dropped on the way in: stored text must be writable
to every format we publish (Open311 XML, edXML).
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w]+")
# Not allowed in XML 1.0 (https://www.w3.org/TR/xml/#charsets).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LINE_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def strip_forbidden(text: str) -> str:
    """`text` without the characters XML 1.0 does not allow."""
    return NOT_XML.sub("", text)


def normalize(text: str | None) -> str:
    """NFC, trimmed, inner runs of white space collapsed to one space, forbidden control
    characters dropped."""
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", strip_forbidden(text))).strip()


def normalize_block(text: str | None) -> str:
    """Like `normalize`, but for text in paragraphs: line breaks are kept.

    NFC; forbidden control characters dropped; "\\r\\n" and "\\r" become "\\n"; white space
    inside a line collapsed to one space and trimmed at both ends of the line; runs of blank
    lines collapsed to one; blank lines at the start and end removed.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", strip_forbidden(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_LINE_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


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
