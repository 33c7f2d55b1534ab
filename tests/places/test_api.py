"""The public places API at /api/v1/places: exact bodies, 404s in Vietnamese, query counts."""

from __future__ import annotations

import pytest

from tinhso.places.actions import deactivate_agency
from tinhso.places.demo import load_demo
from tinhso.places.models import Agency

pytestmark = pytest.mark.usefixtures("places")

BASE = "/api/v1/places"
PROVINCE_CODES = [
    1, 4, 8, 11, 12, 14, 15, 19, 20, 22, 24, 25, 31, 33, 37, 38, 40, 42, 44, 46, 48, 51, 52,
    56, 66, 68, 75, 79, 80, 82, 86, 91, 92, 96,
]  # fmt: skip


@pytest.fixture
def demo(places):
    load_demo()


def test_provinces(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(f"{BASE}/provinces")
    assert response.status_code == 200
    body = response.json()
    assert [p["code"] for p in body] == PROVINCE_CODES
    assert body[0] == {"code": 1, "name": "Hà Nội", "division_type": "thành phố trung ương"}
    assert body[24] == {"code": 66, "name": "Đắk Lắk", "division_type": "tỉnh"}


def test_communes_of_a_province(client, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get(f"{BASE}/provinces/66/communes")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 102
    assert body[:2] == [
        {"code": 22015, "name": "Tuy Hòa", "division_type": "phường", "province_code": 66},
        {"code": 22045, "name": "Bình Kiến", "division_type": "phường", "province_code": 66},
    ]
    assert {"code": 24133, "name": "Buôn Ma Thuột", "division_type": "phường",
            "province_code": 66} in body  # fmt: skip


@pytest.mark.parametrize("code", [2, 10, 99])
def test_communes_of_an_unknown_province_is_a_404(client, code):
    response = client.get(f"{BASE}/provinces/{code}/communes")
    assert response.status_code == 404
    text = f"Không có tỉnh, thành phố mã {code}."
    assert response.json() == {"code": "places.province_not_found", "message": text, "detail": text}


@pytest.mark.parametrize("q", ["buon ma thuot", "Buôn Ma Thuột", "BUÔN MA THUỘT", "phường buôn ma"])
def test_commune_search_ignores_case_and_diacritics(client, q):
    response = client.get(f"{BASE}/communes", {"q": q})
    assert response.status_code == 200
    assert response.json() == [
        {"code": 24133, "name": "Buôn Ma Thuột", "division_type": "phường", "province_code": 66}
    ]


def test_commune_search_puts_exact_names_first_and_filters_by_province(client):
    found = client.get(f"{BASE}/communes", {"q": "buon"}).json()
    assert [(c["code"], c["name"]) for c in found] == [
        (24133, "Buôn Ma Thuột"),
        (24235, "Buôn Đôn"),
        (24305, "Buôn Hồ"),
    ]
    found = client.get(f"{BASE}/communes", {"q": "hoa phu", "province": 66}).json()
    assert found == [{"code": 24175, "name": "Hòa Phú", "division_type": "xã", "province_code": 66}]
    assert client.get(f"{BASE}/communes", {"q": "!!"}).json() == []
    assert client.get(f"{BASE}/communes", {"q": "khong co ten nay"}).json() == []


def test_commune_search_needs_a_query(client):
    response = client.get(f"{BASE}/communes")
    assert response.status_code == 422
    assert response.json()["message"] == "Dữ liệu không hợp lệ."


def test_legacy_province_and_its_successor(client):
    response = client.get(f"{BASE}/legacy-provinces/15")
    assert response.status_code == 200
    assert response.json() == {
        "code": 15,
        "name": "Yên Bái",
        "division_type": "tỉnh",
        "successor": {"code": 15, "name": "Lào Cai", "division_type": "tỉnh"},
    }
    assert client.get(f"{BASE}/legacy-provinces/80").json() == {
        "code": 80,
        "name": "Long An",
        "division_type": "tỉnh",
        "successor": {"code": 80, "name": "Tây Ninh", "division_type": "tỉnh"},
    }
    assert client.get(f"{BASE}/legacy-provinces/74").json()["successor"] == {
        "code": 79,
        "name": "Hồ Chí Minh",
        "division_type": "thành phố trung ương",
    }


def test_unknown_legacy_province_is_a_404(client):
    response = client.get(f"{BASE}/legacy-provinces/3")
    assert response.status_code == 404
    text = "Không có tỉnh cũ (trước 1/7/2025) mã 3."
    assert response.json() == {
        "code": "places.legacy_province_not_found",
        "message": text,
        "detail": text,
    }


@pytest.mark.usefixtures("demo")
class TestAgencies:
    def test_one_agency(self, client):
        response = client.get(f"{BASE}/agencies/000.00.07.H66")
        assert response.status_code == 200
        assert response.json() == {
            "code": "000.00.07.H66",
            "name": "Sở Xây dựng tỉnh Đắk Lắk",
            "short_name": "SXD",
            "level": "department",
            "parent_code": "000.00.00.H66",
            "province_code": 66,
            "commune_code": None,
            "is_active": True,
        }

    def test_a_commune_desk(self, client):
        response = client.get(f"{BASE}/agencies/001.01.50.h66")  # lower case is accepted
        assert response.json() == {
            "code": "001.01.50.H66",
            "name": "Bộ phận Một cửa phường Tuy Hòa",
            "short_name": "BPMC",
            "level": "unit",
            "parent_code": "000.01.50.H66",
            "province_code": 66,
            "commune_code": 22015,
            "is_active": True,
        }

    def test_unknown_agency_is_a_404(self, client):
        response = client.get(f"{BASE}/agencies/000.00.99.H66")
        assert response.status_code == 404
        text = "Không có cơ quan, đơn vị mã định danh 000.00.99.H66."
        assert response.json() == {
            "code": "places.agency_not_found",
            "message": text,
            "detail": text,
        }

    def test_all_active_agencies(self, client, django_assert_num_queries):
        with django_assert_num_queries(1):
            body = client.get(f"{BASE}/agencies").json()
        assert len(body) == 219
        assert body[0]["code"] == "000.00.00.H66"

    def test_filter_by_parent_and_level(self, client, django_assert_num_queries):
        with django_assert_num_queries(2):
            body = client.get(f"{BASE}/agencies", {"parent": "000.00.00.H66"}).json()
        assert len(body) == 13 + 1 + 102
        departments = client.get(
            f"{BASE}/agencies", {"parent": "000.00.00.H66", "level": "department"}
        ).json()
        assert [a["short_name"] for a in departments] == [
            "VP", "SNV", "STP", "STC", "SCT", "SNNMT", "SXD", "SKHCN", "SVHTTDL", "SGDĐT",
            "SYT", "SDTTG", "TTr",
        ]  # fmt: skip
        desks = client.get(f"{BASE}/agencies", {"parent": "000.01.50.H66"}).json()
        assert [a["code"] for a in desks] == ["001.01.50.H66"]
        communes = client.get(f"{BASE}/agencies", {"level": "commune"}).json()
        assert len(communes) == 102

    def test_inactive_agencies_leave_the_list_but_can_still_be_looked_up(self, client, official):
        deactivate_agency(Agency.objects.get(code="000.00.13.H66"), actor=official)
        codes = [a["code"] for a in client.get(f"{BASE}/agencies", {"level": "department"}).json()]
        assert len(codes) == 12
        assert "000.00.13.H66" not in codes
        assert client.get(f"{BASE}/agencies/000.00.13.H66").json()["is_active"] is False

    def test_unknown_parent_is_a_404_and_unknown_level_a_422(self, client):
        response = client.get(f"{BASE}/agencies", {"parent": "000.00.00.H99"})
        assert response.status_code == 404
        text = "Không có cơ quan, đơn vị mã định danh 000.00.00.H99."
        assert response.json() == {
            "code": "places.agency_not_found",
            "message": text,
            "detail": text,
        }
        assert client.get(f"{BASE}/agencies", {"level": "ministry"}).status_code == 422

    def test_the_api_is_read_only(self, client):
        response = client.post(f"{BASE}/agencies", {}, content_type="application/json")
        assert response.status_code == 405
        assert Agency.objects.count() == 219
