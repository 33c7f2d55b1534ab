"""No official works signed in without the second factor.

Sign-in only ever logs an official in together with a TOTP device, but a session can still
arrive without one (an admin-made session, a device removed, a session from before the rule).
Such a session is ended: pages redirect to the sign-in page, /api/ answers 401 in JSON. The
sign-in, second-factor and sign-out pages and static files stay reachable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy

from tinhso.people.security import is_fully_signed_in

log = logging.getLogger("tinhso.people")

SECOND_FACTOR_REQUIRED = gettext_lazy("Cần đăng nhập lại và nhập mã xác thực.")


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def _is_open(self, path: str) -> bool:
        if self._open_paths is None:
            self._open_paths = frozenset(
                reverse(name)
                for name in ("people:sign-in", "people:second-factor", "people:sign-out")
            )
        return path in self._open_paths or path.startswith(settings.STATIC_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not is_fully_signed_in(user)
            and not self._is_open(request.path)
        ):
            log.warning("session of %s without a second factor ended", user.get_username())
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": SECOND_FACTOR_REQUIRED}, status=401)
            return redirect_to_login(request.get_full_path(), reverse("people:sign-in"))
        return self.get_response(request)
