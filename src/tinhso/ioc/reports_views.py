"""The archive of periodic reports (kho báo cáo định kỳ) for leaders and IOC viewers: the
reports they may download, as XLSX and PDF, and a button to make one now.

Legal sources: as `ioc/reports.py` (Decree 118/2025/NĐ-CP; Circular 01/2023/TT-VPCP;
Decision 766/QĐ-TTg). Thin: parse, authorise (`queries.may_use_ioc`, `reports.access_report`:
another unit's report is 404, no IOC role 403), call `reports.generate_on_page`
(which shows again a report of the same unit and period made minutes ago), answer.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.core import periods
from tinhso.core.errors import DomainError
from tinhso.ioc import queries, reports
from tinhso.ioc.models import PeriodicReport

PAGE_SIZE = 25
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _viewer(request: HttpRequest) -> Any:
    if not queries.may_use_ioc(request.user):
        raise PermissionDenied
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
def archive(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    units = reports.reachable_units(user)
    today = timezone.localdate()
    offered = list(reports.periods_to_offer(today))
    errors: dict[str, str] = {}
    chosen = {"unit": units[0][0] if units else "", "period": offered[0]}
    if request.method == "POST":
        chosen = {
            "unit": request.POST.get("unit", "").strip(),
            "period": request.POST.get("period", "").strip(),
        }
        allowed = {code for code, _name in units}
        # the report's links use this page's own scheme and host (docs/ioc.md)
        made, reused, errors = _generate(user, chosen, allowed, request.build_absolute_uri("/"))
        if made is not None:
            again = "&dung-lai=1" if reused else ""
            return redirect(f"{reverse('ioc:reports')}?bao-cao={made.pk}{again}#bao-cao-moi")
        if reused:  # another request is making this very report: it will be in the list
            return redirect(f"{reverse('ioc:reports')}?dang-lap=1#bao-cao-moi")
    visible = reports.visible_reports(user)
    page = Paginator(visible, PAGE_SIZE).get_page(request.GET.get("trang"))
    fresh = None
    wanted = request.GET.get("bao-cao", "")
    if wanted.isascii() and wanted.isdigit() and len(wanted) < 18:
        fresh = next((r for r in visible if r.pk == int(wanted)), None)
    context = {
        "page": page,
        "rows": [(r, reports.short_label(r.period)) for r in page.object_list],
        "offered_labels": [(p, reports.short_label(p)) for p in offered],
        "units": units,
        "offered": offered,
        "chosen": chosen,
        "errors": errors,
        "fresh": fresh,
        "fresh_label": reports.phrase_label(fresh.period) if fresh else "",  # mid-sentence
        "reused": fresh is not None and request.GET.get("dung-lai") == "1",
        "pending": fresh is None and request.GET.get("dang-lap") == "1",
        "reuse_minutes": reports.reuse_minutes(),
    }
    return render(request, "ioc/report_archive.html", context, status=422 if errors else 200)


def _generate(
    user: Any, chosen: dict[str, str], allowed: set[str], base: str | None = None
) -> tuple[PeriodicReport | None, bool, dict[str, str]]:
    """(report, reused, errors): `reports.generate_on_page` shows again a report of the same
    unit and period made on the page minutes ago rather than making another."""
    errors: dict[str, str] = {}
    if chosen["unit"] not in allowed:
        errors["unit"] = _("Hãy chọn một đơn vị trong danh sách.")
    try:
        period = periods.parse(chosen["period"])
    except periods.PeriodError:
        errors["period"] = _("Kỳ báo cáo không hợp lệ: hãy ghi tháng (2026-11) hoặc quý (2026-Q4).")
    if errors:
        return None, False, errors
    try:
        unit = queries.access_unit(user, chosen["unit"])
    except (queries.UnitNotFound, Http404):
        return None, False, {"unit": _("Hãy chọn một đơn vị trong danh sách.")}
    try:
        made, reused = reports.generate_on_page(unit, period, actor=user, base=base)
    except DomainError as exc:
        return (
            None,
            False,
            {key: str(text) for key, text in (exc.fields or {"period": exc.message}).items()},
        )
    return made, reused, {}


@login_required
@require_GET
def download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    user = _viewer(request)
    if kind not in CONTENT_TYPES:
        raise Http404
    report = reports.access_report(user, pk)
    if report is None:
        raise Http404(_("Không tìm thấy báo cáo trong phạm vi được xem."))
    data = reports.read_file(report, kind)
    response = HttpResponse(data, content_type=CONTENT_TYPES[kind])
    name = reports.file_name(report.unit_code, report.period, kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
