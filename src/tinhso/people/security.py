"""API authentication: the signed-in session, with the second factor for those who need one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import SessionAuth


def is_fully_signed_in(user: Any) -> bool:
    """Authenticated, and verified with a second factor when the account requires one."""
    if user is None or not user.is_authenticated:
        return False
    if getattr(user, "requires_second_factor", False):
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())
    return True


class SignedIn(SessionAuth):
    """django-ninja auth: the session's user, or 401 (officials must have passed TOTP)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if is_fully_signed_in(user) else None


signed_in = SignedIn()
