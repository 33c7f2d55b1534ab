"""People fixtures: a province with four agencies, officials with roles and TOTP devices."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests import factories
from tinhso.people.models import Role, User
from tinhso.places.models import Agency, Province

from .support import current_code


@pytest.fixture
def province(db) -> Province:
    return factories.province()


@pytest.fixture
def agencies(province) -> dict[str, Agency]:
    return factories.agencies(province, "STP", "SXD", "TTPVHCC")


@pytest.fixture
def make_official(db) -> Callable[..., User]:
    def make(
        username: str = "chuyenvien",
        *,
        roles: tuple[tuple[str, Agency], ...] = (),
        totp: bool = True,
        is_staff: bool = False,
    ) -> User:
        return factories.official(username, roles=roles, totp=totp, is_staff=is_staff)

    return make


@pytest.fixture
def make_citizen(db) -> Callable[..., User]:
    return factories.citizen


@pytest.fixture
def admin_client(client, make_official, agencies):
    """An administrator signed in through the sign-in pages (password, then TOTP code)."""
    admin = make_official("quantri", is_staff=True, roles=((Role.ADMINISTRATOR, agencies["UBND"]),))
    client.post("/dang-nhap/", {"username": "quantri", "password": factories.PASSWORD})
    client.post("/dang-nhap/ma-xac-thuc/", {"code": current_code(admin)})
    client.admin = admin
    return client


@pytest.fixture(autouse=True)
def no_totp_throttle(settings):
    """django-otp makes a device wait 1, 2, 4... seconds after a wrong code; tests do not."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The production hasher is slow on purpose; tests hash many passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
