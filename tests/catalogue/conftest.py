"""Catalogue fixtures: a small published catalogue built through the actions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tinhso.catalogue import actions
from tinhso.catalogue.models import Procedure
from tinhso.catalogue.rules import ComponentSpec, VersionSpec

SAMPLES = Path(__file__).resolve().parents[3] / "shared/domain/samples/procedures/opengov-dvcqg"

BIRTH_SCHEMA = {
    "type": "object",
    "properties": {
        "child_name": {"type": "string", "title": "Họ, chữ đệm, tên của trẻ", "maxLength": 100},
        "birth_date": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "applicant_name": {"type": "string", "title": "Họ tên người yêu cầu"},
        "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
        "copies": {"type": "integer", "title": "Số bản sao", "minimum": 0, "maximum": 10},
        "sex": {"type": "string", "title": "Giới tính", "enum": ["Nam", "Nữ"]},
    },
    "required": ["child_name", "birth_date", "applicant_name"],
}
BIRTH_LAYOUT = {
    "order": ["applicant_name", "child_name", "birth_date", "sex", "copies", "email"],
    "prefill": {"applicant_name": "citizen.full_name", "email": "citizen.email"},
}


def spec(name: str, **overrides) -> VersionSpec:
    values = {
        "name": name,
        "processing_days": Decimal("3"),
        "online_type": "mot_phan",
        "channels": ["online", "counter", "post"],
        "fees": [],
        "result_name": "Giấy chứng nhận",
        "components": [ComponentSpec(name="Tờ khai", originals=1)],
    }
    values.update(overrides)
    return VersionSpec(**values)


@pytest.fixture
def publish(db) -> Callable[..., Procedure]:
    def make(
        code: str,
        name: str,
        *,
        field=("G15-TP07", "Hộ tịch"),
        popularity=0,
        levels=("commune",),
        agency=None,
        **overrides,
    ):
        procedure, _ = actions.save_procedure(
            code=code,
            field_code=field[0],
            field_name=field[1],
            spec=spec(name, **overrides),
            actor=None,
            levels=list(levels),
            popularity=popularity,
            agency=agency,
        )
        return procedure

    return make


@pytest.fixture
def civil_status(publish) -> dict[str, Procedure]:
    """Procedures whose names share words, to test the ranking."""
    return {
        "birth": publish(
            "1.001193",
            "Thủ tục đăng ký khai sinh",
            processing_days=Decimal("1"),
            eform_schema=BIRTH_SCHEMA,
            eform_layout=BIRTH_LAYOUT,
        ),
        "birth_again": publish("1.004884", "Thủ tục đăng ký lại khai sinh"),
        "birth_foreign": publish("2.000528", "Thủ tục đăng ký khai sinh có yếu tố nước ngoài"),
        "birth_copy": publish(
            "2.000635",
            "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
            popularity=50,
            fees=[{"name": "Phí cấp bản sao", "amount": 8000, "note": "mỗi bản"}],
        ),
        "death": publish("1.000656", "Thủ tục đăng ký khai tử"),
        "marriage": publish("1.000894", "Thủ tục đăng ký kết hôn"),
        "marital": publish("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"),
        "residence": publish(
            "1.004222",
            "Đăng ký thường trú",
            field=("G01-CA05", "Đăng ký, quản lý cư trú"),
            online_type="toan_trinh",
        ),
    }


@pytest.fixture
def staff(db):
    """A catalogue administrator, signed in with a verified second factor."""
    from tinhso.people import actions as people_actions

    user = people_actions.create_official(
        username="quantri",
        full_name="Quản Trị Viên",
        email="quantri@example.com",
        password="mat-khau-rat-dai-2025",
        actor=None,
        is_staff=True,
        is_superuser=True,
    )
    people_actions.enroll_totp(user, actor=None)
    return user


def sign_in(client, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def agencies(db):
    from tinhso.places.models import Agency, Province

    province = Province.objects.create(
        code=66, name="Đắk Lắk", division_type="tỉnh", codename="dak_lak"
    )
    committee = Agency.objects.create(
        code="000.00.00.H66",
        name="Ủy ban nhân dân tỉnh Đắk Lắk",
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=province,
    )
    sxd = Agency.objects.create(
        code="000.00.07.H66",
        name="Sở Xây dựng tỉnh Đắk Lắk",
        short_name="SXD",
        level=Agency.Level.DEPARTMENT,
        parent=committee,
        province=province,
    )
    return {"UBND": committee, "SXD": sxd}
