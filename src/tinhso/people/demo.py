"""Demo accounts, one per kind of user, for trying the platform out. Never in production.

`load_demo()` creates them through the actions, only where missing, and returns what the
README shows: user name, password, role and, for officials, the TOTP secret. The secrets are
FIXED and public, so that anyone can add them to an authenticator app or print the current
code with `tinhso demo_totp <username>`; that is why the demo refuses production mode.

    account         signs in with  role, agency                     TOTP secret (base32)
    066090001234    0912345678     citizen                          -
    tiepnhan        tiepnhan       receiving officer, centre        IT2AMMTTHXGT7AIX3DJHK2BDJFUQDXED
    chuyenvien.stp  chuyenvien.stp specialist, Sở Tư pháp           6NYJ52DIY4YOP4NG2QKJTM4SU33DWARL
    lanhdao         lanhdao        leader (Phó Chủ tịch UBND tỉnh)  3CWYGAK4IJ52RVK3OCSEQVBETHITX4UF
    vanthu          vanthu         clerk (văn thư), UBND tỉnh       X277KEHCFRVKWWYQUI34W5CDFTFA34PX
    quantri         quantri        administrator, Django admin      ZG7A4HU7YDDFTNUWBFT3XHS4KEMK2IA7

Every demo account's password is DEMO_PASSWORD.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core import context
from tinhso.people import actions
from tinhso.people.models import Role, User
from tinhso.places.models import Agency

DEMO_PASSWORD = "tinhso-demo-2025"  # noqa: S105 - public on purpose; refused in production

CITIZEN_PERSONAL_ID = "066090001234"  # Đắk Lắk, male, born 1990
CITIZEN_PHONE = "0912345678"

# username: (base32 TOTP secret, full name, e-mail, role, where, title)
#   where: "province" = UBND tỉnh, "centre" = Trung tâm Phục vụ HCC, "STP" = Sở Tư pháp
DEMO_OFFICIALS: dict[str, tuple[str, str, str, str, str, str]] = {
    "tiepnhan": (
        "IT2AMMTTHXGT7AIX3DJHK2BDJFUQDXED",
        "Trần Thị Bình",
        "tiepnhan@example.com",
        Role.RECEIVING_OFFICER,
        "centre",
        "Chuyên viên tiếp nhận hồ sơ",
    ),
    "chuyenvien.stp": (
        "6NYJ52DIY4YOP4NG2QKJTM4SU33DWARL",
        "Lê Văn Cường",
        "chuyenvien.stp@example.com",
        Role.SPECIALIST,
        "STP",
        "Chuyên viên",
    ),
    "lanhdao": (
        "3CWYGAK4IJ52RVK3OCSEQVBETHITX4UF",
        "Phạm Minh Đức",
        "lanhdao@example.com",
        Role.LEADER,
        "province",
        "Phó Chủ tịch UBND tỉnh",
    ),
    "vanthu": (
        "X277KEHCFRVKWWYQUI34W5CDFTFA34PX",
        "Hoàng Thị Lan",
        "vanthu@example.com",
        Role.CLERK,
        "province",
        "Văn thư",
    ),
    "quantri": (
        "ZG7A4HU7YDDFTNUWBFT3XHS4KEMK2IA7",
        "Đỗ Quang Huy",
        "quantri@example.com",
        Role.ADMINISTRATOR,
        "province",
        "Quản trị hệ thống",
    ),
}


class DemoRefused(Exception):
    """Demo accounts have public passwords and secrets: not in production."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str  # Vietnamese label
    agency: str
    totp_secret: str  # base32; empty for the citizen
    sign_in_with: str  # what to type in "Số điện thoại, email hoặc tên đăng nhập"


def secret_hex(secret_base32: str) -> str:
    """django-otp stores TOTP keys in hex."""
    return base64.b32decode(secret_base32).hex()


def _agencies() -> dict[str, Agency]:
    committee = (
        Agency.objects.filter(level=Agency.Level.PROVINCE, parent=None, is_active=True)
        .order_by("code")
        .first()
    )
    if committee is None:
        raise DemoRefused("no UBND tỉnh agency: load the places demo first")
    children = Agency.objects.filter(parent=committee, is_active=True).order_by("code")
    centre = children.filter(level=Agency.Level.SERVICE_CENTRE).first()
    justice = children.filter(level=Agency.Level.DEPARTMENT, short_name="STP").first()
    if centre is None or justice is None:
        raise DemoRefused("the service centre or Sở Tư pháp is missing from the demo agencies")
    return {"province": committee, "centre": centre, "STP": justice}


def _citizen() -> DemoAccount:
    user = User.objects.filter(username=CITIZEN_PERSONAL_ID).first()
    if user is None:
        actions.register_citizen(
            full_name="Nguyễn Văn An",
            personal_id=CITIZEN_PERSONAL_ID,
            password=DEMO_PASSWORD,
            phone=CITIZEN_PHONE,
            email="congdan@example.com",
            date_of_birth=date(1990, 5, 12),
        )
    elif not user.check_password(DEMO_PASSWORD):
        actions.set_password(user, DEMO_PASSWORD, actor=None)
    return DemoAccount(
        username=CITIZEN_PERSONAL_ID,
        password=DEMO_PASSWORD,
        role="Công dân",
        agency="",
        totp_secret="",
        sign_in_with=CITIZEN_PHONE,
    )


def _official(username: str, agencies: dict[str, Agency]) -> DemoAccount:
    secret, full_name, email, role, where, title = DEMO_OFFICIALS[username]
    administrator = role == Role.ADMINISTRATOR
    user = User.objects.filter(username=username).first()
    if user is None:
        user = actions.create_official(
            username=username,
            full_name=full_name,
            email=email,
            password=DEMO_PASSWORD,
            actor=None,
            is_staff=administrator,
            is_superuser=administrator,
        )
    elif not user.check_password(DEMO_PASSWORD):
        actions.set_password(user, DEMO_PASSWORD, actor=None)
    agency = agencies[where]
    actions.grant_role(user, agency, role, actor=None, title=title)
    key = secret_hex(secret)
    devices = TOTPDevice.objects.filter(user=user)
    if [d.key for d in devices] != [key] or not devices[0].confirmed:
        actions.enroll_totp(user, actor=None, key=key, name="Demo")
    return DemoAccount(
        username=username,
        password=DEMO_PASSWORD,
        role=f"{Role(role).label} ({title})",
        agency=agency.name,
        totp_secret=secret,
        sign_in_with=username,
    )


def load_demo() -> list[DemoAccount]:
    """Create the demo accounts that are missing, with the demo agencies; idempotent."""
    if settings.MODE == "production":
        raise DemoRefused(
            "demo accounts have public passwords: refused with TINHSO_MODE=production"
        )
    from tinhso.places import demo as places_demo

    places_demo.load_demo()
    with context.acting_as(None, channel="command"), transaction.atomic():
        agencies = _agencies()
        accounts = [_citizen()]
        accounts += [_official(username, agencies) for username in DEMO_OFFICIALS]
    return accounts
