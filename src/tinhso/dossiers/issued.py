"""The clear look-up secret, kept for a short while in the browser that was just given it.

The database keeps only the secret's keyed hash (`codes.secret_digest`). Right after a
submission, a counter intake or a reissue, the response sets a signed, HttpOnly cookie
limited to that dossier's pages (`/ho-so-cua-toi/<code>/` for the citizen,
`/mot-cua/ho-so/<code>/` for the receiving officer who prints Mẫu 01) for
`ISSUED_SECRET_SECONDS`; within that time the page shows the secret and the receipt prints it
and puts it in its QR code. The cookie is checked against the stored hash, so after a reissue
an older cookie shows nothing. After it expires the receipt says where the secret was given
and that the owner may have a new one issued.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tinhso.dossiers import codes
from tinhso.dossiers.models import Dossier

COOKIE = "tinhso_ma_tra_cuu"
_SALT = "tinhso.dossiers.issued_secret"
ISSUED_SECRET_SECONDS = 3600


def remember(response: HttpResponse, dossier: Dossier, path: str) -> HttpResponse:
    """Let this browser see the secret just issued on `dossier`'s pages under `path`."""
    if dossier.issued_secret:
        response.set_signed_cookie(
            COOKIE,
            dossier.issued_secret,
            salt=_SALT + (dossier.code or ""),
            max_age=ISSUED_SECRET_SECONDS,
            path=path,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


def recall(request: HttpRequest, dossier: Dossier) -> str:
    """The clear secret if this browser was given it lately and it is still the valid one."""
    value = request.get_signed_cookie(
        COOKIE, default="", salt=_SALT + (dossier.code or ""), max_age=ISSUED_SECRET_SECONDS
    )
    if value and codes.secret_matches_digest(value, dossier.lookup_secret_hash):
        return str(value)
    return ""
