"""Agency identifier codes (mã định danh) and short names (chữ viết tắt): pure rules, no I/O.

Decision 20/2020/QĐ-TTg (amended by Decision 09/2025/QĐ-TTg) gives every agency an
electronic identifier of four dot-separated groups `H1.H2.H3.H4`, read from right to left:

- `H4`, three characters, a letter then two letters or digits: the level-1 unit
  (`G22` Văn phòng Chính phủ, `H41` UBND tỉnh Nghệ An, `A80`, `JB2`);
- `H3`, two digits: the level-2 unit under it (a department, `00` when none);
- `H2`, two digits: the level-3 unit (`00` when none);
- `H1`, three digits: the level-4 unit (`000` when none).

So `000.00.00.H41` is the provincial People's Committee itself and `000.00.15.H41` one of its
departments. Provincial one-stop systems also print codes the other way round, the level-1
group first (`H15.50.05.13`, as in dossier codes like `H15.50.05.13-261008-0975`); that shape
is accepted too. Both shapes are as observed in edXML messages and on provincial portals; the
decision's annex (whether H1 to H3 may hold letters) was not read **[UNCONFIRMED]**.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

# H1.H2.H3.H4, e.g. 000.00.00.H41, 000.00.15.H41, 001.00.20.JB2
STANDARD_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z][A-Z0-9]{2}")
# H4 first, e.g. H15.50.05.13
LEVEL1_FIRST_CODE = re.compile(r"[A-Z][A-Z0-9]{2}\.\d{2}\.\d{2}\.\d{2}")

CODE_MESSAGE = (
    "Mã định danh không đúng định dạng: cần bốn nhóm phân cách bằng dấu chấm, "
    "ví dụ 000.00.00.H41 hoặc 000.00.15.H41 (Quyết định 20/2020/QĐ-TTg)."
)
SHORT_NAME_MESSAGE = (
    "Chữ viết tắt chỉ gồm chữ cái và chữ số, không có dấu cách hay ký hiệu, ví dụ UBND, SXD."
)


def normalize_agency_code(value: str) -> str:
    """Trimmed and upper-cased: `000.00.00.h41 ` becomes `000.00.00.H41`."""
    return value.strip().upper()


def is_agency_code(value: str) -> bool:
    return bool(STANDARD_CODE.fullmatch(value) or LEVEL1_FIRST_CODE.fullmatch(value))


def validate_agency_code(value: str) -> None:
    """Raise ValidationError unless `value` is a mã định danh in one of the two shapes."""
    if not isinstance(value, str) or not is_agency_code(value):
        raise ValidationError(CODE_MESSAGE, code="invalid_agency_code")


def _is_letter_or_digit(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum()
    # Vietnamese letters (Đ, Ơ, Ư, ...) are Latin letters outside ASCII.
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def validate_short_name(value: str) -> None:
    """Letters (Vietnamese included: SGDĐT) and digits only, as used in document notations."""
    text = unicodedata.normalize("NFC", value) if isinstance(value, str) else ""
    if not text or not all(_is_letter_or_digit(ch) for ch in text):
        raise ValidationError(SHORT_NAME_MESSAGE, code="invalid_short_name")
