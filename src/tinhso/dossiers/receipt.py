"""The electronic receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả, Mẫu 01) as a PDF.

Fields after the form in TT 01/2018/TT-VPCP as printed on live receipts (reportedly kept by
TT 03/2025/TT-VPCP [UNCONFIRMED]): dossier code, applicant and contact, what is requested,
the components with their counts, processing time, time received, appointment, where the
result is returned. A dossier filed on behalf of another person (Decree 118/2025/NĐ-CP,
through an authorised person) names both the filer and the applicant, and the authorisation.
For an online submission the receipt is provisional until an officer receives the dossier;
it also carries the look-up secret and a QR code for the public look-up.

The secret is stored hashed: a receipt prints it only when the caller has it in clear, which
is at submission or reissue (`Dossier.issued_secret`) or when the owner's browser still holds
it (`issued.recall`). Otherwise the receipt says where the secret was given.

The QR code does not need the clear secret: it is a link signed with SECRET_KEY
(`link_token`) that carries the dossier code and a verifier of the stored secret digest, so a
receipt downloaded at any time opens the dossier's public status from a fresh browser, with
nothing to type. Nobody can make such a link without SECRET_KEY (no enumeration), issuing a
new secret changes the digest and so retires every old link, and a bad link counts as a
failed look-up for the rate limit like a wrong secret does.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from tinhso.core.fonts import font_configuration
from tinhso.core.workdays import VIETNAM

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration


def lookup_url(code: str, secret: str = "") -> str:
    params = {"ma": code, "ma-tra-cuu": secret} if secret else {"ma": code}
    query = urlencode(params)
    return f"{settings.SITE_URL.rstrip('/')}/tra-cuu-ho-so/?{query}"


_LINK_SALT = "tinhso.dossiers.lookup_link"
_LINK_SEPARATOR = "~"


def link_verifier(secret_digest: str) -> str:
    """A short fingerprint of the stored secret digest: changes whenever the secret does."""
    return hashlib.sha256(f"lookup-link:{secret_digest}".encode()).hexdigest()[:16]


def link_token(code: str, secret_digest: str) -> str:
    """The signed part of the QR link: code and verifier, signed with SECRET_KEY."""
    signer = signing.Signer(salt=_LINK_SALT, algorithm="sha256")
    return signer.sign(f"{code}{_LINK_SEPARATOR}{link_verifier(secret_digest)}")


def read_link_token(token: str) -> tuple[str, str] | None:
    """(code, verifier) from a link this site signed; None for anything else."""
    signer = signing.Signer(salt=_LINK_SALT, algorithm="sha256")
    try:
        value = signer.unsign(token or "")
    except signing.BadSignature:
        return None
    code, _sep, verifier = value.partition(_LINK_SEPARATOR)
    return (code, verifier) if code and verifier else None


def link_url(code: str, secret_digest: str) -> str:
    """The look-up link printed and put in the QR code of a receipt."""
    token = quote(link_token(code, secret_digest), safe="")
    return f"{settings.SITE_URL.rstrip('/')}/tra-cuu-ho-so/qr/{token}/"


def local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(VIETNAM) if moment else None


def receipt_context(dossier: Any, secret: str = "") -> dict[str, Any]:
    version = dossier.version
    files = list(dossier.files.all())
    components = []
    for component in version.components.all():
        mine = [f for f in files if f.component_id == component.pk]
        if mine:
            components.append({"name": component.name, "count": len(mine)})
    secret = secret or getattr(dossier, "issued_secret", "")
    link = link_url(dossier.code, dossier.lookup_secret_hash)
    return {
        "secret": secret,
        "dossier": dossier,
        "version": version,
        "components": components,
        # filed on behalf (Decree 118/2025): the receipt names the filer and the applicant
        "filer_name": dossier.filer_name or dossier.owner.display_name,
        "authorisation": [f for f in files if f.slot == f.Slot.AUTHORISATION],
        "submitted_at": local(dossier.submitted_at),
        "appointment_at": local(dossier.appointment_at),
        "lookup_url": lookup_url(dossier.code, secret),
        "link_url": link,
        "lookup_page": f"{settings.SITE_URL.rstrip('/')}/tra-cuu-ho-so/",
        "qr": qr_data_uri(link),
    }


@lru_cache(maxsize=256)
def qr_data_uri(url: str) -> str:
    """The QR code of `url` as a PNG data URI of one pixel per module, for the receipts and forms.

    A bitmap, not an SVG: WeasyPrint draws an SVG path through its own Python geometry, a
    matrix product per point, which was a fifth of a receipt's time (issue 12); a 53 × 53
    pixel PNG is embedded as it is. The forms show it with `image-rendering: pixelated`, so
    the PDF asks viewers and printers not to smooth it (`/Interpolate false`): every module
    prints as a sharp square at any size, as the vector did. The mask is fixed: segno
    otherwise tries all eight and scores each (ISO/IEC 18004 §7.8.3); every mask gives a
    valid code that phone cameras read. A reprint of the same receipt reuses the code.
    """
    return segno.make(url, error="m", mask=0).png_data_uri(scale=1, border=2)


# Receipts already made, by the SHA-256 of their HTML (`pdf(keep=True)`), in this process only.
STORED_RECEIPTS = 64
_stored: OrderedDict[bytes, bytes] = OrderedDict()
_stored_lock = threading.Lock()


def pdf(html: str, *, keep: bool = False) -> bytes:
    """A form's HTML as a PDF, with the thread's font configuration (`font_configuration`).

    `keep=True` produces a receipt once and stores it: the PDF is kept under the SHA-256 of
    the HTML it was laid out from, so a reprint whose printed facts are all the same (the
    dossier's fields, its components, the officer's name, the day's date, the look-up link)
    is the same HTML and is sent as stored, and any change of a printed fact is other HTML,
    hence a new layout: nothing is invalidated by hand, nothing stale can be sent. Only the
    callers that know the page carries no clear look-up secret pass `keep=True` (a receipt
    printed with the secret just issued is laid out each time and never stored), and the
    store is this process's memory, bounded to the last `STORED_RECEIPTS`: no personal data
    goes to a cache another process or person could read.
    """
    if not keep:
        return _layout(html)
    key = hashlib.sha256(html.encode()).digest()
    with _stored_lock:
        made = _stored.get(key)
        if made is not None:
            _stored.move_to_end(key)
            return made
    made = _layout(html)
    with _stored_lock:
        _stored[key] = made
        while len(_stored) > STORED_RECEIPTS:
            _stored.popitem(last=False)
    return made


def _layout(html: str, font_config: FontConfiguration | None = None) -> bytes:
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    return bytes(document.write_pdf(font_config=font_config or font_configuration()))


def render_receipt(dossier: Any, secret: str = "") -> bytes:
    """The receipt PDF, in Vietnamese whatever language the citizen browses in.

    Stored for reprints (`pdf(keep=True)`) only when it prints no clear secret."""
    context = receipt_context(dossier, secret)
    with translation.override("vi"):
        html = render_to_string("dossiers/receipt.html", context)
    return pdf(html, keep=not context["secret"])
