"""Plain factory functions for the tests, one place instead of copies in each conftest.py.

Each builds what a test needs through the same actions the platform uses (accounts, roles,
procedures) or, for reference data (provinces, communes, agencies), directly, with the
values the suite has always used: the province of Đắk Lắk (GSO 66) and its People's
Committee, departments named by short name. The conftests wrap them in fixtures:

    @pytest.fixture
    def agencies(province):
        return factories.agencies(province, "STP", "SXD")

A factory takes keyword traits (`roles=`, `totp=`, `levels=`) for the variants a test needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tinhso.catalogue import actions as catalogue_actions
from tinhso.catalogue.models import Procedure
from tinhso.catalogue.rules import ComponentSpec, VersionSpec
from tinhso.people import actions as people_actions
from tinhso.people.models import User
from tinhso.places.models import Agency, Commune, Province

PASSWORD = "mat-khau-rat-dai-2025"  # the tests' accounts only

# short name: (number in the agency code 000.00.{nn}.H66, name, level)
DEPARTMENTS: dict[str, tuple[int, str, str]] = {
    "STP": (3, "Sở Tư pháp tỉnh Đắk Lắk", Agency.Level.DEPARTMENT),
    "SXD": (7, "Sở Xây dựng tỉnh Đắk Lắk", Agency.Level.DEPARTMENT),
    "TTPVHCC": (
        20,
        "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
        Agency.Level.SERVICE_CENTRE,
    ),
}


# --- places ---------------------------------------------------------------------------------


def province(code: int = 66, name: str = "Đắk Lắk", codename: str = "dak_lak") -> Province:
    """A province (tỉnh); Đắk Lắk unless told otherwise."""
    return Province.objects.create(code=code, name=name, division_type="tỉnh", codename=codename)


def commune(where: Province, code: int, name: str, kind: str = "phường") -> Commune:
    return Commune.objects.create(
        code=code, name=name, division_type=kind, codename=name, province=where
    )


def committee(where: Province) -> Agency:
    """The province's People's Committee (UBND tỉnh), the root of its agencies."""
    return Agency.objects.create(
        code=f"000.00.00.H{where.code}",
        name=f"Ủy ban nhân dân tỉnh {where.name}",
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=where,
    )


def agency(
    parent: Agency,
    code: str,
    name: str,
    short_name: str,
    level: str = Agency.Level.DEPARTMENT,
    **extra: Any,
) -> Agency:
    """An agency under `parent`, in the parent's province (`commune=` for a commune's)."""
    return Agency.objects.create(
        code=code,
        name=name,
        short_name=short_name,
        level=level,
        parent=parent,
        province=parent.province,
        **extra,
    )


def department(parent: Agency, short_name: str) -> Agency:
    """One of DEPARTMENTS under the committee `parent`."""
    number, name, level = DEPARTMENTS[short_name]
    return agency(parent, f"000.00.{number:02d}.H{parent.province.code}", name, short_name, level)


def agencies(where: Province, *short_names: str) -> dict[str, Agency]:
    """The committee ("UBND") and the named departments under it, by short name."""
    root = committee(where)
    return {"UBND": root, **{name: department(root, name) for name in short_names}}


# --- people ---------------------------------------------------------------------------------


def official(
    username: str = "chuyenvien",
    *,
    roles: Iterable[tuple[str, Agency]] = (),
    totp: bool = False,
    is_staff: bool = False,
    password: str = PASSWORD,
) -> User:
    """A civil servant's account with `roles` ((role, agency) pairs); `totp=True` enrols a
    TOTP device as sign-in requires; `is_staff=True` makes an administrator."""
    user = people_actions.create_official(
        username=username,
        full_name=f"Cán bộ {username}",
        email=f"{username}@example.com",
        password=password,
        actor=None,
        is_staff=is_staff,
        is_superuser=is_staff,
    )
    for role, where in roles:
        people_actions.grant_role(user, where, role, actor=None)
    if totp:
        people_actions.enroll_totp(user, actor=None)
    return user


def citizen(
    personal_id: str = "066090001234",
    *,
    phone: str | None = "0912345678",
    email: str | None = "an.nguyen@example.com",
    name: str = "Nguyễn Văn An",
    password: str = PASSWORD,
) -> User:
    """A citizen registered with their personal identity number (CCCD)."""
    return people_actions.register_citizen(
        full_name=name, personal_id=personal_id, password=password, phone=phone, email=email
    )


def sign_in(client: Any, user: User) -> Any:
    """`client` signed in as `user` with a verified second factor, as the sign-in pages leave
    an official. A user without a TOTP device gets one here, without an audit record (the
    state the test starts from, not an action under test)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


# --- the catalogue --------------------------------------------------------------------------


def spec(name: str, **overrides: Any) -> VersionSpec:
    """The content of a procedure version: three working days, one form to file."""
    values: dict[str, Any] = {
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


def procedure(
    code: str,
    name: str,
    *,
    field: tuple[str, str] = ("G15-TP07", "Hộ tịch"),
    levels: Iterable[str] = ("commune",),
    agency: Agency | None = None,
    popularity: int = 0,
    **overrides: Any,
) -> Procedure:
    """A published procedure (thủ tục hành chính) through the catalogue's action; `overrides`
    are VersionSpec values (`processing_days=`, `eform_schema=`, `fees=`...)."""
    created, _ = catalogue_actions.save_procedure(
        code=code,
        field_code=field[0],
        field_name=field[1],
        spec=spec(name, **overrides),
        actor=None,
        levels=list(levels),
        popularity=popularity,
        agency=agency,
    )
    return created
