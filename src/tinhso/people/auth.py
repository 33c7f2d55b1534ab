"""Sign-in with a password: the identifier may be a phone number, an e-mail or a user name.

Phone numbers are compared in their national form (0912345678, whatever was typed); e-mails
case-insensitively. `login_name()` turns what was typed into the account's user name, so the
lockout counts failures per account and not per spelling of the identifier.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from tinhso.core.identifiers import InvalidIdentifier, normalize_phone
from tinhso.people.models import User


def find_user(identifier: str) -> User | None:
    """The account an identifier names, or None."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        matches = list(User.objects.filter(email__iexact=identifier)[:2])
        return matches[0] if len(matches) == 1 else None
    try:
        phone = normalize_phone(identifier)
    except InvalidIdentifier:
        phone = ""
    if phone:
        user = User.objects.filter(phone=phone).first()
        if user is not None:
            return user
    return User.objects.filter(username=identifier).first()


def login_name(identifier: str) -> str:
    """The user name to sign in and count failures under: the account's, if one matches."""
    user = find_user(identifier)
    if user is not None:
        return user.get_username()
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return identifier.lower()
    try:
        return normalize_phone(identifier)
    except InvalidIdentifier:
        return identifier


class PhoneEmailOrUsernameBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        user = find_user(username)
        if user is None:
            # Spend the time a password check takes, so timing does not tell who has an account.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
