"""Dossier fixtures: a province, agencies, a published procedure with an e-form, citizens."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from tinhso.catalogue.models import ComponentRequirement, Field, Procedure, ProcedureVersion
from tinhso.people import actions as people_actions
from tinhso.people.models import User
from tinhso.places.models import Agency, Province

from .support import PASSWORD

SCHEMA = {
    "type": "object",
    "properties": {
        "ho_ten": {"type": "string", "title": "Họ, chữ đệm, tên", "minLength": 2},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "so_ban_sao": {
            "type": "integer",
            "title": "Số bản sao đề nghị cấp",
            "minimum": 0,
            "maximum": 10,
        },
        "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
    },
    "required": ["ho_ten", "ngay_sinh"],
}
LAYOUT = {
    "order": ["ho_ten", "ngay_sinh", "so_ban_sao", "email"],
    "prefill": {"ho_ten": "citizen.full_name"},
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture
def province(db):
    return Province.objects.create(
        code=66, name="Đắk Lắk", division_type="tỉnh", codename="dak_lak"
    )


@pytest.fixture
def agencies(province) -> dict[str, Agency]:
    committee = Agency.objects.create(
        code="000.00.00.H66",
        name="Ủy ban nhân dân tỉnh Đắk Lắk",
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=province,
    )
    justice = Agency.objects.create(
        code="000.00.03.H66",
        name="Sở Tư pháp tỉnh Đắk Lắk",
        short_name="STP",
        level=Agency.Level.DEPARTMENT,
        parent=committee,
        province=province,
    )
    return {"UBND": committee, "STP": justice}


def make_version(
    agency: Agency | None,
    *,
    code: str = "2.000488",
    name: str = "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
    days: Decimal | None = Decimal(10),
    hours: Decimal | None = None,
    online_type: str = ProcedureVersion.OnlineType.FULL,
    channels: tuple[str, ...] = ("online", "counter", "post"),
    fees: list[dict] | None = None,
) -> ProcedureVersion:
    field, _ = Field.objects.get_or_create(code="G15-TP09", defaults={"name": "Lý lịch tư pháp"})
    procedure = Procedure.objects.create(
        code=code, name=name, field=field, agency=agency, levels=["province"]
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        state=ProcedureVersion.State.PUBLISHED,
        published_at=timezone.now(),
        name=name,
        processing_days=days,
        processing_hours=hours,
        online_type=online_type,
        channels=list(channels),
        fees=fees
        if fees is not None
        else [{"name": "Phí cung cấp thông tin", "amount": 200000, "note": ""}],
        result_name="Phiếu lý lịch tư pháp",
        eform_schema=SCHEMA,
        eform_layout=LAYOUT,
    )
    procedure.current_version = version
    procedure.save()
    ComponentRequirement.objects.create(
        version=version,
        position=1,
        code="TK",
        name="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
        originals=1,
        required=True,
    )
    ComponentRequirement.objects.create(
        version=version,
        position=2,
        code="CCCD",
        name="Bản chụp Căn cước công dân",
        copies=1,
        required=False,
        from_datastore=True,
    )
    return version


@pytest.fixture
def version(agencies) -> ProcedureVersion:
    return make_version(agencies["STP"])


@pytest.fixture
def make_citizen(db) -> Callable[..., User]:
    def make(
        personal_id: str = "066090001234",
        *,
        phone: str = "0912345678",
        email: str = "an.nguyen@example.com",
        name: str = "Nguyễn Văn An",
    ) -> User:
        return people_actions.register_citizen(
            full_name=name, personal_id=personal_id, password=PASSWORD, phone=phone, email=email
        )

    return make


@pytest.fixture
def citizen(make_citizen) -> User:
    return make_citizen()


@pytest.fixture
def other_citizen(make_citizen) -> User:
    return make_citizen(
        "066195000777", phone="0987654321", email="binh.tran@example.com", name="Trần Thị Bình"
    )


# --- the back office (issue 4) ---------------------------------------------------------------
@pytest.fixture
def office(agencies, version, citizen):
    """Officials, a service centre, a second department and a two-step route for `version`."""
    from .backoffice import Office

    return Office.build(agencies, version, citizen)
