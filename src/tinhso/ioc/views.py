"""The operations centre's pages (Trung tâm điều hành): the overview for leaders and IOC
viewers, the dossiers behind each figure, and the public statistics page (công khai).

Legal source: Decision 766/QĐ-TTg (the index); Decree 61/2018/NĐ-CP Art. 28 (publicity of the
handling of administrative procedures). Reads only: `dashboard` and `queries`; access by
`queries.access_unit` (a viewer sees only the units their roles reach; another unit is 404).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.core import periods
from tinhso.ioc import dashboard, health, queries
from tinhso.ioc import map as report_map
from tinhso.places.models import Agency, Commune

# The overview's figures are fetched again this often (ioc/static/ioc/refresh.js); the
# rollups change with every action, so a minute is fresh for a morning's look and costs one
# page's reads per open screen per minute.
REFRESH_SECONDS = 60
FRAGMENT = "1"  # ?fragment=1: only the figures (ioc/_live.html), for refresh.js


def _default_unit(user: Any) -> str:
    reach, provinces = queries.reachable_agency_ids(user)
    if provinces:
        from tinhso.places.models import Province

        province = Province.objects.filter(pk__in=provinces).order_by("code").first()
        if province is not None:
            return f"{province.code:02d}"
    agency = Agency.objects.filter(pk__in=reach, is_active=True).order_by("level", "code").first()
    if agency is None:
        raise PermissionDenied
    return agency.code


class FilterError(Exception):
    """A unit or period typed wrong on the overview: {field: message}, shown on the page."""

    def __init__(self, errors: dict[str, str], chosen: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors, self.chosen = errors, chosen


def _unit_and_period(request: HttpRequest) -> tuple[queries.Unit, periods.Period]:
    """The unit and period asked for. An unknown code or a period not written as expected is
    a FilterError (the overview answers 422 with its form); a unit out of reach is 404."""
    if not queries.may_use_ioc(request.user):
        raise PermissionDenied
    code = request.GET.get("unit") or _default_unit(request.user)
    today = timezone.localdate()
    text = request.GET.get("period") or f"{today.year}-{today.month:02d}"
    errors: dict[str, str] = {}
    unit: queries.Unit | None = None
    period: periods.Period | None = None
    try:
        unit = queries.access_unit(request.user, code)
    except queries.UnitNotFound:
        errors["unit"] = _(
            "Không có đơn vị mang mã “%(code)s”: hãy chọn một đơn vị trong danh sách, hoặc ghi "
            "mã tỉnh (66), mã cơ quan (000.00.03.H66) hoặc mã xã, phường (24121)."
        ) % {"code": code[:40]}
    try:
        period = periods.parse(text)
    except periods.PeriodError:
        errors["period"] = _(
            "Kỳ “%(text)s” không hợp lệ: hãy chọn một kỳ trong danh sách, hoặc ghi tháng "
            "(2026-11), quý (2026-Q4) hoặc năm (2026)."
        ) % {"text": text[:40]}
    if errors or unit is None or period is None:
        raise FilterError(errors, {"unit": code, "period": text})
    return unit, period


def _choices(user: Any, chosen: dict[str, str], name: str = "") -> dict[str, Any]:
    """The units within the viewer's reach and the recent periods, for the overview's selects
    (the value asked for kept first when it is not among them, so the form shows it)."""
    from tinhso.ioc import reports

    units = reports.reachable_units(user)
    if chosen["unit"] not in {code for code, _name in units}:
        units.insert(0, (chosen["unit"], name or chosen["unit"]))
    today = timezone.localdate()
    offered: list[str] = []
    year, month = today.year, today.month
    for _i in range(12):
        offered.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    quarter = (today.month - 1) // 3 + 1
    offered[1:1] = [f"{today.year}-Q{quarter}"]
    offered += [str(today.year), str(today.year - 1)]
    labelled = [(p, reports.short_label(p)) for p in offered]
    if chosen["period"] not in offered:
        labelled.insert(0, (chosen["period"], chosen["period"]))
    return {"unit_choices": units, "period_choices": labelled}


def _period_label(period: periods.Period) -> str:
    """ "Tháng 12/2026", "Quý IV/2026", "Năm 2026" (as the reports page writes a period), for
    the start of a heading or a line."""
    from tinhso.ioc import reports

    return reports.short_label(str(period))


def _period_phrase(period: periods.Period) -> str:
    """ "tháng 12/2026", "quý IV/2026", "năm 2026": the same, within a sentence ("trong kỳ …",
    "kỳ …"), where Vietnamese writes the period's kind in lower case."""
    from tinhso.ioc import reports

    return reports.phrase_label(str(period))


def _bad_filter(
    request: HttpRequest,
    exc: FilterError,
    template: str = "ioc/overview.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """422: the page's form again, with what was typed and a Vietnamese message per field
    (the overview and the lists behind its figures alike)."""
    context = {
        "errors": exc.errors,
        "chosen": exc.chosen,
        **_choices(request.user, exc.chosen),
        **(extra or {}),
    }
    response = render(request, template, context, status=422)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    try:
        unit, period = _unit_and_period(request)
    except FilterError as exc:
        if request.GET.get("fragment") == FRAGMENT:
            return HttpResponse(status=422)
        return _bad_filter(request, exc)
    now = timezone.now()
    today = timezone.localtime(now).date()
    # every figure but the map's and the sync's, in few reads (bench/ioc_index.py measures
    # the same call)
    seen = dashboard.overview(unit, period, now)
    reports = report_map.report_map(unit, period, now)
    here = {"unit": unit.code, "period": str(period)}
    context = {
        "unit": unit,
        "period": period,
        "today": today,
        "now": now,
        "day": seen.day,
        "month": seen.month,
        "overdue": seen.overdue,
        "due_today": seen.due_today,
        # the open and late field reports are the map's totals (the same reads, not two)
        "reports_open": reports.open,
        "reports_late": reports.late,
        "map": reports,
        "sync": health.unit_health(unit, request.user, now=now),
        "index": seen.index.index,
        "weeks": dashboard.chart(seen.weeks),
        "months": dashboard.chart(seen.months),
        "agencies": seen.agencies,
        "communes": seen.communes,
        "refresh": REFRESH_SECONDS,
        "here": urlencode(here),
        "fragment_url": f"{request.path}?{urlencode({**here, 'fragment': FRAGMENT})}",
        "tomorrow": today + timedelta(days=1),
        "chosen": here,
        "errors": {},
        "period_label": _period_label(period),
        "period_phrase": _period_phrase(period),
        **_choices(request.user, here, unit.name),
    }
    if request.GET.get("fragment") == FRAGMENT:
        response = render(request, "ioc/_live.html", context)
    else:
        response = render(request, "ioc/overview.html", context)
    response["Cache-Control"] = "no-store"  # figures of the minute, and not for a shared cache
    return response


@login_required
@require_GET
def field_reports(request: HttpRequest) -> HttpResponse:
    """The field reports behind one commune's figure on the overview's map (open, late now,
    answered on time or late in the period), within the viewer's unit. No reporter's details:
    the operations centre sees what and where, the handling agency sees who."""
    measure = request.GET.get("measure", "open")
    text = request.GET.get("commune", "")
    try:
        unit, period = _unit_and_period(request)
    except FilterError as exc:
        if measure not in report_map.REPORT_MEASURES:
            raise Http404 from exc
        # as the overview: the form again (the commune and the kind of report kept)
        kept = {"commune": text, "measure": measure}
        return _bad_filter(
            request,
            exc,
            "ioc/field_reports.html",
            {"title": report_map.measure_title(measure), "kept": kept, "action": request.path},
        )
    if measure not in report_map.REPORT_MEASURES:
        raise Http404
    commune: Commune | None = None
    if text != "0":
        number = _int(text)
        commune = Commune.objects.filter(code=number).first() if number is not None else None
        if commune is None:
            raise Http404
    now = timezone.now()
    found = report_map.reports_behind(unit, commune.pk if commune else 0, measure, period, now)
    total = found.count()
    rows = list(found.select_related("category", "agency")[:FIELD_REPORT_ROWS])
    context = {
        "unit": unit,
        "period": period,
        "measure": measure,
        "measures": [(k, report_map.measure_title(k)) for k in report_map.REPORT_MEASURES],
        "title": report_map.measure_title(measure),
        "commune": commune,
        "commune_code": str(commune.code) if commune else "0",
        "period_phrase": _period_phrase(period),
        "total": total,
        "rows": [(r, r.state in report_map.OPEN_REPORT_STATES and r.due_at < now) for r in rows],
        "now": now,
    }
    return render(request, "ioc/field_reports.html", context)


FIELD_REPORT_ROWS = 200


# what the dossier list reads besides the unit, the period and the measure
DOSSIER_LIST_KEPT = ("procedure", "officer", "day")


@login_required
@require_GET
def dossiers(request: HttpRequest) -> HttpResponse:
    measure = request.GET.get("measure", "received")
    try:
        unit, period = _unit_and_period(request)
    except FilterError as exc:
        if measure not in dashboard.MEASURES:
            raise Http404 from exc
        # as the overview: the form again, which comes back to this list (the figure and the
        # drill-down kept: a procedure's, an officer's or a day's row of it)
        kept = {"measure": measure}
        kept.update({k: request.GET[k] for k in DOSSIER_LIST_KEPT if request.GET.get(k)})
        return _bad_filter(
            request,
            exc,
            "ioc/dossiers.html",
            {"title": _(dashboard.MEASURES[measure]), "kept": kept, "action": request.path},
        )
    if measure not in dashboard.MEASURES:
        raise Http404
    start, end = period.start, period.end
    if request.GET.get("day"):
        try:
            start = date.fromisoformat(request.GET["day"])
            end = start + timedelta(days=1)
        except (ValueError, OverflowError) as exc:
            raise Http404 from exc
    procedure = _int(request.GET.get("procedure"))
    officer = _int(request.GET.get("officer"))
    facts = dashboard.behind(unit, measure, start, end, timezone.now())
    rows = dashboard.dossier_rows(facts, procedure=procedure, officer=officer)
    context = {
        "unit": unit,
        "period": period,
        "measure": measure,
        "title": _(dashboard.MEASURES[measure]),
        "period_phrase": _period_phrase(period),
        "total": facts.filter(procedure_id=procedure).count() if procedure else facts.count(),
        "rows": rows,
        "day": request.GET.get("day", ""),
        "procedure": procedure,
        "officer": officer,
    }
    return render(request, "ioc/dossiers.html", context)


@login_required
@require_GET
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier as the operations centre sees it: its dates and its steps, each with its
    due time and agency, the late ones marked. Only within the viewer's reach (else 404)."""
    from tinhso.dossiers.models import Dossier, StepRecord

    if not queries.may_use_ioc(request.user):
        raise PermissionDenied
    found = (
        Dossier.objects.select_related("version", "agency")
        .exclude(state=Dossier.State.DRAFT)
        .filter(code=code)
        .first()
    )
    if found is None:
        raise Http404
    reach, provinces = queries.reachable_agency_ids(request.user)
    if found.agency_id not in reach and found.agency.province_id not in provinces:
        raise Http404
    steps = list(
        StepRecord.objects.filter(dossier=found)
        .select_related("agency", "assignee", "performed_by")
        .order_by("pk")
    )
    late = [s for s in steps if s.due_at and (s.finished_at or timezone.now()) > s.due_at]
    return render(
        request,
        "ioc/dossier.html",
        {"dossier": found, "steps": steps, "late": {s.pk for s in late}, "now": timezone.now()},
    )


def _int(text: str | None) -> int | None:
    """A bigint-sized number typed in a query string, or None (no more than 18 digits)."""
    if not text or len(text) > 18 or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year = _int(request.GET.get("nam")) or today.year
    if not 2000 <= year <= today.year:
        raise Http404
    rows = dashboard.public_statistics(year)
    response = render(
        request,
        "ioc/public.html",
        {"rows": rows, "year": year, "years": range(today.year, max(today.year - 5, 1999), -1)},
    )
    return response
