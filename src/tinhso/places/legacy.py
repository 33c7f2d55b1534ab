"""The 63 provinces before 1 July 2025 (tỉnh cũ) and the province each one became part of.

Resolution 202/2025/QH15 merged the 63 provinces into 34 from 1 July 2025. The old codes are
the GSO codes, which are also the first three digits of personal identification numbers
registered before the reform (`066...` for Đắk Lắk). `vietnam-provinces` 2025.10.1 does not
ship this table, so it is written here; it agrees with the package's later
`_province_conversion_2025.OLD_TO_NEW` (2026.x).

A new code can be the old code of a *different* province: old 15 is Yên Bái, new 15 is Lào
Cai; old 24 is Bắc Giang, new 24 is Bắc Ninh; old 80 is Long An, new 80 is Tây Ninh. Always
convert through this table.

Each old province has one successor here. A few old provinces were split at the edges (some
Tiền Giang wards went to Tây Ninh rather than Đồng Tháp); the successor is the province that
received the provincial seat and most of the territory. Commune-level conversion is not
covered.

Pure data, no database access: `tinhso.core` may import it to validate ID prefixes.
"""

from __future__ import annotations

from typing import Final

PROVINCE: Final = "tỉnh"
CENTRAL_CITY: Final = "thành phố trung ương"

# (old_code, name, division_type, new_code)
LEGACY_PROVINCES: Final[tuple[tuple[int, str, str, int], ...]] = (
    (1, "Hà Nội", CENTRAL_CITY, 1),
    (2, "Hà Giang", PROVINCE, 8),
    (4, "Cao Bằng", PROVINCE, 4),
    (6, "Bắc Kạn", PROVINCE, 19),
    (8, "Tuyên Quang", PROVINCE, 8),
    (10, "Lào Cai", PROVINCE, 15),
    (11, "Điện Biên", PROVINCE, 11),
    (12, "Lai Châu", PROVINCE, 12),
    (14, "Sơn La", PROVINCE, 14),
    (15, "Yên Bái", PROVINCE, 15),
    (17, "Hòa Bình", PROVINCE, 25),
    (19, "Thái Nguyên", PROVINCE, 19),
    (20, "Lạng Sơn", PROVINCE, 20),
    (22, "Quảng Ninh", PROVINCE, 22),
    (24, "Bắc Giang", PROVINCE, 24),
    (25, "Phú Thọ", PROVINCE, 25),
    (26, "Vĩnh Phúc", PROVINCE, 25),
    (27, "Bắc Ninh", PROVINCE, 24),
    (30, "Hải Dương", PROVINCE, 31),
    (31, "Hải Phòng", CENTRAL_CITY, 31),
    (33, "Hưng Yên", PROVINCE, 33),
    (34, "Thái Bình", PROVINCE, 33),
    (35, "Hà Nam", PROVINCE, 37),
    (36, "Nam Định", PROVINCE, 37),
    (37, "Ninh Bình", PROVINCE, 37),
    (38, "Thanh Hóa", PROVINCE, 38),
    (40, "Nghệ An", PROVINCE, 40),
    (42, "Hà Tĩnh", PROVINCE, 42),
    (44, "Quảng Bình", PROVINCE, 44),
    (45, "Quảng Trị", PROVINCE, 44),
    # Known by this name on most old records (and in the ID-number prefix list). It became the
    # centrally-run Thành phố Huế on 1 January 2025, before the July reform [UNCONFIRMED date].
    (46, "Thừa Thiên Huế", PROVINCE, 46),
    (48, "Đà Nẵng", CENTRAL_CITY, 48),
    (49, "Quảng Nam", PROVINCE, 48),
    (51, "Quảng Ngãi", PROVINCE, 51),
    (52, "Bình Định", PROVINCE, 52),
    (54, "Phú Yên", PROVINCE, 66),
    (56, "Khánh Hòa", PROVINCE, 56),
    (58, "Ninh Thuận", PROVINCE, 56),
    (60, "Bình Thuận", PROVINCE, 68),
    (62, "Kon Tum", PROVINCE, 51),
    (64, "Gia Lai", PROVINCE, 52),
    (66, "Đắk Lắk", PROVINCE, 66),
    (67, "Đắk Nông", PROVINCE, 68),
    (68, "Lâm Đồng", PROVINCE, 68),
    (70, "Bình Phước", PROVINCE, 75),
    (72, "Tây Ninh", PROVINCE, 80),
    (74, "Bình Dương", PROVINCE, 79),
    (75, "Đồng Nai", PROVINCE, 75),
    (77, "Bà Rịa - Vũng Tàu", PROVINCE, 79),
    (79, "Hồ Chí Minh", CENTRAL_CITY, 79),
    (80, "Long An", PROVINCE, 80),
    (82, "Tiền Giang", PROVINCE, 82),
    (83, "Bến Tre", PROVINCE, 86),
    (84, "Trà Vinh", PROVINCE, 86),
    (86, "Vĩnh Long", PROVINCE, 86),
    (87, "Đồng Tháp", PROVINCE, 82),
    (89, "An Giang", PROVINCE, 91),
    (91, "Kiên Giang", PROVINCE, 91),
    (92, "Cần Thơ", CENTRAL_CITY, 92),
    (93, "Hậu Giang", PROVINCE, 92),
    (94, "Sóc Trăng", PROVINCE, 92),
    (95, "Bạc Liêu", PROVINCE, 96),
    (96, "Cà Mau", PROVINCE, 96),
)

SUCCESSOR_CODE: Final[dict[int, int]] = {old: new for old, _, _, new in LEGACY_PROVINCES}
_CODES: Final[frozenset[int]] = frozenset(SUCCESSOR_CODE)


def legacy_province_codes() -> frozenset[int]:
    """The 63 pre-2025 province codes (also the valid prefixes of personal ID numbers)."""
    return _CODES


def successor_code(old_code: int) -> int:
    """The post-2025 province code for a pre-2025 one; KeyError for an unknown code."""
    return SUCCESSOR_CODE[old_code]
