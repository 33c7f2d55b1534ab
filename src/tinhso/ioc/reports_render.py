"""The periodic report (báo cáo định kỳ) as files: an XLSX workbook to compute with and a
PDF to read and file, both in Vietnamese, from one `reports.Content`.

Legal sources: as `ioc/reports.py` (Decree 118/2025/NĐ-CP; Circular 01/2023/TT-VPCP;
Decision 766/QĐ-TTg); the PDF's heading follows Decree 30/2020/NĐ-CP Annex I (the national
motto and the issuing body above the title).

Both name, beside each figure a page lists dossiers for, that page's address: a hyperlink
on the XLSX cell and in the PDF, and the addresses written out in the "Nguồn số liệu" part,
since a printed page has no links. The PDF uses only DejaVu fonts (present on every machine
tinhso installs on) with Vietnamese coverage; nothing depends on another system font.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tinhso.ioc.reports import Content, Row

BOLD = Font(bold=True)
LINK = Font(color="0B57A0", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%H:%M %d/%m/%Y}"


def heading_lines(content: Content) -> list[str]:
    lines = [
        content.title.upper(),
        f"Đơn vị: {content.unit.name} (mã {content.unit.code})",
        f"Kỳ báo cáo: {content.period_label}",
    ]
    if content.provisional:
        lines.append(f"Số liệu tạm tính đến {_local(content.judged_at)}: kỳ báo cáo chưa kết thúc.")
    lines.append(f"Lập lúc {_local(content.generated_at)} từ số liệu của Trung tâm điều hành.")
    return lines


def _table(ws: Worksheet, content: Content, rows: list[Row], first_heading: str) -> None:
    """The heading rows (group, then column), then one line per row, each figure a number."""
    cols = content.columns
    start = ws.max_row + 2
    ws.cell(start, 1, "STT").font = BOLD
    ws.cell(start, 2, first_heading).font = BOLD
    ws.cell(start, 3, "Mã").font = BOLD
    for i, col in enumerate(cols, start=4):
        group = ws.cell(start, i, col.group)
        group.font, group.alignment = BOLD, WRAP
        cell = ws.cell(start + 1, i, col.heading)
        cell.font, cell.alignment = BOLD, WRAP
    for n, row in enumerate(rows, start=1):
        r = start + 1 + n
        ws.cell(r, 1, n if row is not content.total else None)
        ws.cell(r, 2, row.name).alignment = WRAP
        ws.cell(r, 3, row.code)
        if row is content.total:
            ws.cell(r, 2).font = BOLD
        for i, col in enumerate(cols, start=4):
            cell = ws.cell(r, i, row.values[col.key])
            url = row.links.get(col.key)
            if url:
                cell.hyperlink = url
                cell.font = LINK


def to_xlsx(content: Content) -> bytes:
    """Sheets: "Tổng hợp" (the unit's agencies and total), "Xã, phường" (a province's
    communes), "Chỉ số 766" (groups and indicators as the IOC page shows them),
    "Nguồn số liệu" (the pages behind the figures)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    for n, line in enumerate(heading_lines(content), start=1):
        ws.cell(n, 1, line).font = BOLD if n == 1 else Font()
    rows = [*content.agencies, content.total]
    _table(ws, content, rows, "Cơ quan, đơn vị")
    ws.column_dimensions["B"].width = 42
    ws.column_dimensions["C"].width = 18
    for i in range(4, 4 + len(content.columns)):
        ws.column_dimensions[get_column_letter(i)].width = 12

    if content.communes:
        wc = wb.create_sheet("Xã, phường")
        wc.cell(1, 1, f"{content.title} theo xã, phường: {content.unit.name}").font = BOLD
        wc.cell(2, 1, f"Kỳ báo cáo: {content.period_label}")
        _table(wc, content, content.communes, "Xã, phường")
        wc.column_dimensions["B"].width = 36

    wi = wb.create_sheet("Chỉ số 766")
    index = content.index.index
    wi.cell(1, 1, "Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)").font = BOLD
    wi.cell(2, 1, f"{content.unit.name}, kỳ {content.period}")
    wi.cell(3, 1, "Tổng điểm đã tính")
    wi.cell(3, 2, float(index.points))
    wi.cell(3, 3, "trên")
    wi.cell(3, 4, float(index.scored_maximum))
    wi.cell(3, 5, "tối đa")
    wi.cell(3, 6, float(index.maximum))
    headings = ("Nhóm", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Đơn vị", "Điểm", "Tối đa", "Ghi chú")
    for i, text in enumerate(headings, start=1):
        wi.cell(5, i, text).font = BOLD
    r = 6
    for group in index.groups:
        for indicator in group.indicators:
            wi.cell(
                r,
                1,
                f"{group.group.name}: {_num(group.points)} / {_num(group.scored_maximum)} "
                f"điểm đã tính (tối đa {group.group.maximum})",
            )
            wi.cell(r, 2, indicator.code)
            if indicator.unavailable:
                wi.cell(r, 9, f"Chưa có dữ liệu: {indicator.unavailable}")
            else:
                wi.cell(r, 3, indicator.numerator)
                wi.cell(r, 4, indicator.denominator)
                wi.cell(r, 5, _num(indicator.rate))
                wi.cell(r, 6, "%" if indicator.unit == "percent" else "ngày làm việc")
                wi.cell(r, 7, _num(indicator.points))
                if indicator.rate is None:
                    wi.cell(r, 9, "Không có hồ sơ trong kỳ")
                elif indicator.points is None and indicator.unscored:
                    wi.cell(r, 9, str(indicator.unscored))
            wi.cell(r, 8, _num(indicator.maximum))
            r += 1
    wi.column_dimensions["A"].width = 40
    wi.column_dimensions["I"].width = 60

    ws_links = wb.create_sheet("Nguồn số liệu")
    for n, (label, url) in enumerate(source_lines(content), start=1):
        ws_links.cell(n, 1, label)
        cell = ws_links.cell(n, 2, url)
        cell.hyperlink, cell.font = url, LINK
    ws_links.column_dimensions["A"].width = 60
    ws_links.column_dimensions["B"].width = 100

    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


def source_lines(content: Content) -> list[tuple[str, str]]:
    """(what, page address) of the figures of the unit's line that a page lists, and of the
    766 table (the overview)."""
    headings = {c.key: f"{c.group}: {c.heading}" for c in content.columns}
    out = [("Bộ chỉ số 766 và tổng quan của kỳ", content.overview_url)]
    for key, url in content.total.links.items():
        if key in headings:
            out.append((f"Danh sách hồ sơ: {headings[key].lower()}", url))
    return out


def to_pdf(content: Content) -> bytes:
    """The report laid out by WeasyPrint on A4 landscape, in Vietnamese whatever the
    language of whoever asked for it."""
    from weasyprint import HTML

    from tinhso.core.fonts import font_configuration

    groups: list[tuple[str, int]] = []
    for col in content.columns:
        if groups and groups[-1][0] == col.group:
            groups[-1] = (col.group, groups[-1][1] + 1)
        else:
            groups.append((col.group, 1))

    def cells(rows: list[Row], *, total: Row | None = None) -> list[dict[str, Any]]:
        return [
            {
                "name": row.name,
                "total": row is total and len(rows) > 1,
                "cells": [(row.values[c.key], row.links.get(c.key, "")) for c in content.columns],
            }
            for row in rows
        ]

    context = {
        "c": content,
        "lines": heading_lines(content)[1:],
        "groups": groups,
        "rows": cells([*content.agencies, content.total], total=content.total),
        "communes": cells(content.communes),
        "index": content.index.index,
        "sources": source_lines(content),
    }
    with translation.override("vi"):
        html = render_to_string("ioc/report_pdf.html", context)
    return bytes(HTML(string=html).write_pdf(font_config=font_configuration()))
