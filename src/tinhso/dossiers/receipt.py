"""The electronic receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả, Mẫu 01) as a PDF.

Fields after the form in TT 01/2018/TT-VPCP as printed on live receipts (reportedly kept by
TT 03/2025/TT-VPCP [UNCONFIRMED]): dossier code, applicant and contact, what is requested,
the components with their counts, processing time, time received, appointment, where the
result is returned. For an online submission the receipt is provisional until an officer
receives the dossier; it also carries the look-up secret and a QR code for the public look-up.

The secret is stored hashed: a receipt prints it (and puts it in the QR code) only when the
caller has it in clear, which is at submission or reissue (`Dossier.issued_secret`) or when
the owner's browser still holds it (`views.issued_secret`). Otherwise the receipt says where
the secret was given and that the owner can have a new one issued on the dossier page; the QR
code then opens the look-up with the code filled in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from tinhso.core.workdays import VIETNAM


def lookup_url(code: str, secret: str = "") -> str:
    params = {"ma": code, "ma-tra-cuu": secret} if secret else {"ma": code}
    query = urlencode(params)
    return f"{settings.SITE_URL.rstrip('/')}/tra-cuu-ho-so/?{query}"


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
    url = lookup_url(dossier.code, secret)
    return {
        "secret": secret,
        "dossier": dossier,
        "version": version,
        "components": components,
        "submitted_at": local(dossier.submitted_at),
        "appointment_at": local(dossier.appointment_at),
        "lookup_url": url,
        "qr": segno.make(url, error="m").svg_data_uri(scale=3, border=2),
    }


def render_receipt(dossier: Any, secret: str = "") -> bytes:
    """The receipt PDF, in Vietnamese whatever language the citizen browses in."""
    with translation.override("vi"):
        html = render_to_string("dossiers/receipt.html", receipt_context(dossier, secret))
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())
