"""The demo catalogue: real procedures, idempotent loading, agencies from the demo agencies."""

from __future__ import annotations

import re

import pytest

from tinhso.catalogue import demo, eforms
from tinhso.catalogue.models import Procedure, ProcedureVersion
from tinhso.catalogue.queries import competent_agencies, published_version, search
from tinhso.places.models import Agency

CODE = re.compile(r"^[123]\.\d{6}$")


def test_the_data_file_is_complete_and_says_its_sources():
    entries = demo.demo_data()["procedures"]
    assert len(entries) >= 40
    assert len({e["code"] for e in entries}) == len(entries)
    for entry in entries:
        assert CODE.match(entry["code"]), entry["code"]
        assert entry["source"]
        assert entry["levels"] and set(entry["levels"]) <= {"commune", "province"}
        assert entry["components"], entry["code"]
        timed = entry.get("processing_days") or entry.get("processing_hours")
        assert timed or entry.get("processing_note"), entry["code"]
    levels = {level for e in entries for level in e["levels"]}
    assert levels == {"commune", "province"}
    fields = {e["field"]["name"] for e in entries}
    assert {"Hộ tịch", "Đăng ký, quản lý cư trú", "Hoạt động xây dựng", "Đất đai"} <= fields
    assert {"Chứng thực", "Bảo trợ xã hội", "Lý lịch tư pháp"} <= fields


def test_every_demo_eform_is_a_valid_schema():
    for key, (schema, layout) in demo.EFORMS.items():
        assert eforms.check_schema(schema, layout) == [], key


@pytest.fixture
def demo_agencies(db):
    from tinhso.places.models import Commune, Province

    province = Province.objects.create(
        code=66, name="Đắk Lắk", division_type="tỉnh", codename="dak_lak"
    )
    commune = Commune.objects.create(
        code=24121, name="Buôn Ma Thuột", division_type="phường", codename="bmt", province=province
    )
    committee = Agency.objects.create(
        code="000.00.00.H66",
        name="UBND tỉnh",
        short_name="UBND",
        level="province",
        province=province,
    )
    for number, short in ((3, "STP"), (4, "STC"), (6, "SNNMT"), (7, "SXD")):
        Agency.objects.create(
            code=f"000.00.{number:02d}.H66",
            name=f"Sở {short}",
            short_name=short,
            level="department",
            parent=committee,
            province=province,
        )
    Agency.objects.create(
        code="000.01.50.H66",
        name="Ủy ban nhân dân phường Buôn Ma Thuột",
        short_name="UBND",
        level="commune",
        parent=committee,
        province=province,
        commune=commune,
    )
    return commune


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_assigns_agencies(demo_agencies, settings):
    settings.PROVINCE_CODE = 66
    first = demo.load_demo(with_places=False)
    total = len(demo.demo_data()["procedures"])
    assert (len(first.created), first.agencies_missing) == (total, [])
    versions = ProcedureVersion.objects.count()
    second = demo.load_demo(with_places=False)
    assert (len(second.unchanged), second.created, second.updated) == (total, [], [])
    assert ProcedureVersion.objects.count() == versions == total
    assert Procedure.objects.get(code="1.013236").agency.short_name == "SXD"
    assert Procedure.objects.get(code="2.001610").agency.short_name == "STC"
    birth = Procedure.objects.get(code="1.001193")
    assert birth.agency is None
    assert [a.name for a in competent_agencies(birth, demo_agencies)] == [
        "Ủy ban nhân dân phường Buôn Ma Thuột"
    ]
    version = published_version("1.001193")
    assert (version.name, version.processing_label, version.online_type) == (
        "Đăng ký khai sinh",
        "1 ngày làm việc",
        "mot_phan",
    )
    assert version.eform_layout["prefill"]["applicant_name"] == "citizen.full_name"
    again = published_version("1.004746")  # re-registration of a marriage
    assert [c.name[:44] for c in again.components.all() if c.from_datastore] == [
        "Bản sao Giấy chứng nhận kết hôn được cấp trư"
    ]
    for q in ("dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh"):
        assert search(q).items[0].name == "Đăng ký khai sinh", q
    assert search("ho kinh doanh").items[0].name == "Đăng ký thành lập hộ kinh doanh"
    assert search("thuong tru").items[0].name == "Đăng ký thường trú"
