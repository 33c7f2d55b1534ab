"""The WSGI application: the full middleware stack, and a lean one for anonymous API reads.

Most of the API's traffic is anonymous and without a cookie: the catalogue's search and
procedure pages, the public look-up, Open311's reads (issue 12). For such a request the
session, CSRF, authentication, second-factor (OTP and ours), messages and django-axes
middleware have nothing to protect or do: no session to load, no user but the anonymous one,
views exempt from CSRF (django-ninja checks CSRF itself for its cookie-authenticated
operations, none of which is in the lean lane; Open311's views are exempt), no sign-in for
axes to watch. Passing through them still cost 0.07-0.2 ms of a 0.2-0.6 ms request,
measured in process. The lean lane is the same stack without those seven, in the same order
(security headers, CSP, malformed-input refusal, language, request context, domain errors).

A request goes to the lean lane only when all hold: the method reads (GET, HEAD), or it is
the public look-up's POST; the path is under LEAN_READS, one of Open311's read addresses
(GET only, LEAN_OPEN311) or in LEAN_POSTS; it carries no session cookie.
Anything else, and any request with a session cookie, takes the full stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers

# What the lean lane leaves out (each is a no-op for an anonymous, cookie-less request to
# the paths below); everything else in settings.MIDDLEWARE runs, in the same order.
SKIPPED = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "tinhso.people.middleware.RequireSecondFactorMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "axes.middleware.AxesMiddleware",
    }
)
# Anonymous by design: no operation under these reads a user, a session or a key.
LEAN_READS = ("/api/v1/procedures",)
LEAN_POSTS = frozenset({"/api/v1/dossiers/lookup"})
# Open311's reads: only the addresses its views answer (feedback/urls.py), and only GET. Any
# other address under /open311/v2/ (Django's 404) or method (the 405 of a GET-only view) is
# answered with the site's HTML page, whose language form carries a CSRF token: without the
# CSRF middleware no cookie would go with it and the form would be refused.
LEAN_OPEN311 = re.compile(
    r"/open311/v2/(?:(?:discovery|services|requests)\.[^/]+"
    r"|services/[-a-zA-Z0-9_]+\.[^/]+|(?:requests|tokens)/[^/]+\.[^/]+)"
)


class _LeanHandler(WSGIHandler):
    """Django's WSGI handler with settings.MIDDLEWARE less SKIPPED.

    Every answer varies with the Cookie header, as the full stack's do (its session
    middleware says so once the request context has looked at the user, which it always
    does): the language cookie changes these answers, and a shared cache must know."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [path for path in full if path not in SKIPPED]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = super().get_response(request)
        patch_vary_headers(response, ("Cookie",))
        return response


def lean(environ: dict[str, Any]) -> bool:
    """Whether this request may take the lean lane."""
    method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
    if method in ("GET", "HEAD"):
        if not path.startswith(LEAN_READS) and not (
            method == "GET" and LEAN_OPEN311.fullmatch(path)
        ):
            return False
    elif method != "POST" or path not in LEAN_POSTS:
        return False
    return settings.SESSION_COOKIE_NAME not in environ.get("HTTP_COOKIE", "")


class Application:
    """The platform's WSGI callable: each request to the full or the lean handler."""

    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.lean = _LeanHandler()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        handler = self.lean if lean(environ) else self.full
        return handler(environ, start_response)
