"""Passwords are hashed with Argon2id at OWASP's parameters; older PBKDF2 hashes still work
and are rehashed at the next sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password

PASSWORD = "mat-khau-rat-dai-2025"


def test_new_hashes_are_argon2id_with_owasp_parameters():
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD + "x", encoded)


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_signs_in_and_is_upgraded(django_user_model, rf):
    user = django_user_model.objects.create(
        username="cu",
        password=PBKDF2PasswordHasher().encode(PASSWORD, "muoi-cu-1234"),
        kind="official",
    )
    assert authenticate(rf.post("/dang-nhap/"), username="cu", password=PASSWORD) == user
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
