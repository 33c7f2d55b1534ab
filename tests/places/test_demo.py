"""Demo agencies: the province's committee, departments, service centre and every commune."""

from __future__ import annotations

import pytest

from tinhso.core import audit
from tinhso.core.models import AuditRecord
from tinhso.places.actions import update_agency
from tinhso.places.codes import is_agency_code
from tinhso.places.demo import commune_agency_code, load_demo, province_agency_code
from tinhso.places.models import Agency, Commune, LegacyProvince, Province

pytestmark = pytest.mark.usefixtures("places")

DEPARTMENTS = [
    ("000.00.01.H66", "VP", "Văn phòng Ủy ban nhân dân tỉnh Đắk Lắk"),
    ("000.00.02.H66", "SNV", "Sở Nội vụ tỉnh Đắk Lắk"),
    ("000.00.03.H66", "STP", "Sở Tư pháp tỉnh Đắk Lắk"),
    ("000.00.04.H66", "STC", "Sở Tài chính tỉnh Đắk Lắk"),
    ("000.00.05.H66", "SCT", "Sở Công Thương tỉnh Đắk Lắk"),
    ("000.00.06.H66", "SNNMT", "Sở Nông nghiệp và Môi trường tỉnh Đắk Lắk"),
    ("000.00.07.H66", "SXD", "Sở Xây dựng tỉnh Đắk Lắk"),
    ("000.00.08.H66", "SKHCN", "Sở Khoa học và Công nghệ tỉnh Đắk Lắk"),
    ("000.00.09.H66", "SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch tỉnh Đắk Lắk"),
    ("000.00.10.H66", "SGDĐT", "Sở Giáo dục và Đào tạo tỉnh Đắk Lắk"),
    ("000.00.11.H66", "SYT", "Sở Y tế tỉnh Đắk Lắk"),
    ("000.00.12.H66", "SDTTG", "Sở Dân tộc và Tôn giáo tỉnh Đắk Lắk"),
    ("000.00.13.H66", "TTr", "Thanh tra tỉnh Đắk Lắk"),
]


def counts():
    by_level = {level: Agency.objects.filter(level=level).count() for level in Agency.Level.values}
    return by_level, AuditRecord.objects.count()


def test_the_demo_agencies_of_dak_lak():
    load_demo()
    committee = Agency.objects.get(level=Agency.Level.PROVINCE)
    assert (committee.code, committee.name, committee.short_name, committee.parent) == (
        "000.00.00.H66",
        "Ủy ban nhân dân tỉnh Đắk Lắk",
        "UBND",
        None,
    )
    departments = Agency.objects.filter(level=Agency.Level.DEPARTMENT).order_by("code")
    assert [(a.code, a.short_name, a.name) for a in departments] == DEPARTMENTS
    assert {a.parent_id for a in departments} == {committee.pk}
    centre = Agency.objects.get(level=Agency.Level.SERVICE_CENTRE)
    assert (centre.code, centre.name, centre.short_name, centre.parent) == (
        "000.00.20.H66",
        "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
        "TTPVHCC",
        committee,
    )


def test_every_commune_has_one_committee_with_a_one_stop_desk():
    load_demo()
    communes = Commune.objects.filter(province__code=66)
    committees = Agency.objects.filter(level=Agency.Level.COMMUNE)
    assert committees.count() == communes.count() == 102
    assert set(committees.values_list("commune__code", flat=True)) == set(
        communes.values_list("code", flat=True)
    )
    assert set(committees.values_list("parent__level", flat=True)) == {"province"}
    desks = Agency.objects.filter(level=Agency.Level.UNIT, short_name="BPMC")
    assert desks.count() == 102
    assert sorted(desks.values_list("parent_id", flat=True)) == sorted(
        committees.values_list("pk", flat=True)
    )
    bmt = committees.get(commune__code=24133)
    desk = bmt.children.get()
    assert (bmt.name, bmt.short_name, desk.name, desk.commune_id) == (
        "Ủy ban nhân dân phường Buôn Ma Thuột",
        "UBND",
        "Bộ phận Một cửa phường Buôn Ma Thuột",
        bmt.commune_id,
    )
    first = committees.get(commune__code=22015)  # the lowest code: Phường Tuy Hòa
    last = committees.order_by("-commune__code").first()
    assert (first.code, first.children.get().code) == ("000.01.50.H66", "001.01.50.H66")
    assert last.code == "000.03.51.H66"  # the 102nd: block 51, position 3
    assert all(is_agency_code(code) for code in Agency.objects.values_list("code", flat=True))


def test_loading_twice_gives_the_same_agencies_and_no_new_audit_records():
    load_demo()
    first = counts()
    codes = list(Agency.objects.order_by("code").values_list("pk", "code"))
    load_demo()
    assert counts() == first
    assert list(Agency.objects.order_by("code").values_list("pk", "code")) == codes
    by_level, audited = first
    assert by_level == {
        "province": 1,
        "department": 13,
        "service_centre": 1,
        "commune": 102,
        "unit": 102,
    }
    assert audited == 219 == AuditRecord.objects.filter(action="agency.create").count()
    assert audit.verify().ok


def test_loading_again_keeps_codes_an_administrator_corrected(official):
    load_demo()
    justice = Agency.objects.get(short_name="STP")
    update_agency(justice, actor=official, code="000.00.15.H66")
    load_demo()
    assert Agency.objects.filter(short_name="STP").get().code == "000.00.15.H66"
    assert Agency.objects.count() == 219


def test_demo_imports_places_when_they_are_missing():
    LegacyProvince.objects.all().delete()
    Commune.objects.all().delete()
    Province.objects.all().delete()
    load_demo()
    assert (Province.objects.count(), Commune.objects.count()) == (34, 3321)
    assert Agency.objects.count() == 219


def test_demo_follows_the_province_setting(settings):
    settings.PROVINCE_CODE = "1"
    load_demo()
    committee = Agency.objects.get(level=Agency.Level.PROVINCE)
    assert (committee.code, committee.name) == ("000.00.00.H01", "Ủy ban nhân dân thành phố Hà Nội")
    assert Agency.objects.get(short_name="TTr").name == "Thanh tra thành phố Hà Nội"
    assert Agency.objects.filter(level=Agency.Level.COMMUNE).count() == 126


def test_illustrative_code_scheme():
    dak_lak = Province(code=66)
    assert province_agency_code(dak_lak) == "000.00.00.H66"
    assert province_agency_code(dak_lak, 7) == "000.00.07.H66"
    assert commune_agency_code(dak_lak, 1) == "000.01.50.H66"
    assert commune_agency_code(dak_lak, 99) == "000.99.50.H66"
    assert commune_agency_code(dak_lak, 100) == "000.01.51.H66"
    assert commune_agency_code(dak_lak, 100, desk=True) == "001.01.51.H66"
    assert commune_agency_code(Province(code=4), 4950) == "000.99.99.H04"
