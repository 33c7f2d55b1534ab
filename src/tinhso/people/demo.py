"""Demo accounts, one per kind of user, for trying the platform out. Never in production.

`load_demo()` creates them through the actions, only where missing, and returns what the
README shows: user name, password, role and, for officials, the TOTP secret. The secrets are
FIXED and public, so that anyone can add them to an authenticator app or print the current
code with `tinhso demo_totp <username>`; that is why the demo refuses production mode.

Every step of every demo procedure's route is staffed (`tinhso.dossiers.demo` makes the routes):
a provincial procedure is received at the service centre (`tiepnhan`), appraised by a
specialist of its department (`chuyenvien.<sở>`), approved by that department's leader
(`lanhdao.<sở>`), its result attached by the specialist and returned by `tiepnhan`. A
commune-level procedure for the first commune of the province (by code) is received at that
commune's one-stop desk (`tiepnhan.xa`), appraised by `chuyenvien.xa`, approved by the
chairman `chutich.xa`, returned by `tiepnhan.xa`. The commune's officials also handle its field
reports, the departments' officials those routed to their department; `vanthu` and
`vanthu.stp` are the clerks of the documents demo. The README lists them all.

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

AFTER = ("places",)  # `tinhso demo load` (tinhso.core.demo): the demo agencies first

CITIZEN_PERSONAL_ID = "066090001234"  # Đắk Lắk, male, born 1990
CITIZEN_PHONE = "0912345678"

# username: (base32 TOTP secret, full name, e-mail, role, where, title)
#   where: "province" = UBND tỉnh, "centre" = Trung tâm Phục vụ HCC, a department's short
#   name (STP, SXD, ...), "commune" = UBND of the first commune, "commune-desk" = its Bộ phận
#   Một cửa. The secrets are fixed and public (demo only).
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
    "lanhdao.stp": (
        "33UVVNEPSM6NTZSKVLMQ6EB2NFVL6IPS",
        "Vũ Thị Hạnh",
        "lanhdao.stp@example.com",
        Role.LEADER,
        "STP",
        "Phó Giám đốc Sở",
    ),
    "vanthu.stp": (
        "H5YWU6J3L7675MZS6WYOB25UZHV2MOZN",
        "Ngô Thị Mai",
        "vanthu.stp@example.com",
        Role.CLERK,
        "STP",
        "Văn thư",
    ),
    "chuyenvien.sxd": (
        "YOU6LJHLYSBFFYOZJSF3M3Q4CGL6KLGB",
        "Bùi Văn Khoa",
        "chuyenvien.sxd@example.com",
        Role.SPECIALIST,
        "SXD",
        "Chuyên viên",
    ),
    "lanhdao.sxd": (
        "ZIRKBMRN4KJX6ATSTGZFYG7FAQQ3KRZZ",
        "Đặng Quốc Bảo",
        "lanhdao.sxd@example.com",
        Role.LEADER,
        "SXD",
        "Phó Giám đốc Sở",
    ),
    "chuyenvien.snnmt": (
        "4X7NJFJUH3RGVDY2UMA7WLPDTDXXERCV",
        "Phan Thị Thu",
        "chuyenvien.snnmt@example.com",
        Role.SPECIALIST,
        "SNNMT",
        "Chuyên viên",
    ),
    "lanhdao.snnmt": (
        "A4EYGR7POCZ2O4IOFN6AN2ABP3JP552X",
        "Trịnh Văn Hải",
        "lanhdao.snnmt@example.com",
        Role.LEADER,
        "SNNMT",
        "Phó Giám đốc Sở",
    ),
    "chuyenvien.stc": (
        "P66BTVAIOGCGNBFL7VBU7OIDCCWUBMTD",
        "Lý Thị Ngọc",
        "chuyenvien.stc@example.com",
        Role.SPECIALIST,
        "STC",
        "Chuyên viên",
    ),
    "lanhdao.stc": (
        "HEXI4B2K7TE5F6DIJWES2A3XJEI7LUXC",
        "Mai Văn Toàn",
        "lanhdao.stc@example.com",
        Role.LEADER,
        "STC",
        "Phó Giám đốc Sở",
    ),
    "tiepnhan.xa": (
        "WCK2FO3TWDQVXCQGT355J5X3JRE255GA",
        "Hồ Thị Yến",
        "tiepnhan.xa@example.com",
        Role.RECEIVING_OFFICER,
        "commune-desk",
        "Công chức một cửa",
    ),
    "chuyenvien.xa": (
        "6NMS6OSCQLYKHJDDJ6YFYXCTIK2NEOSH",
        "Cao Văn Lộc",
        "chuyenvien.xa@example.com",
        Role.SPECIALIST,
        "commune",
        "Công chức Tư pháp - Hộ tịch",
    ),
    "chutich.xa": (
        "CXUX4Q44ZXO2IYC657MFCUJOTEZXZ4QK",
        "Lâm Văn Sơn",
        "chutich.xa@example.com",
        Role.LEADER,
        "commune",
        "Chủ tịch UBND cấp xã",
    ),
}
# The departments that own demo procedures (tinhso.catalogue.demo) and must be staffed.
DEMO_DEPARTMENTS = ("STP", "SXD", "SNNMT", "STC")


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


def demo_commune_agencies(province_id: int) -> tuple[Agency, Agency] | None:
    """The People's Committee of the first commune of the province (by code) and its one-stop
    desk: the commune whose steps the demo staffs."""
    committee = (
        Agency.objects.filter(province_id=province_id, level=Agency.Level.COMMUNE, is_active=True)
        .order_by("commune__code")
        .first()
    )
    if committee is None:
        return None
    desk = committee.children.filter(level=Agency.Level.UNIT, is_active=True).order_by("code")
    found = desk.first()
    return (committee, found) if found is not None else None


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
    departments = {
        a.short_name: a
        for a in children.filter(level=Agency.Level.DEPARTMENT, short_name__in=DEMO_DEPARTMENTS)
    }
    commune = demo_commune_agencies(committee.province_id)
    if centre is None or set(departments) != set(DEMO_DEPARTMENTS) or commune is None:
        raise DemoRefused(
            "the service centre, a department or the communes are missing from the demo agencies"
        )
    return {
        "province": committee,
        "centre": centre,
        **departments,
        "commune": commune[0],
        "commune-desk": commune[1],
    }


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


def describe(accounts: list[DemoAccount]) -> list[str]:
    """What `tinhso demo load` prints: how to sign in with each demo account."""
    lines = ["demo accounts (password, then TOTP secret):"]
    for a in accounts:
        secret = a.totp_secret or "no second factor"
        who = ", ".join(part for part in (a.role, a.agency) if part)
        lines.append(f"  {a.sign_in_with:16} {a.password}  {who}  {secret}")
    return lines
