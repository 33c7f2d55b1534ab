"""Content-Security-Policy on every response: the platform's own origin and nothing else.

Pages carry no inline script or style (scripts and styles are static files), so a policy
without 'unsafe-inline' costs nothing and turns an injected `<script>` into dead text. Images
may also come from the configured map tile server (`TINHSO_MAP_TILE_URL`) and be `data:`
URIs (QR codes). Forms post only to this origin, and may be answered by a redirect to the
configured payment gateways (`TINHSO_VNPAY_URL`, `TINHSO_PAYGOV_URL`): browsers hold the
redirect that answers a form to `form-action` too, so without them "Thanh toán trực tuyến"
went nowhere on any gateway but the embedded sandbox. Nothing frames the platform but itself
(file previews in the one-stop workbench). The API's documentation page (Swagger UI, served
from django-ninja's own static files) styles itself from script, so that one path also
allows inline styles. OWASP's CSP Cheat Sheet and the CSP Level 3 recommendation are the
sources; `tests/core/test_csp.py` and the journey tests (which fail on a CSP violation in the
browser's console) keep it so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
API_DOCS = "/api/v1/docs"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def policy(*, inline_styles: bool = False) -> str:
    """The header's value for the current settings (built once per tile server)."""
    gateways = (getattr(settings, "VNPAY_URL", ""), getattr(settings, "PAYGOV_URL", ""))
    forms = tuple(sorted({_origin(url) for url in gateways} - {""}))
    return _policy(_origin(getattr(settings, "MAP_TILE_URL", "")), inline_styles, forms)


@cache
def _policy(tiles: str, inline_styles: bool, forms: tuple[str, ...] = ()) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'" + (" 'unsafe-inline'" if inline_styles else ""),
        "img-src": " ".join(filter(None, ["'self'", "data:", tiles])),
        "font-src": "'self'",
        "connect-src": "'self'",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": " ".join(["'self'", *forms]),
        "frame-ancestors": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(inline_styles=request.path.startswith(API_DOCS))
        return response
