"""API authentication: the signed-in session, with the second factor for those who need one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import SessionAuth
from ninja.utils import check_csrf


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

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a signed-in session there is nothing for a cross-site request to abuse:
        # the answer is 401 "sign in" (a client key on a session-only operation too), not a
        # CSRF refusal. With one, the CSRF check guards it, refusing in Vietnamese.
        if not is_fully_signed_in(getattr(request, "user", None)):
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, _("Trang đã cũ hoặc thiếu mã chống giả mạo; hãy tải lại trang."))
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if is_fully_signed_in(user) else None


signed_in = SignedIn()
