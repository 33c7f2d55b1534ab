"""GET /api/v1/people/me: who is signed in, with their roles."""

from __future__ import annotations

import pytest

from tinhso.people import actions
from tinhso.people.models import Role

from .support import PASSWORD, current_code

pytestmark = pytest.mark.django_db

ME = "/api/v1/people/me"


def test_nobody_signed_in_gets_401(client):
    response = client.get(ME)
    assert (response.status_code, response.json()) == (401, {"detail": "Cần đăng nhập."})


def test_a_citizen_sees_their_kind_and_name_and_no_roles(client, make_citizen):
    make_citizen()
    client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD})
    assert client.get(ME).json() == {
        "username": "066090001234",
        "kind": "citizen",
        "display_name": "Nguyễn Văn An",
        "roles": [],
    }


def test_an_official_sees_every_role_with_its_agency_code(client, make_official, agencies):
    official = make_official(
        "lanhdao",
        roles=((Role.SPECIALIST, agencies["STP"]), (Role.RECEIVING_OFFICER, agencies["TTPVHCC"])),
    )
    actions.grant_role(
        official, agencies["UBND"], Role.LEADER, actor=None, title="Phó Chủ tịch UBND tỉnh"
    )
    client.post("/dang-nhap/", {"username": "lanhdao", "password": PASSWORD})
    client.post("/dang-nhap/ma-xac-thuc/", {"code": current_code(official)})
    assert client.get(ME).json()["roles"] == [
        {
            "role": "leader",
            "role_label": "lãnh đạo cơ quan",
            "agency_code": "000.00.00.H66",
            "agency_name": "Ủy ban nhân dân tỉnh Đắk Lắk",
            "title": "Phó Chủ tịch UBND tỉnh",
        },
        {
            "role": "specialist",
            "role_label": "chuyên viên xử lý",
            "agency_code": "000.00.03.H66",
            "agency_name": "Sở Tư pháp tỉnh Đắk Lắk",
            "title": "",
        },
        {
            "role": "receiving_officer",
            "role_label": "cán bộ tiếp nhận một cửa",
            "agency_code": "000.00.20.H66",
            "agency_name": "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
            "title": "",
        },
    ]
