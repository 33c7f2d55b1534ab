"""Agency actions: each change is validated, saved and audited in one transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tinhso.core.models import AuditRecord
from tinhso.places import errors
from tinhso.places.actions import (
    create_agency,
    deactivate_agency,
    reactivate_agency,
    update_agency,
)
from tinhso.places.codes import CODE_MESSAGE, SHORT_NAME_MESSAGE
from tinhso.places.errors import PlacesError
from tinhso.places.models import Agency, Commune, Province

pytestmark = pytest.mark.usefixtures("places")


@pytest.fixture
def committee(dak_lak, official):
    return create_agency(
        code="000.00.00.H66",
        name="Ủy ban nhân dân tỉnh Đắk Lắk",
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=dak_lak,
        actor=official,
    )


@pytest.fixture
def justice(committee, official):
    return create_agency(
        code="000.00.03.H66",
        name="Sở Tư pháp tỉnh Đắk Lắk",
        short_name="STP",
        level=Agency.Level.DEPARTMENT,
        parent=committee,
        actor=official,
    )


def records(action):
    return list(AuditRecord.objects.filter(action=action).order_by("id"))


def test_create_saves_and_audits_the_new_values(committee, official):
    agency = create_agency(
        code=" 000.00.07.h66 ",
        name="  Sở  Xây dựng tỉnh Đắk Lắk ",
        short_name="SXD",
        level=Agency.Level.DEPARTMENT,
        parent=committee,
        actor=official,
    )
    agency.refresh_from_db()
    assert (agency.code, agency.name, agency.short_name, agency.level) == (
        "000.00.07.H66",
        "Sở Xây dựng tỉnh Đắk Lắk",
        "SXD",
        "department",
    )
    assert (agency.province.code, agency.parent, agency.is_active) == (66, committee, True)
    [record] = records("agency.create")[1:]
    assert (record.actor, record.object_type, record.object_id) == (
        official,
        "places.agency",
        str(agency.pk),
    )
    assert record.object_label == "Sở Xây dựng tỉnh Đắk Lắk"
    assert record.changes == {
        "code": [None, "000.00.07.H66"],
        "name": [None, "Sở Xây dựng tỉnh Đắk Lắk"],
        "short_name": [None, "SXD"],
        "level": [None, "department"],
        "parent": [None, "000.00.00.H66"],
        "province": [None, 66],
        "is_active": [None, True],
    }


def test_update_audits_before_and_after(justice, official):
    update_agency(justice, actor=official, name="Sở Tư pháp", short_name="STP2")
    assert (justice.name, justice.short_name) == ("Sở Tư pháp", "STP2")
    [record] = records("agency.update")
    assert record.changes == {
        "name": ["Sở Tư pháp tỉnh Đắk Lắk", "Sở Tư pháp"],
        "short_name": ["STP", "STP2"],
    }
    assert (record.actor, record.object_id) == (official, str(justice.pk))


def test_update_reads_the_before_values_from_the_database(justice, official):
    justice.name = "Tên đã sửa trên biểu mẫu"  # as an admin form leaves the instance
    update_agency(justice, actor=official, name="Tên đã sửa trên biểu mẫu")
    [record] = records("agency.update")
    assert record.changes == {"name": ["Sở Tư pháp tỉnh Đắk Lắk", "Tên đã sửa trên biểu mẫu"]}


def test_an_update_that_changes_nothing_writes_nothing(justice, official):
    updated_at = Agency.objects.get(pk=justice.pk).updated_at
    update_agency(justice, actor=official, name="Sở Tư pháp tỉnh Đắk Lắk")
    assert records("agency.update") == []
    assert Agency.objects.get(pk=justice.pk).updated_at == updated_at


def test_update_refuses_fields_it_does_not_own(justice, official):
    with pytest.raises(TypeError, match="cannot change is_active"):
        update_agency(justice, actor=official, is_active=False)


def test_deactivate_and_reactivate_are_audited(justice, official):
    deactivate_agency(justice, actor=official)
    assert justice.is_active is False
    deactivate_agency(justice, actor=official)  # again: nothing to do
    reactivate_agency(justice, actor=official)
    assert Agency.objects.get(pk=justice.pk).is_active is True
    assert [
        (r.action, r.changes)
        for r in AuditRecord.objects.filter(action__in=["agency.deactivate", "agency.reactivate"])
    ] == [
        ("agency.deactivate", {"is_active": [True, False]}),
        ("agency.reactivate", {"is_active": [False, True]}),
    ]


def test_a_unit_with_active_units_under_it_cannot_be_deactivated(committee, justice, official):
    count = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as caught:
        deactivate_agency(committee, actor=official)
    assert caught.value.messages == [
        "Còn 1 đơn vị trực thuộc đang hoạt động: cần ngừng hoạt động các đơn vị đó trước."
    ]
    assert Agency.objects.get(pk=committee.pk).is_active is True
    assert AuditRecord.objects.count() == count


def test_nothing_can_be_added_under_an_inactive_unit(justice, official):
    deactivate_agency(justice, actor=official)
    with pytest.raises(ValidationError) as caught:
        create_agency(
            code="001.00.03.H66",
            name="Phòng Hành chính tư pháp",
            short_name="HCTP",
            level=Agency.Level.UNIT,
            parent=justice,
            actor=official,
        )
    assert caught.value.message_dict == {"parent": ["Cơ quan cấp trên đã ngừng hoạt động."]}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"code": "H66"}, {"code": [CODE_MESSAGE]}),
        ({"short_name": "S TP"}, {"short_name": [SHORT_NAME_MESSAGE]}),
        (
            {"code": "000.00.00.H66"},
            {"code": ["Mã định danh này đã dùng cho một cơ quan, đơn vị khác."]},
        ),
        ({"level": "ministry"}, {"level": ["Giá trị 'ministry' không phải là lựa chọn hợp lệ."]}),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_saved(justice, official, fields, errors):
    count = (Agency.objects.count(), AuditRecord.objects.count())
    with pytest.raises(ValidationError) as caught:
        update_agency(justice, actor=official, **fields)
    assert caught.value.message_dict == errors
    assert (Agency.objects.count(), AuditRecord.objects.count()) == count
    assert Agency.objects.get(pk=justice.pk).code == "000.00.03.H66"


def test_a_unit_cannot_be_placed_under_itself_or_its_own_units(committee, justice, official):
    with pytest.raises(ValidationError) as caught:
        update_agency(committee, actor=official, parent=justice)
    assert caught.value.message_dict == {
        "parent": ["Không thể chọn chính đơn vị này hoặc một đơn vị trực thuộc nó làm cấp trên."]
    }
    with pytest.raises(ValidationError) as caught:
        update_agency(justice, actor=official, parent=justice)
    assert list(caught.value.message_dict) == ["parent"]
    assert Agency.objects.get(pk=committee.pk).parent_id is None


def test_a_parent_must_be_in_the_same_province(justice, official):
    ha_noi = create_agency(
        code="000.00.00.H01",
        name="Ủy ban nhân dân thành phố Hà Nội",
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=Province.objects.get(code=1),
        actor=official,
    )
    with pytest.raises(ValidationError) as caught:
        update_agency(justice, actor=official, parent=ha_noi)
    assert caught.value.message_dict == {
        "parent": ["Cơ quan cấp trên phải thuộc cùng tỉnh, thành phố."]
    }


def test_a_commune_committee_needs_a_commune_of_the_same_province(committee, official):
    ha_noi_commune = Commune.objects.get(code=10108)  # Xã Hòa Phú, Hà Nội
    with pytest.raises(ValidationError) as caught:
        create_agency(
            code="000.01.50.H66",
            name="Ủy ban nhân dân xã Hòa Phú",
            short_name="UBND",
            level=Agency.Level.COMMUNE,
            parent=committee,
            commune=ha_noi_commune,
            actor=official,
        )
    assert caught.value.message_dict == {
        "commune": ["Xã, phường, đặc khu không thuộc tỉnh, thành phố đã chọn."]
    }
    with pytest.raises(ValidationError) as caught:
        create_agency(
            code="000.01.50.H66",
            name="Ủy ban nhân dân",
            short_name="UBND",
            level=Agency.Level.COMMUNE,
            parent=committee,
            actor=official,
        )
    assert caught.value.message_dict == {
        "commune": ["UBND xã, phường, đặc khu phải gắn với một xã, phường, đặc khu."]
    }
    local = create_agency(
        code="000.01.50.H66",
        name="Ủy ban nhân dân xã Hòa Phú",
        short_name="UBND",
        level=Agency.Level.COMMUNE,
        parent=committee,
        commune=Commune.objects.get(code=24175),  # Xã Hòa Phú, Đắk Lắk
        actor=official,
    )
    assert (local.province.code, local.commune.name) == (66, "Hòa Phú")


def test_an_agency_needs_a_province(official):
    with pytest.raises(ValidationError) as caught:
        create_agency(
            code="000.00.00.H01",
            name="Không rõ tỉnh",
            short_name="KR",
            level=Agency.Level.PROVINCE,
            actor=official,
        )
    assert caught.value.message_dict == {"province": ["Cần chọn tỉnh, thành phố của cơ quan."]}


def test_a_refusal_carries_its_code_for_the_api_and_its_fields_for_the_forms(
    committee, justice, official
):
    with pytest.raises(PlacesError) as caught:
        deactivate_agency(committee, actor=official)
    refused = caught.value
    assert (refused.code, refused.status) == (errors.CHILDREN_ACTIVE, 409)
    text = "Còn 1 đơn vị trực thuộc đang hoạt động: cần ngừng hoạt động các đơn vị đó trước."
    assert refused.message_dict == {"__all__": [text]}  # what the admin and forms read
    assert refused.as_json() == {"code": "places.children_active", "message": text, "detail": text}
    assert Agency.objects.get(pk=committee.pk).is_active
