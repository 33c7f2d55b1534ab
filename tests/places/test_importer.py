"""Import from vietnam-provinces 2025.10.1: 34 provinces, 3,321 communes, 63 old provinces."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from tinhso.core.models import AuditRecord
from tinhso.places.importer import (
    Counts,
    SourceDataError,
    bare_name,
    division_type,
    import_places,
)
from tinhso.places.models import Commune, DivisionType, LegacyProvince, Province

pytestmark = pytest.mark.usefixtures("places")


def test_exact_counts_after_import():
    assert Province.objects.count() == 34
    assert Commune.objects.count() == 3321
    assert LegacyProvince.objects.count() == 63


def test_division_types_are_mapped():
    provinces = dict(
        Province.objects.values_list("division_type").annotate(n=Count("id")).order_by()
    )
    communes = dict(Commune.objects.values_list("division_type").annotate(n=Count("id")).order_by())
    assert provinces == {"tỉnh": 28, "thành phố trung ương": 6}
    assert communes == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_dak_lak_has_102_communes():
    assert Commune.objects.filter(province__code=66).count() == 102
    dak_lak = Commune.objects.filter(province__code=66)
    assert dak_lak.filter(division_type=DivisionType.WARD).count() == 14
    assert dak_lak.filter(division_type=DivisionType.COMMUNE).count() == 88


def test_names_are_stored_without_the_unit_prefix():
    ha_noi = Province.objects.get(code=1)
    assert (ha_noi.name, ha_noi.division_type, ha_noi.full_name) == (
        "Hà Nội",
        "thành phố trung ương",
        "Thành phố Hà Nội",
    )
    dak_lak = Province.objects.get(code=66)
    assert (dak_lak.name, dak_lak.full_name, dak_lak.codename, dak_lak.phone_code) == (
        "Đắk Lắk",
        "Tỉnh Đắk Lắk",
        "dak_lak",
        262,
    )
    # The package spells this one "Phường  Buôn Ma Thuột", with two spaces.
    bmt = Commune.objects.select_related("province").get(code=24133)
    assert (bmt.name, bmt.division_type, bmt.province.code, bmt.codename, str(bmt)) == (
        "Buôn Ma Thuột",
        "phường",
        66,
        "phuong_buon_ma_thuot",
        "Phường Buôn Ma Thuột",
    )
    van_don = Commune.objects.get(code=6994)
    assert (van_don.name, str(van_don)) == ("Vân Đồn", "Đặc khu Vân Đồn")
    assert not Commune.objects.filter(name__startswith="Xã ").exists()
    assert not Commune.objects.filter(name__startswith="Phường ").exists()
    assert not Province.objects.filter(name__startswith="Thành phố").exists()


def test_search_keys_are_folded_names():
    assert Commune.objects.get(code=24133).search_key == "buon ma thuot"
    assert Province.objects.get(code=66).search_key == "dak lak"
    assert Province.objects.get(code=79).search_key == "ho chi minh"


def test_importing_again_changes_nothing(django_assert_max_num_queries):
    before = list(Commune.objects.order_by("code").values_list("id", "code", "name", "search_key"))
    with django_assert_max_num_queries(10):
        result = import_places()
    assert result.provinces == Counts(total=34, created=0, updated=0)
    assert result.communes == Counts(total=3321, created=0, updated=0)
    assert result.legacy_provinces == Counts(total=63, created=0, updated=0)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3418)
    after = list(Commune.objects.order_by("code").values_list("id", "code", "name", "search_key"))
    assert after == before
    assert not AuditRecord.objects.exists()
    assert (Province.objects.count(), Commune.objects.count(), LegacyProvince.objects.count()) == (
        34,
        3321,
        63,
    )


def test_import_into_an_empty_database_creates_everything():
    LegacyProvince.objects.all().delete()
    Commune.objects.all().delete()
    Province.objects.all().delete()
    result = import_places()
    assert (result.provinces.created, result.communes.created) == (34, 3321)
    assert (result.legacy_provinces.created, result.updated) == (63, 0)
    assert result.summary() == "34 provinces, 3321 communes, 63 legacy provinces"
    record = AuditRecord.objects.get()
    assert (record.action, record.object_type) == ("places.import", "places")
    assert record.changes == {
        "source": "vietnam-provinces 2025.10.1 (data 2025-10-18)",
        "created": {"provinces": 34, "communes": 3321, "legacy_provinces": 63},
        "updated": {"provinces": 0, "communes": 0, "legacy_provinces": 0},
    }
    assert Commune.objects.filter(province__code=66).count() == 102


def test_import_repairs_edited_rows_in_place():
    commune = Commune.objects.get(code=24133)
    Commune.objects.filter(pk=commune.pk).update(name="Sai tên", search_key="sai ten")
    LegacyProvince.objects.filter(code=15).update(successor=Province.objects.get(code=1))
    result = import_places()
    assert (result.communes.updated, result.legacy_provinces.updated) == (1, 1)
    assert (result.provinces.updated, result.created) == (0, 0)
    repaired = Commune.objects.get(pk=commune.pk)
    assert (repaired.name, repaired.search_key) == ("Buôn Ma Thuột", "buon ma thuot")
    assert LegacyProvince.objects.get(code=15).successor.code == 15
    assert AuditRecord.objects.get().changes["updated"] == {
        "provinces": 0,
        "communes": 1,
        "legacy_provinces": 1,
    }


def test_the_command_prints_the_counts():
    out = StringIO()
    call_command("places", "import", stdout=out)
    assert out.getvalue() == (
        "34 provinces, 3321 communes, 63 legacy provinces\ncreated 0, updated 0, unchanged 3418\n"
    )


@pytest.mark.parametrize(
    ("raw", "kind", "bare"),
    [
        ("Thành phố Hà Nội", DivisionType.CENTRAL_CITY, "Hà Nội"),
        ("Tỉnh Lào Cai", DivisionType.PROVINCE, "Lào Cai"),  # 2026.x spelling
        ("Lào Cai", DivisionType.PROVINCE, "Lào Cai"),
        ("Phường  Buôn Ma Thuột", DivisionType.WARD, "Buôn Ma Thuột"),
        ("Xã Hòa Phú", DivisionType.COMMUNE, "Hòa Phú"),
        ("Đặc khu Phú Quốc", DivisionType.SPECIAL_ZONE, "Phú Quốc"),
        ("Xã", DivisionType.COMMUNE, "Xã"),
    ],
)
def test_bare_name(raw, kind, bare):
    assert bare_name(raw, kind) == bare


def test_an_unknown_division_type_is_an_error():
    with pytest.raises(SourceDataError, match="unknown division type 'huyện'"):
        division_type("huyện")
