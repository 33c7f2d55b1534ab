"""The one-stop forms as PDFs (WeasyPrint) and the tracking book as XLSX (openpyxl).

Legal sources: Decree 118/2025/NĐ-CP and the one-stop forms of Circular 01/2018/TT-VPCP
(Mẫu 01 receipt and appointment, 02 supplement request, 03 refusal to receive, 04 apology
and new appointment, 05 tracking sheet, 06 tracking book), reportedly replaced by Circular
03/2025/TT-VPCP [UNCONFIRMED: the wording follows the 2018 forms as printed on live systems].

Administrators replace a form by putting a file with the same name (`mau01.html`, `mau02.html`,
`mau03.html`, `mau04.html`, `phieu_kiem_soat.html`) in the folder named by the setting
`DOSSIER_FORMS_DIR`; it is a Django template with the same context and may extend
`dossiers/forms/_base.html`. Without the setting the built-in templates are used.

The forms are legal documents in Vietnamese whatever language the official browses in: every
form is rendered under `translation.override("vi")`, so translated labels reaching it (the
procedure's processing time, a state's or verdict's label) come out in Vietnamese.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.conf import settings
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import clock, queries
from tinhso.dossiers.models import Apology, Dossier, DossierFile, StepRecord, SupplementRequest
from tinhso.dossiers.receipt import _layout, local, pdf, qr_data_uri

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

FORMS = {
    "01": "mau01.html",
    "02": "mau02.html",
    "03": "mau03.html",
    "04": "mau04.html",
    "kiem-soat": "phieu_kiem_soat.html",
}

P = ParamSpec("P")
R = TypeVar("R")


def in_vietnamese(render: Callable[P, R]) -> Callable[P, R]:
    """Run `render` with Vietnamese active: legal forms do not follow the browsing language."""

    @functools.wraps(render)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override("vi"):
            return render(*args, **kwargs)

    return wrapper


def status_url(dossier: Dossier) -> str:
    """The public status page the QR code points to. The first print after intake carries
    the secret just issued (the citizen's only copy of it); every later print carries a link
    signed with SECRET_KEY that opens the status without the secret (`receipt.link_url`)."""
    from tinhso.dossiers.receipt import link_url, lookup_url

    if dossier.issued_secret:
        return lookup_url(dossier.code or "", dossier.issued_secret)
    return link_url(dossier.code or "", dossier.lookup_secret_hash)


def _render(name: str, context: dict[str, Any]) -> str:
    folder = settings.DOSSIER_FORMS_DIR or ""
    override = Path(folder) / name if folder else None
    if override is not None and override.is_file():
        template = engines["django"].from_string(override.read_text(encoding="utf-8"))
        return template.render(context)
    return render_to_string(f"dossiers/forms/{name}", context)


def _pdf(html: str) -> bytes:
    return pdf(html)


def _context(dossier: Dossier, officer: Any = None, issuer: Any = None) -> dict[str, Any]:
    url = status_url(dossier)
    issuer = issuer or dossier.reception_agency or dossier.agency
    return {
        "dossier": dossier,
        "version": dossier.version,
        "issuer": issuer,
        "place": settings.DOSSIER_FORMS_PLACE or issuer.province.name,
        "today": local(timezone.now()),
        "officer_name": getattr(officer, "display_name", "") if officer else "",
        "status_url": url,
        "qr": qr_data_uri(url),
    }


def receiving_officer(dossier: Dossier) -> Any:
    """The official who received `dossier` (its latest reception): the one who handed it to
    its first step at that very moment (`actions.receive`); None if nobody is on record."""
    if dossier.received_at is None:
        return None
    record = (
        StepRecord.objects.filter(dossier=dossier, started_at=dossier.received_at)
        .exclude(from_user=None)
        .select_related("from_user")
        .order_by("-pk")
        .first()
    )
    return record.from_user if record else None


@in_vietnamese
def receipt(dossier: Dossier, officer: Any = None) -> bytes:
    """Mẫu 01: received, with the legal appointment and each component (digitised or not).

    `officer`: who signs as NGƯỜI TIẾP NHẬN HỒ SƠ; by default the official who received the
    dossier, whoever prints it (a colleague's reprint, the citizen's own copy). The first
    print after intake also prints the look-up secret just issued, which the look-up page
    asks for ("mã tra cứu in trên giấy tiếp nhận"); later prints have only the signed link."""
    files = list(dossier.files.all())
    components = []
    for component in dossier.version.components.all():
        mine = [f for f in files if f.component_id == component.pk]
        if mine:
            components.append(
                {
                    "name": component.name,
                    "count": len(mine),
                    "digitised": all(f.digitised for f in mine),
                }
            )
    authorisations = [f for f in files if f.slot == DossierFile.Slot.AUTHORISATION]
    if authorisations:
        # checked at reception like any component: the representation rests on it
        components.append(
            {
                "name": "Giấy ủy quyền (nộp thay)",
                "count": len(authorisations),
                "digitised": all(f.digitised for f in authorisations),
            }
        )
    context = _context(dossier, officer or receiving_officer(dossier))
    context.update(
        lookup_secret=dossier.issued_secret,
        components=components,
        received_at=local(dossier.received_at),
        appointment_at=local(dossier.appointment_at),
    )
    # a reprint (no secret just issued: the QR code is the signed link) is made once and
    # stored under its HTML's digest (receipt.pdf); the first print carries the secret
    return pdf(_render(FORMS["01"], context), keep=not dossier.issued_secret)


@in_vietnamese
def warm_receipt(font_config: FontConfiguration | None = None) -> bytes:
    """Lay out a Mẫu 01 of made-up facts, from the template in use (an administrator's
    replacement included), with `font_config` (the thread's by default), and throw it away.

    The web server's worker calls it before serving (`tinhso.gunicorn_conf`): the first
    layout of a process pays for what WeasyPrint and fontconfig load once (faces, glyphs,
    the page's styles and code paths), 150-300 ms on the benchmark machine, and the first
    layout with a font configuration for its faces; made here, a citizen's first receipt
    does not. Nothing is read from or written to the database, nothing is stored."""
    when = datetime(2026, 12, 7, 9, 30, tzinfo=VIETNAM)
    url = f"{settings.SITE_URL.rstrip('/')}/tra-cuu-ho-so/qr/HS-000000-0000000000000000/"
    agency = SimpleNamespace(name="Sở Tư pháp tỉnh Đắk Lắk")
    dossier = SimpleNamespace(
        code="000.00.00.H00-261207-0001",
        applicant_name="Nguyễn Thị Ấn Ượng",
        is_on_behalf=True,
        filer_name="Trần Văn Đức Hưởng",
        on_behalf_relation="con",
        applicant_address="Số 12 đường Lê Duẩn, phường Tân Lợi, tỉnh Đắk Lắk",
        applicant_phone="0912 345 678",
        applicant_email="an.uong@example.vn",
        delivery="counter",
        delivery_address="",
        agency=agency,
    )
    context = {
        "dossier": dossier,
        "version": SimpleNamespace(
            name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", processing_label="10 ngày"
        ),
        "issuer": agency,
        "place": "Đắk Lắk",
        "today": when,
        "officer_name": "Lê Thị Hồng Nhung",
        "lookup_secret": "NFC9PNXU5A",
        "status_url": url,
        "qr": qr_data_uri(url),
        "components": [
            {"name": "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "count": 1, "digitised": True},
            {"name": "Bản chụp Căn cước công dân", "count": 2, "digitised": False},
            {"name": "Giấy ủy quyền (nộp thay)", "count": 1, "digitised": True},
        ],
        "received_at": when,
        "appointment_at": when,
    }
    return _layout(_render(FORMS["01"], context), font_config)


@in_vietnamese
def supplement_request(request: SupplementRequest, officer: Any = None) -> bytes:
    """Mẫu 02: each missing or wrong component with its reason."""
    context = _context(request.dossier, officer or request.requested_by)
    context["request"] = request
    return _pdf(_render(FORMS["02"], context))


@in_vietnamese
def refusal(dossier: Dossier, officer: Any = None) -> bytes:
    """Mẫu 03: refusal to receive, with the reason."""
    return _pdf(_render(FORMS["03"], _context(dossier, officer)))


@in_vietnamese
def apology(item: Apology) -> bytes:
    """Mẫu 04: from the agency at fault, with the new appointment."""
    context = _context(item.dossier, item.created_by, issuer=item.agency)
    context.update(
        apology=item, previous=local(item.previous_appointment), new=local(item.new_appointment)
    )
    return _pdf(_render(FORMS["04"], context))


@in_vietnamese
def tracking_sheet(dossier: Dossier, now: datetime | None = None) -> bytes:
    """Phiếu kiểm soát: a row per hand-off with time, from, to, early/on time/late."""
    report = queries.timeliness(dossier, now)
    rows = [
        {
            **row.__dict__,
            "started_at": local(row.started_at),
            "due_at": local(row.due_at),
            "finished_at": local(row.finished_at),
            "verdict_label": clock.Verdict(row.verdict).label if row.verdict else "đang xử lý",
        }
        for row in report.steps
    ]
    context = _context(dossier)
    context.update(
        rows=rows,
        appointment_at=local(dossier.appointment_at),
        overall_label=(
            clock.Verdict(report.overall).label if report.overall else "chưa hoàn thành"
        ),
    )
    return _pdf(_render(FORMS["kiem-soat"], context))


BOOK_COLUMNS = [
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục",
    "Người nộp",
    "Địa chỉ, số điện thoại",
    "Cơ quan giải quyết",
    "Nơi tiếp nhận",
    "Ngày, giờ tiếp nhận",
    "Ngày, giờ hẹn trả",
    "Ngày, giờ hoàn thành",
    "Ngày, giờ trả kết quả",
    "Trạng thái",
    "Đánh giá",
]


def _cell(moment: datetime | None) -> datetime | None:
    return local(moment).replace(tzinfo=None) if moment else None  # type: ignore[union-attr]


@in_vietnamese
def tracking_book(dossiers: Any, now: datetime | None = None) -> bytes:
    """Sổ theo dõi hồ sơ (Mẫu 06) as XLSX: one row per dossier, in the given order."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "So theo doi ho so"
    sheet.append(BOOK_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, d in enumerate(dossiers, start=1):
        report = queries.timeliness(d, now)
        sheet.append(
            [
                number,
                d.code,
                d.version.name,
                d.applicant_name,
                ", ".join(x for x in (d.applicant_address, d.applicant_phone) if x),
                d.agency.name,
                d.reception_agency.name if d.reception_agency else "",
                _cell(d.received_at),
                _cell(d.appointment_at),
                _cell(d.finished_at),
                _cell(d.returned_at),
                d.get_state_display(),
                clock.Verdict(report.overall).label if report.overall else "",
            ]
        )
    for column in "HIJK":
        for cell in sheet[column][1:]:
            cell.number_format = "dd/mm/yyyy hh:mm"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
