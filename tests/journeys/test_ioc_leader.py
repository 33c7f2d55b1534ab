"""A leader of the province opens the operations centre (issue 16), reads the month at a
glance and the Decision 766 table, and follows the figure of dossiers handled late down to
the list behind it and to one late dossier with its steps; then goes back to the centre, on to
the archive of periodic reports, makes this month's report and downloads it as XLSX and PDF:
the late figure in the workbook is the one the overview showed. At 360 and 1280 px, in
Vietnamese, as every journey step is checked (axe-core, no sideways scrolling, no CSP
report)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

LATE = """
from datetime import timedelta
from django.utils import timezone
from tinhso.dossiers.models import Dossier
from tinhso.ioc import rollups
now = timezone.now()
states = ["received", "result_ready", "returned"]
d = Dossier.objects.filter(state__in=states).order_by("pk").first()
Dossier.objects.filter(pk=d.pk).update(
    state="result_ready", received_at=now - timedelta(days=6), clock_start_at=None,
    appointment_at=now - timedelta(days=3), finished_at=now - timedelta(hours=2),
)
rollups.rebuild()
print(d.code)
"""


def test_a_leader_follows_the_late_figure_to_a_late_dossier(journey):
    code = journey.site.tinhso("shell", "-c", LATE).split()[-1]
    leader = journey.person("lanh-dao")
    page = leader.page
    leader.sign_in_official("lanhdao")
    leader.goto("/dieu-hanh/")
    leader.check("trung-tam-dieu-hanh")
    assert page.get_by_role("heading", name=re.compile("Bộ chỉ số 766")).is_visible()
    late = page.locator("#ioc-late")
    late_figure = int(late.locator(".n").inner_text())
    assert late_figure >= 1
    late.click()
    page.wait_for_load_state()
    leader.check("ho-so-qua-han")
    assert page.get_by_role("heading", name=re.compile("Hồ sơ giải quyết quá hạn")).is_visible()
    page.get_by_role("link", name=code).click()
    page.wait_for_load_state()
    leader.check("mot-ho-so-qua-han")
    assert page.get_by_role("heading", name=f"Hồ sơ {code}").is_visible()

    # back to the centre, on to the archive of periodic reports
    page.get_by_role("navigation", name="Vị trí").get_by_role(
        "link", name="Trung tâm điều hành"
    ).click()
    page.wait_for_load_state()
    leader.check("trung-tam-lan-hai")
    page.get_by_role("link", name=re.compile("Báo cáo định kỳ")).click()
    page.wait_for_load_state()
    leader.check("kho-bao-cao")
    assert page.get_by_role("heading", name=re.compile("Báo cáo định kỳ")).is_visible()
    # the province and this month are chosen already: make the report now
    assert "toàn tỉnh" in page.get_by_label("Đơn vị").locator("option:checked").inner_text()
    page.get_by_role("button", name="Tạo báo cáo").click()
    page.wait_for_load_state()
    leader.check("bao-cao-vua-lap")
    made = page.locator("#bao-cao-moi")
    assert "Đã lập báo cáo" in made.inner_text()
    with page.expect_download() as got:
        made.get_by_role("link", name="Tải báo cáo vừa lập (XLSX)").click()
    xlsx = got.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()))  # a temporary file
    rows = [tuple(r) for r in book["Tổng hợp"].iter_rows(values_only=True)]
    assert rows[0][0] == "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    headings = next(r for r in rows if r[3] == "Tổng số" and r[2] is None)
    late_column = headings.index("Quá hạn")  # the first "Quá hạn": finished late
    total = rows[-1]
    assert total[late_column] == late_figure
    with page.expect_download() as got:
        made.get_by_role("link", name="Tải báo cáo vừa lập (PDF)").click()
    pdf = got.value
    assert pdf.suggested_filename.endswith(".pdf")
    # words as laid out: a narrow column's heading wraps, so spaces and line ends are one
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf.path()).pages).split())
    assert "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "Đơn vị: Đắk Lắk" in text and "Quá hạn" in text
