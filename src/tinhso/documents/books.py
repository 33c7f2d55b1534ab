"""Registers printed as the books Decree 30/2020 requires (sổ đăng ký văn bản đến, đi).

Legal source: Decree 30/2020/NĐ-CP Điều 16 and 22 (registers kept in the system are printed
and bound at the end of the year), Annex IV (register columns). [UNCONFIRMED]: the column
order below comes from public implementations, not from the annex text itself.
"""

from __future__ import annotations

import io
from html import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from tinhso.documents.models import Direction, Document, IssuedNumber, Register

INCOMING_COLUMNS = (
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu",
    "Đơn vị hoặc người nhận",
    "Ký nhận",
    "Ghi chú",
)
OUTGOING_COLUMNS = (
    "Số, ký hiệu",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu",
    "Người ký",
    "Nơi nhận",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ký nhận",
    "Ghi chú",
)


def _date(value: object) -> str:
    return value.strftime("%d/%m/%Y") if value else ""  # type: ignore[attr-defined]


def rows(register: Register) -> list[tuple[str, ...]]:
    """One row per issued number, in number order; a cancelled number says so."""
    from tinhso.documents.numbering import type_name

    out: list[tuple[str, ...]] = []
    numbers = (
        IssuedNumber.objects.filter(register=register).select_related("document").order_by("number")
    )
    for issued in numbers:
        doc: Document | None = issued.document
        note = f"Đã hủy số: {issued.cancel_reason}" if issued.cancelled_at else ""
        title = f"{type_name(doc.doc_type)}: {doc.subject}" if doc else ""
        if register.direction == Direction.INCOMING:
            handlers = (
                ", ".join(
                    (a.unit.short_name if a.unit else "")
                    or (a.assignee.get_full_name() if a.assignee else "")
                    for a in doc.assignments.all()
                )
                if doc
                else ""
            )
            out.append(
                (
                    _date(doc.registered_at) if doc and doc.registered_at else "",
                    f"{issued.number:02d}",
                    doc.sender_name if doc else "",
                    doc.number_and_notation if doc else "",
                    _date(doc.document_date) if doc else "",
                    title,
                    handlers,
                    "",
                    note,
                )
            )
        else:
            recipients = "; ".join(r.name for r in doc.recipients.all()) if doc else ""
            out.append(
                (
                    doc.number_and_notation if doc else f"{issued.number:02d}",
                    _date(doc.document_date) if doc else "",
                    title,
                    doc.signer_name if doc else "",
                    recipients,
                    "Lưu: VT",
                    "",
                    "",
                    note,
                )
            )
    return out


def _columns(register: Register) -> tuple[str, ...]:
    return INCOMING_COLUMNS if register.direction == Direction.INCOMING else OUTGOING_COLUMNS


def to_xlsx(register: Register) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{register.year}"
    ws.append([str(register).upper()])
    ws.append([register.agency.name])
    ws.append([])
    ws.append(list(_columns(register)))
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows(register):
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(register: Register) -> bytes:
    from weasyprint import HTML

    head = "".join(f"<th>{escape(c)}</th>" for c in _columns(register))
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows(register)
    )
    html = f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<style>@page {{ size: A4 landscape; margin: 15mm; }}
body {{ font-family: "DejaVu Serif", serif; font-size: 9pt; }}
h1 {{ text-align: center; font-size: 14pt; }} table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border: 1px solid #000; padding: 2pt; vertical-align: top; }}
td:first-child, td:nth-child(2) {{ white-space: nowrap; }}</style></head>
<body><p>{escape(register.agency.name)}</p><h1>{escape(str(register).upper())}</h1>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"""
    return bytes(HTML(string=html).write_pdf())
