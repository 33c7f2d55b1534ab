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

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu")


def _hundreds(n: int, *, inner: bool) -> list[str]:
    """One group of three digits; `inner` when a higher group precedes it (then its empty
    hundreds and tens are read: "không trăm lẻ năm")."""
    h, t, u = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if inner or h:
        words += [DIGITS[h], "trăm"]
    if t == 0:
        if u and (inner or h):
            words.append("lẻ")
    elif t == 1:
        words.append("mười")
    else:
        words += [DIGITS[t], "mươi"]
    if u:
        words.append("mốt" if u == 1 and t >= 2 else "lăm" if u == 5 and t >= 1 else DIGITS[u])
    return words


def amount_in_words(amount: int) -> str:
    """150000 → "Một trăm năm mươi nghìn đồng": the amount as a receipt writes it in words
    (số tiền bằng chữ), groups of three read with nghìn / triệu / tỷ."""
    if amount < 0:
        raise ValueError("an amount in words is never negative")
    if amount == 0:
        return "Không đồng"
    groups = []
    while True:
        groups.append(amount % 1000)
        amount //= 1000
        if not amount:
            break
    words: list[str] = []
    top = len(groups) - 1
    for i in range(top, -1, -1):
        n = groups[i]
        if n == 0:
            continue
        words += _hundreds(n, inner=i < top)
        scale = " ".join(filter(None, [SCALES[i % 3], *(["tỷ"] * (i // 3))]))
        if scale:
            words.append(scale)
    text = " ".join(words)
    return text[0].upper() + text[1:] + " đồng"


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
        # the notation the officer's and the citizen's pages show (Receipt.label)
        "notation": f"{receipt.series}/{receipt.year % 100:02d}",
        "in_words": amount_in_words(receipt.amount),
    }
    with translation.override("vi"):
        html = render_to_string("payments/receipt.html", context)
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())
