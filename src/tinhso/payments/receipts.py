"""The electronic receipt of fees and charges (biên lai thu phí, lệ phí điện tử) as a PDF.

Legal sources: Decree 123/2020/NĐ-CP art. 32 (what a receipt shows: the collecting
organisation, the receipt's series and number, the payer, the fee or charge and its amount,
the date), as amended by Decree 70/2025/NĐ-CP. The receipt's number comes from its series
and year (`actions.issue_receipt`); this module only draws it, outside any transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from tinhso.payments.models import Receipt


def render_pdf(receipt: Receipt) -> bytes:
    charge = receipt.charge
    dossier = charge.dossier
    context = {
        "receipt": receipt,
        "charge": charge,
        "dossier": dossier,
        "attempt": receipt.attempt,
        "lines": [line for line in charge.lines if not line.get("exempt")],
        "issued_at": timezone.localtime(receipt.issued_at),
    }
    with translation.override("vi"):
        html = render_to_string("payments/receipt.html", context)
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())
