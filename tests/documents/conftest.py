"""Documents fixtures: a province with agencies, officials with roles, a TEST CA and keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tinhso.documents import actions, pki
from tinhso.documents.models import Certificate, TrustedRoot
from tinhso.people import actions as people_actions
from tinhso.people.models import Role, User
from tinhso.places.models import Agency, Province


@pytest.fixture(scope="session")
def test_ca() -> pki.KeyPair:
    return pki.make_test_ca("tinhso TEST CA (tests)")


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

    def child(number: int, name: str, short_name: str) -> Agency:
        return Agency.objects.create(
            code=f"000.00.{number:02d}.H66",
            name=name,
            short_name=short_name,
            level=Agency.Level.DEPARTMENT,
            parent=committee,
            province=province,
        )

    return {
        "UBND": committee,
        "STP": child(3, "Sở Tư pháp tỉnh Đắk Lắk", "STP"),
        "SXD": child(7, "Sở Xây dựng tỉnh Đắk Lắk", "SXD"),
    }


@pytest.fixture
def make_official(db) -> Callable[..., User]:
    def make(username: str, *roles: tuple[str, Agency]) -> User:
        user = people_actions.create_official(
            username=username,
            full_name=f"Cán bộ {username}",
            email=f"{username}@example.com",
            password="mat-khau-rat-dai-2026",
            actor=None,
        )
        for role, agency in roles:
            people_actions.grant_role(user, agency, role, actor=None)
        return user

    return make


@dataclass
class Office:
    """One agency's people and keys: a clerk, a leader who signs, a specialist."""

    agency: Agency
    clerk: User
    leader: User
    specialist: User


@pytest.fixture
def offices(agencies, make_official, test_ca) -> dict[str, Office]:
    TrustedRoot.objects.create(
        name="TEST CA", certificate_pem=test_ca.certificate_pem, is_test=True
    )
    result = {}
    for short, agency in agencies.items():
        low = short.lower()
        office = Office(
            agency=agency,
            clerk=make_official(f"vanthu_{low}", (Role.CLERK, agency)),
            leader=make_official(f"lanhdao_{low}", (Role.LEADER, agency)),
            specialist=make_official(f"chuyenvien_{low}", (Role.SPECIALIST, agency)),
        )
        actions.add_certificate(
            pki.issue(test_ca, agency.name, agency.name),
            owner_agency=agency,
            chain=(test_ca.certificate,),
            is_test=True,
        )
        actions.add_certificate(
            pki.issue(test_ca, office.leader.full_name, agency.name),
            owner_user=office.leader,
            chain=(test_ca.certificate,),
            is_test=True,
        )
        result[short] = office
    assert Certificate.objects.count() == 2 * len(agencies)
    return result


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
