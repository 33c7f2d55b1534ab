"""The 63 pre-2025 provinces and where each went on 1 July 2025 (Resolution 202/2025/QH15)."""

from __future__ import annotations

import pytest

from tinhso.core.identifiers import LEGACY_PROVINCE_CODES
from tinhso.places.legacy import LEGACY_PROVINCES, successor_code
from tinhso.places.models import LegacyProvince, Province
from tinhso.places.queries import legacy_province_codes, resolve_legacy_province

OLD_CODES = {
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
    37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
    75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
}  # fmt: skip

# New code <- old codes, as in vietnam_provinces/_province_conversion_2025.py (2026.x).
MERGED_INTO = {
    1: {1}, 4: {4}, 8: {2, 8}, 11: {11}, 12: {12}, 14: {14}, 15: {10, 15}, 19: {6, 19},
    20: {20}, 22: {22}, 24: {24, 27}, 25: {17, 25, 26}, 31: {30, 31}, 33: {33, 34},
    37: {35, 36, 37}, 38: {38}, 40: {40}, 42: {42}, 44: {44, 45}, 46: {46}, 48: {48, 49},
    51: {51, 62}, 52: {52, 64}, 56: {56, 58}, 66: {54, 66}, 68: {60, 67, 68}, 75: {70, 75},
    79: {74, 77, 79}, 80: {72, 80}, 82: {82, 87}, 86: {83, 84, 86}, 91: {89, 91},
    92: {92, 93, 94}, 96: {95, 96},
}  # fmt: skip


def test_there_are_exactly_63_old_provinces_with_distinct_codes_and_names():
    assert len(LEGACY_PROVINCES) == 63
    assert {row[0] for row in LEGACY_PROVINCES} == OLD_CODES
    assert len({row[1] for row in LEGACY_PROVINCES}) == 63


def test_the_code_set_needs_no_database():
    # No django_db mark: pytest-django fails this test if the function touches the database.
    assert legacy_province_codes() == frozenset(OLD_CODES)


def test_the_core_identifier_list_has_the_same_codes():
    assert {int(code) for code in LEGACY_PROVINCE_CODES} == OLD_CODES


def test_every_old_province_goes_to_the_province_of_the_conversion_table():
    merged = {}
    for old, _, _, new in LEGACY_PROVINCES:
        merged.setdefault(new, set()).add(old)
    assert merged == MERGED_INTO
    assert len(merged) == 34


def test_eleven_provinces_are_unchanged():
    alone = sorted(new for new, olds in MERGED_INTO.items() if olds == {new})
    assert alone == [1, 4, 11, 12, 14, 20, 22, 38, 40, 42, 46]


def test_five_old_central_cities():
    cities = [old for old, _, kind, _ in LEGACY_PROVINCES if kind == "thành phố trung ương"]
    assert cities == [1, 31, 48, 79, 92]  # Huế's 2025 city status is not in this snapshot


@pytest.mark.parametrize(
    ("old", "new"), [(15, 15), (10, 15), (80, 80), (72, 80), (82, 82), (87, 82), (74, 79)]
)
def test_successor_code(old, new):
    assert successor_code(old) == new


def test_an_unknown_old_code_has_no_successor():
    with pytest.raises(KeyError):
        successor_code(3)


@pytest.mark.usefixtures("places")
class TestInTheDatabase:
    def test_every_legacy_province_has_a_successor(self):
        rows = LegacyProvince.objects.select_related("successor").order_by("code")
        assert [(r.code, r.successor.code) for r in rows] == [
            (old, new) for old, _, _, new in LEGACY_PROVINCES
        ]

    def test_old_15_is_yen_bai_and_now_belongs_to_new_15_lao_cai(self):
        old = LegacyProvince.objects.get(code=15)
        assert (old.name, old.successor.code, old.successor.name) == ("Yên Bái", 15, "Lào Cai")
        assert str(old) == "Yên Bái (cũ, mã 15)"

    def test_old_10_lao_cai_also_goes_to_15(self):
        old = LegacyProvince.objects.get(code=10)
        assert (old.name, old.successor.code) == ("Lào Cai", 15)

    def test_old_80_long_an_goes_to_80_tay_ninh_and_old_72_tay_ninh_too(self):
        long_an, tay_ninh = LegacyProvince.objects.get(code=80), LegacyProvince.objects.get(code=72)
        assert (long_an.name, long_an.successor.code, long_an.successor.name) == (
            "Long An",
            80,
            "Tây Ninh",
        )
        assert (tay_ninh.name, tay_ninh.successor.code) == ("Tây Ninh", 80)

    def test_old_24_bac_giang_goes_to_24_bac_ninh(self):
        old = LegacyProvince.objects.get(code=24)
        assert (old.name, old.successor.name) == ("Bắc Giang", "Bắc Ninh")

    def test_predecessors_of_dak_lak(self):
        names = Province.objects.get(code=66).predecessors.order_by("code")
        assert [p.name for p in names] == ["Phú Yên", "Đắk Lắk"]

    @pytest.mark.parametrize(
        ("old", "new"), [(15, 15), (10, 15), (80, 80), (72, 80), ("066", 66), ("054", 66)]
    )
    def test_resolve_legacy_province(self, old, new):
        assert resolve_legacy_province(old) == Province.objects.get(code=new)

    @pytest.mark.parametrize("old", [3, 99, "abc", None])
    def test_resolving_an_unknown_code_raises(self, old):
        with pytest.raises(LegacyProvince.DoesNotExist):
            resolve_legacy_province(old)
