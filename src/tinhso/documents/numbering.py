"""Number and notation of official documents (số, ký hiệu văn bản): pure rules, no I/O.

Legal source: Decree 30/2020/NĐ-CP, Annex I §II.3 (số, ký hiệu: numbers below 10 get a leading
0; a slash between số and ký hiệu; hyphens between the groups, no spaces; a công văn's ký hiệu
is issuer – drafting unit, other types are type abbreviation – issuer), Điều 15 and 22.2
(consecutive from 01 on 1 January to 31 December; secret documents have their own sequence),
Annex III (abbreviations of document types).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Annex III: tên loại văn bản → chữ viết tắt. Công văn and thư công have no abbreviation.
DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    # code: (name, abbreviation)
    "CV": ("Công văn", ""),
    "NQ": ("Nghị quyết", "NQ"),
    "QD": ("Quyết định", "QĐ"),
    "CT": ("Chỉ thị", "CT"),
    "QC": ("Quy chế", "QC"),
    "QYD": ("Quy định", "QyĐ"),
    "TC": ("Thông cáo", "TC"),
    "TB": ("Thông báo", "TB"),
    "HD": ("Hướng dẫn", "HD"),
    "CTR": ("Chương trình", "CTr"),
    "KH": ("Kế hoạch", "KH"),
    "PA": ("Phương án", "PA"),
    "DEA": ("Đề án", "ĐA"),
    "DA": ("Dự án", "DA"),
    "BC": ("Báo cáo", "BC"),
    "BB": ("Biên bản", "BB"),
    "TTR": ("Tờ trình", "TTr"),
    "HDG": ("Hợp đồng", "HĐ"),
    "CD": ("Công điện", "CĐ"),
    "BGN": ("Bản ghi nhớ", "BGN"),
    "BTT": ("Bản thỏa thuận", "BTT"),
    "GUQ": ("Giấy ủy quyền", "GUQ"),
    "GM": ("Giấy mời", "GM"),
    "GGT": ("Giấy giới thiệu", "GGT"),
    "GNP": ("Giấy nghỉ phép", "GNP"),
    "PG": ("Phiếu gửi", "PG"),
    "PC": ("Phiếu chuyển", "PC"),
    "PB": ("Phiếu báo", "PB"),
    "TCG": ("Thư công", ""),
}

_GROUP = re.compile(r"^[A-Za-zÀ-ỹĐđ0-9]+$")


class NotationError(ValueError):
    """The parts of a ký hiệu cannot form a valid notation."""


def type_name(code: str) -> str:
    return DOCUMENT_TYPES[code][0]


def abbreviation(code: str) -> str:
    return DOCUMENT_TYPES[code][1]


def format_number(number: int) -> str:
    """`5` → `05`, `15` → `15` (Annex I §II.3: numbers below 10 get a leading 0)."""
    if number < 1:
        raise NotationError("Số văn bản phải từ 01 trở lên.")
    return f"{number:02d}"


def notation(doc_type: str, issuer: str, unit: str = "") -> str:
    """The ký hiệu: `QĐ-UBND` for a decision, `UBND-VX` for a công văn of the VX unit."""
    if doc_type not in DOCUMENT_TYPES:
        raise NotationError(f"Loại văn bản không hợp lệ: {doc_type}.")
    groups = [abbreviation(doc_type), issuer] if abbreviation(doc_type) else [issuer, unit]
    groups = [g for g in groups if g]
    for group in groups:
        if not _GROUP.match(group):
            raise NotationError(f"Nhóm chữ viết tắt không hợp lệ trong ký hiệu: {group!r}.")
    return "-".join(groups)


def number_and_notation(number: int, doc_type: str, issuer: str, unit: str = "") -> str:
    """`15/QĐ-UBND`, `12/UBND-VX`."""
    return f"{format_number(number)}/{notation(doc_type, issuer, unit)}"


@dataclass(frozen=True)
class ParsedNotation:
    number: str
    notation: str


def parse(text: str) -> ParsedNotation:
    """Split `15/QĐ-UBND` into its number and notation, as a received document carries it."""
    number, sep, rest = text.strip().partition("/")
    if not sep or not number or not rest:
        raise NotationError(f"Số, ký hiệu không đúng dạng Số/Ký hiệu: {text!r}.")
    return ParsedNotation(number=number, notation=rest)
