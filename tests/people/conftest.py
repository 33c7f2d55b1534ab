"""People fixtures: a province with four agencies, officials with roles and TOTP devices."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tinhso.people import actions
from tinhso.people.models import User
from tinhso.places.models import Agency, Province

from .support import PASSWORD


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

    def child(number: int, name: str, short_name: str, level: str) -> Agency:
        return Agency.objects.create(
            code=f"000.00.{number:02d}.H66",
            name=name,
            short_name=short_name,
            level=level,
            parent=committee,
            province=province,
        )

    return {
        "UBND": committee,
        "STP": child(3, "Sở Tư pháp tỉnh Đắk Lắk", "STP", Agency.Level.DEPARTMENT),
        "SXD": child(7, "Sở Xây dựng tỉnh Đắk Lắk", "SXD", Agency.Level.DEPARTMENT),
        "TTPVHCC": child(
            20,
            "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
            "TTPVHCC",
            Agency.Level.SERVICE_CENTRE,
        ),
    }


@pytest.fixture
def make_official(db) -> Callable[..., User]:
    def make(
        username: str = "chuyenvien",
        *,
        roles: tuple[tuple[str, Agency], ...] = (),
        totp: bool = True,
        is_staff: bool = False,
    ) -> User:
        user = actions.create_official(
            username=username,
            full_name=f"Cán bộ {username}",
            email=f"{username}@example.com",
            password=PASSWORD,
            actor=None,
            is_staff=is_staff,
            is_superuser=is_staff,
        )
        for role, agency in roles:
            actions.grant_role(user, agency, role, actor=None)
        if totp:
            actions.enroll_totp(user, actor=None)
        return user

    return make


@pytest.fixture
def make_citizen(db) -> Callable[..., User]:
    def make(
        personal_id: str = "066090001234",
        *,
        phone: str | None = "0912345678",
        email: str | None = "an.nguyen@example.com",
    ) -> User:
        return actions.register_citizen(
            full_name="Nguyễn Văn An",
            personal_id=personal_id,
            password=PASSWORD,
            phone=phone,
            email=email,
        )

    return make


@pytest.fixture(autouse=True)
def no_totp_throttle(settings):
    """django-otp makes a device wait 1, 2, 4... seconds after a wrong code; tests do not."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The production hasher is slow on purpose; tests hash many passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
