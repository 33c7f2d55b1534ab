"""Drafts from the agency template: an A4 PDF laid out in the cells of Decree 30/2020 Annex I.

Legal source: Decree 30/2020/NĐ-CP Annex I §IV (layout cells: 1 quốc hiệu, 2 tên cơ quan,
3 số và ký hiệu, 4 địa danh và ngày, 5 tên loại và trích yếu, 6 nội dung, 7 chức vụ, họ tên
và chữ ký, 9 nơi nhận). The signature block is left empty at the bottom right of the last
page: the signer's and the agency's digital signatures are stamped there (signing.SIGNER_BOX).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class Draft:
    agency_name: str
    parent_name: str
    number_line: str  # "Số: /QĐ-UBND" while the number is not issued yet
    place: str
    day: date
    type_name: str
    subject: str
    content: str
    signer_position: str
    signer_name: str
    recipients: tuple[str, ...] = ()


def render_pdf(draft: Draft) -> bytes:
    from weasyprint import HTML  # imported here: slow to import, needed only when rendering

    with translation.override("vi"):  # official documents are Vietnamese (Decree 30/2020)
        html = render_to_string("documents/draft.html", {"d": draft})
    return bytes(HTML(string=html).write_pdf())
