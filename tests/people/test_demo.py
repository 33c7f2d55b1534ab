"""Demo accounts: created through the actions, idempotent, signing in as the README says."""

from __future__ import annotations

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tinhso.core.models import AuditRecord
from tinhso.people.demo import DEMO_PASSWORD, DemoAccount, DemoRefused, load_demo
from tinhso.people.models import RoleAssignment, User

pytestmark = pytest.mark.django_db

EXPECTED = [
    DemoAccount(
        username="066090001234",
        password=DEMO_PASSWORD,
        role="Công dân",
        agency="",
        totp_secret="",
        sign_in_with="0912345678",
    ),
    DemoAccount(
        username="tiepnhan",
        password=DEMO_PASSWORD,
        role="cán bộ tiếp nhận một cửa (Chuyên viên tiếp nhận hồ sơ)",
        agency="Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
        totp_secret="IT2AMMTTHXGT7AIX3DJHK2BDJFUQDXED",
        sign_in_with="tiepnhan",
    ),
    DemoAccount(
        username="chuyenvien.stp",
        password=DEMO_PASSWORD,
        role="chuyên viên xử lý (Chuyên viên)",
        agency="Sở Tư pháp tỉnh Đắk Lắk",
        totp_secret="6NYJ52DIY4YOP4NG2QKJTM4SU33DWARL",
        sign_in_with="chuyenvien.stp",
    ),
    DemoAccount(
        username="lanhdao",
        password=DEMO_PASSWORD,
        role="lãnh đạo cơ quan (Phó Chủ tịch UBND tỉnh)",
        agency="Ủy ban nhân dân tỉnh Đắk Lắk",
        totp_secret="3CWYGAK4IJ52RVK3OCSEQVBETHITX4UF",
        sign_in_with="lanhdao",
    ),
    DemoAccount(
        username="vanthu",
        password=DEMO_PASSWORD,
        role="văn thư (Văn thư)",
        agency="Ủy ban nhân dân tỉnh Đắk Lắk",
        totp_secret="X277KEHCFRVKWWYQUI34W5CDFTFA34PX",
        sign_in_with="vanthu",
    ),
    DemoAccount(
        username="quantri",
        password=DEMO_PASSWORD,
        role="quản trị hệ thống (Quản trị hệ thống)",
        agency="Ủy ban nhân dân tỉnh Đắk Lắk",
        totp_secret="ZG7A4HU7YDDFTNUWBFT3XHS4KEMK2IA7",
        sign_in_with="quantri",
    ),
    DemoAccount(
        username="lanhdao.stp",
        password=DEMO_PASSWORD,
        role="lãnh đạo cơ quan (Phó Giám đốc Sở)",
        agency="Sở Tư pháp tỉnh Đắk Lắk",
        totp_secret="33UVVNEPSM6NTZSKVLMQ6EB2NFVL6IPS",
        sign_in_with="lanhdao.stp",
    ),
    DemoAccount(
        username="vanthu.stp",
        password=DEMO_PASSWORD,
        role="văn thư (Văn thư)",
        agency="Sở Tư pháp tỉnh Đắk Lắk",
        totp_secret="H5YWU6J3L7675MZS6WYOB25UZHV2MOZN",
        sign_in_with="vanthu.stp",
    ),
    DemoAccount(
        username="chuyenvien.sxd",
        password=DEMO_PASSWORD,
        role="chuyên viên xử lý (Chuyên viên)",
        agency="Sở Xây dựng tỉnh Đắk Lắk",
        totp_secret="YOU6LJHLYSBFFYOZJSF3M3Q4CGL6KLGB",
        sign_in_with="chuyenvien.sxd",
    ),
    DemoAccount(
        username="lanhdao.sxd",
        password=DEMO_PASSWORD,
        role="lãnh đạo cơ quan (Phó Giám đốc Sở)",
        agency="Sở Xây dựng tỉnh Đắk Lắk",
        totp_secret="ZIRKBMRN4KJX6ATSTGZFYG7FAQQ3KRZZ",
        sign_in_with="lanhdao.sxd",
    ),
    DemoAccount(
        username="chuyenvien.snnmt",
        password=DEMO_PASSWORD,
        role="chuyên viên xử lý (Chuyên viên)",
        agency="Sở Nông nghiệp và Môi trường tỉnh Đắk Lắk",
        totp_secret="4X7NJFJUH3RGVDY2UMA7WLPDTDXXERCV",
        sign_in_with="chuyenvien.snnmt",
    ),
    DemoAccount(
        username="lanhdao.snnmt",
        password=DEMO_PASSWORD,
        role="lãnh đạo cơ quan (Phó Giám đốc Sở)",
        agency="Sở Nông nghiệp và Môi trường tỉnh Đắk Lắk",
        totp_secret="A4EYGR7POCZ2O4IOFN6AN2ABP3JP552X",
        sign_in_with="lanhdao.snnmt",
    ),
    DemoAccount(
        username="chuyenvien.stc",
        password=DEMO_PASSWORD,
        role="chuyên viên xử lý (Chuyên viên)",
        agency="Sở Tài chính tỉnh Đắk Lắk",
        totp_secret="P66BTVAIOGCGNBFL7VBU7OIDCCWUBMTD",
        sign_in_with="chuyenvien.stc",
    ),
    DemoAccount(
        username="lanhdao.stc",
        password=DEMO_PASSWORD,
        role="lãnh đạo cơ quan (Phó Giám đốc Sở)",
        agency="Sở Tài chính tỉnh Đắk Lắk",
        totp_secret="HEXI4B2K7TE5F6DIJWES2A3XJEI7LUXC",
        sign_in_with="lanhdao.stc",
    ),
    DemoAccount(
        username="tiepnhan.xa",
        password=DEMO_PASSWORD,
        role="cán bộ tiếp nhận một cửa (Công chức một cửa)",
        agency="COMMUNE_DESK",
        totp_secret="WCK2FO3TWDQVXCQGT355J5X3JRE255GA",
        sign_in_with="tiepnhan.xa",
    ),
    DemoAccount(
        username="chuyenvien.xa",
        password=DEMO_PASSWORD,
        role="chuyên viên xử lý (Công chức Tư pháp - Hộ tịch)",
        agency="COMMUNE",
        totp_secret="6NMS6OSCQLYKHJDDJ6YFYXCTIK2NEOSH",
        sign_in_with="chuyenvien.xa",
    ),
    DemoAccount(
        username="chutich.xa",
        password=DEMO_PASSWORD,
        role="lãnh đạo cơ quan (Chủ tịch UBND cấp xã)",
        agency="COMMUNE",
        totp_secret="CXUX4Q44ZXO2IYC657MFCUJOTEZXZ4QK",
        sign_in_with="chutich.xa",
    ),
]


@pytest.fixture
def demo(settings):
    settings.PROVINCE_CODE = "66"
    return load_demo()


def expected() -> list[DemoAccount]:
    """EXPECTED with the staffed commune's names: its first commune by code (Tuy Hòa)."""
    from dataclasses import replace

    from tinhso.places.models import Agency

    commune = Agency.objects.filter(level="commune", province__code=66).order_by("commune__code")[0]
    desk = commune.children.get()
    names = {"COMMUNE": commune.name, "COMMUNE_DESK": desk.name}
    return [replace(a, agency=names.get(a.agency, a.agency)) for a in EXPECTED]


def test_the_demo_accounts_are_those_the_readme_lists(demo):
    assert demo == expected()
    assert expected()[-1].agency == "Ủy ban nhân dân phường Tuy Hòa"
    assert list(
        RoleAssignment.objects.order_by("user__username").values_list(
            "user__username", "role", "agency__short_name"
        )
    ) == [
        ("chutich.xa", "leader", "UBND"),
        ("chuyenvien.snnmt", "specialist", "SNNMT"),
        ("chuyenvien.stc", "specialist", "STC"),
        ("chuyenvien.stp", "specialist", "STP"),
        ("chuyenvien.sxd", "specialist", "SXD"),
        ("chuyenvien.xa", "specialist", "UBND"),
        ("lanhdao", "leader", "UBND"),
        ("lanhdao.snnmt", "leader", "SNNMT"),
        ("lanhdao.stc", "leader", "STC"),
        ("lanhdao.stp", "leader", "STP"),
        ("lanhdao.sxd", "leader", "SXD"),
        ("quantri", "administrator", "UBND"),
        ("tiepnhan", "receiving_officer", "TTPVHCC"),
        ("tiepnhan.xa", "receiving_officer", "BPMC"),
        ("vanthu", "clerk", "UBND"),
        ("vanthu.stp", "clerk", "STP"),
    ]
    admin = User.objects.get(username="quantri")
    assert (admin.is_staff, admin.is_superuser) == (True, True)


def test_loading_the_demo_again_changes_nothing(demo):
    users, audit = User.objects.count(), AuditRecord.objects.count()
    assert load_demo() == expected()
    assert (User.objects.count(), AuditRecord.objects.count()) == (users, audit)


def test_the_citizen_signs_in_with_the_documented_phone_and_password(client, demo):
    response = client.post("/dang-nhap/", {"username": "0912345678", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/v1/people/me").json()["username"] == "066090001234"


@pytest.mark.parametrize("account", EXPECTED[1:], ids=lambda a: a.username)
def test_each_official_signs_in_with_a_code_from_the_documented_secret(client, demo, account):
    client.post("/dang-nhap/", {"username": account.username, "password": DEMO_PASSWORD})
    code = pyotp.TOTP(account.totp_secret).now()
    response = client.post("/dang-nhap/ma-xac-thuc/", {"code": code})
    assert response.status_code == 302
    assert client.get("/api/v1/people/me").json()["username"] == account.username


def test_demo_totp_prints_the_current_code(demo, capsys):
    call_command("demo_totp", "vanthu")
    assert capsys.readouterr().out == pyotp.TOTP("X277KEHCFRVKWWYQUI34W5CDFTFA34PX").now() + "\n"


def test_demo_totp_knows_only_demo_officials(demo):
    with pytest.raises(CommandError) as caught:
        call_command("demo_totp", "066090001234")
    assert str(caught.value) == (
        "066090001234 is not a demo official (demo officials: chutich.xa, chuyenvien.snnmt, "
        "chuyenvien.stc, chuyenvien.stp, chuyenvien.sxd, chuyenvien.xa, lanhdao, "
        "lanhdao.snnmt, lanhdao.stc, lanhdao.stp, lanhdao.sxd, quantri, tiepnhan, "
        "tiepnhan.xa, vanthu, vanthu.stp)"
    )


def test_the_demo_is_refused_in_production(demo, settings, capsys):
    settings.MODE = "production"
    with pytest.raises(CommandError) as caught:
        call_command("demo_totp", "vanthu")
    assert str(caught.value) == (
        "demo_totp is for demo installations only: refused with TINHSO_MODE=production"
    )
    assert capsys.readouterr().out == ""
    users = User.objects.count()
    with pytest.raises(DemoRefused):
        load_demo()
    assert User.objects.count() == users
