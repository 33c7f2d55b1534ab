"""Printed registers, the province's figures and full-text search."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta

from django.utils import timezone
from openpyxl import load_workbook

from tests.tools import requires_tool
from tinhso.documents import actions, books, queries, reports
from tinhso.documents.models import Document, Register

from .test_lifecycle import _issue


@requires_tool("pdftotext")
def test_outgoing_book_lists_numbers_with_cancellations(offices, tmp_path):
    doc = _issue(offices)
    extra = actions.issue_number(doc.agency, doc.register.year, "outgoing")
    actions.cancel_number(extra, reason="Cấp nhầm", actor=offices["SXD"].clerk)
    register = Register.objects.get(agency=offices["SXD"].agency, direction="outgoing")
    rows = books.rows(register)
    assert [r[0] for r in rows] == ["01/SXD-QLXD", "02"]
    assert rows[0][2] == "Công văn: Về việc kiểm tra công trình xây dựng"
    assert rows[0][4] == "Sở Tư pháp tỉnh Đắk Lắk"
    assert rows[1][-1] == "Đã hủy số: Cấp nhầm"
    ws = load_workbook(io.BytesIO(books.to_xlsx(register))).active
    assert [c.value for c in ws[4]] == list(books.OUTGOING_COLUMNS)
    assert ws["A5"].value == "01/SXD-QLXD" and ws["I6"].value == "Đã hủy số: Cấp nhầm"
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(books.to_pdf(register))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    assert f"SỔ VĂN BẢN ĐI {register.year} – SXD" in text
    assert "01/SXD-QLXD" in text and "Công văn: Về việc kiểm tra" in text
    assert "Đã hủy số: Cấp" in text


def test_incoming_book_and_figures(offices):
    doc = _issue(offices)
    stp = offices["STP"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    actions.register_incoming(incoming, actor=stp.clerk)
    actions.assign(incoming, instruction="Xử lý", days=1, unit=stp.agency, actor=stp.leader)
    register = Register.objects.get(agency=stp.agency, direction="incoming")
    row = books.rows(register)[0]
    assert row[1:4] == ("01", "Sở Xây dựng tỉnh Đắk Lắk", "01/SXD-QLXD")
    assert row[6] == "STP"

    now = timezone.now()
    start, end = now - timedelta(days=1), now + timedelta(days=1)
    sent = reports.figures(offices["SXD"].agency.pk, start, end, now=now)
    assert (sent.received, sent.sent, sent.electronic_share, sent.signed_share) == (0, 1, 1.0, 1.0)
    got = reports.figures(stp.agency.pk, start, end, now=now)
    assert (got.received, got.sent, got.overdue, got.average_handling_days) == (1, 0, 0, None)
    later = reports.figures(
        stp.agency.pk, start, end + timedelta(days=30), now=now + timedelta(days=20)
    )
    assert later.overdue == 1
    actions.finish(incoming, result="Xong", actor=stp.leader)
    done = reports.figures(stp.agency.pk, start, end, now=now)
    assert done.average_handling_days is not None and done.average_handling_days < 0.01
    assert doc.agency_signed


def test_certificate_counts(offices):
    now = timezone.now()
    counts = reports.certificate_counts(now=now)
    assert counts == {
        "officials": {"active": 3, "revoked": 0, "expired": 0},
        "agencies": {"active": 3, "revoked": 0, "expired": 0},
    }
    actions.revoke_certificate(actions.agency_certificate(offices["STP"].agency), actor=None)
    assert reports.certificate_counts(now=now)["agencies"] == {
        "active": 2,
        "revoked": 1,
        "expired": 0,
    }
    assert reports.certificate_counts(now=now + timedelta(days=4000))["officials"]["expired"] == 3


def test_search_ignores_case_and_diacritics_and_filters(offices):
    _issue(offices)
    stp = offices["STP"]
    actions.record_paper_document(
        stp.agency,
        doc_type="TB",
        subject="Thông báo lịch tiếp công dân tháng Ba",
        number_and_notation="45/TB-VP",
        sender_name="Văn phòng UBND tỉnh",
        document_date=None,
        pdf=b"%PDF-1.4 scan",
        actor=stp.clerk,
    )
    visible = queries.visible_documents(stp.clerk)
    assert [d.subject for d in queries.search(visible, "CONG TRINH xay dung")] == [
        "Về việc kiểm tra công trình xây dựng"
    ]
    assert [d.number_and_notation for d in queries.search(visible, "tiếp công dân")] == ["45/TB-VP"]
    assert queries.search(visible, "", doc_type="TB", direction="incoming").count() == 1
    assert queries.search(visible, "", state="received").count() == 2
    assert queries.search(visible, "không có từ này").count() == 0
    assert (
        queries.search(queries.visible_documents(offices["UBND"].clerk), "cong trinh").count() == 0
    )


def test_search_finds_words_only_in_the_file_text(offices):
    from datetime import date

    from tinhso.documents import rendering

    stp = offices["STP"]
    pdf = rendering.render_pdf(
        rendering.Draft(
            agency_name="Văn phòng",
            parent_name="UBND",
            number_line="Số: 12/VP",
            place="Đắk Lắk",
            day=date(2026, 3, 2),
            type_name="",
            subject="Công văn",
            content="Đầu tư hạ tầng giao thông nông thôn năm 2026.",
            signer_position="Chánh Văn phòng",
            signer_name="Nguyễn Văn B",
        )
    )
    actions.record_paper_document(
        stp.agency,
        doc_type="CV",
        subject="Công văn gửi Sở",
        number_and_notation="12/VP",
        sender_name="Văn phòng",
        document_date=None,
        pdf=pdf,
        actor=stp.clerk,
    )
    visible = queries.visible_documents(stp.clerk)
    assert [d.number_and_notation for d in queries.search(visible, "HA TANG giao thong")] == [
        "12/VP"
    ]


def test_docx_text_is_extracted():
    import docx

    from tinhso.documents import textextract

    document = docx.Document()
    document.add_paragraph("Kế hoạch chuyển đổi số năm 2026")
    out = io.BytesIO()
    document.save(out)
    assert textextract.extract(out.getvalue(), textextract.DOCX, "kh.docx") == (
        "Kế hoạch chuyển đổi số năm 2026"
    )
    assert textextract.extract(b"PK\x03\x04broken", textextract.DOCX, "x.docx") == ""
    assert textextract.extract(b"GIF89a", "image/gif", "x.gif") == ""
