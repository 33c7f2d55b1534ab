"""Field reports by commune on the operations centre's overview (bản đồ phản ánh hiện trường
theo xã, phường): the counts per commune, read from the rollups, and how they are drawn.

Legal sources: Decision 766/QĐ-TTg (group 5: feedback handled on time); the field reports
themselves as in `tinhso.feedback.models` (each province's own decision on field reports).

The drawing is chosen by what tinhso holds about where a commune is:

- **boundaries imported** (`places.CommuneBoundary`, `tinhso places import-boundaries`): a
  choropleth of the province's communes, shaded by the reports open now, drawn on the server
  as SVG with the same Web Mercator placement as the public map (`feedback.mapview.fit`);
- **no boundary**: a grid of tiles, one per commune with something to show, in the order of
  the communes' GSO codes. tinhso keeps no other position of a commune (no centroid), so
  anything shaped like a map would be invented; the grid says it is not a map.

Counts: open and answered (on time, late) are the rollups' (`ioc.models.ReportDay`). "Late"
here is open and past its due time *now*: it changes with the clock alone, so no counter can
hold it (as "overdue" for dossiers, docs/ioc.md); it is read from the open reports only, one
grouped query (`feedback_report_state_at` leads with the state). Reports with no commune are a
row of the table, not a place on the map.

Whose reports (`scope`): a province's or an agency's are the reports its agencies handle, placed
by where they are; a commune's are the reports *located in it* and handled by any active agency
of its province (a department's report in the commune is the commune's too), so the commune's
own view lists exactly what the province's tile for it counts (docs/ioc.md, "Field reports by
commune").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tinhso.core.periods import Period
from tinhso.ioc.models import ReportDay
from tinhso.ioc.queries import Unit
from tinhso.ioc.rollups import OPEN_REPORT_STATES

# Shades by the number of reports open now: fixed steps, so a commune keeps its shade from one
# refresh to the next unless its own count changes (steps relative to the largest count would
# repaint every commune when one changes). Lower bounds; the last step is open-ended.
STEPS = (0, 1, 2, 5, 10)
WIDTH, HEIGHT = 640, 480
OUTLINE_CACHE_SECONDS = 3600  # keyed by the boundaries' last import: a new import is a new key


def shade(open_now: int) -> int:
    """The step (0-4) of a commune with `open_now` reports open."""
    return max(i for i, low in enumerate(STEPS) if open_now >= low)


def legend() -> list[tuple[int, str]]:
    """(step, words) for each shade, in Vietnamese."""
    out = [(0, _("Không có phản ánh đang xử lý"))]
    for i in range(1, len(STEPS)):
        low = STEPS[i]
        high = STEPS[i + 1] - 1 if i + 1 < len(STEPS) else None
        if high is None:
            out.append((i, _("Từ %(low)d phản ánh trở lên") % {"low": low}))
        elif high == low:
            out.append((i, _("%(low)d phản ánh") % {"low": low}))
        else:
            out.append((i, _("%(low)d đến %(high)d phản ánh") % {"low": low, "high": high}))
    return out


@dataclass
class CommuneRow:
    """One commune's reports (commune 0: reports filed with no commune)."""

    commune_id: int
    code: str  # the GSO code; "0" for no commune (the drill-down's parameter)
    name: str
    open: int = 0
    late: int = 0
    on_time: int = 0  # answered on time in the period
    answered_late: int = 0  # answered after the due time, in the period
    shade: int = 0
    path: str = ""  # SVG path data when drawn on the choropleth

    @property
    def label(self) -> str:
        """The accessible name of the commune's shape or tile."""
        return _("%(name)s: %(open)d phản ánh đang xử lý, %(late)d quá hạn; xem danh sách") % {
            "name": self.name,
            "open": self.open,
            "late": self.late,
        }


@dataclass
class ReportMap:
    kind: str  # "choropleth" | "grid" | "empty"
    rows: list[CommuneRow]  # the table: every commune with something, no commune last
    shapes: list[CommuneRow] = field(default_factory=list)  # what is drawn, in code order
    viewbox: str = f"0 0 {WIDTH} {HEIGHT}"
    quiet: int = 0  # communes drawn (choropleth) or left out (grid) with nothing to show

    @property
    def late_shapes(self) -> list[CommuneRow]:
        """Drawn again on top, outline only: a neighbour drawn later would cover half of it."""
        return [s for s in self.shapes if s.late]

    @property
    def open(self) -> int:
        return sum(r.open for r in self.rows)

    @property
    def late(self) -> int:
        return sum(r.late for r in self.rows)

    @property
    def legend(self) -> list[tuple[int, str]]:
        return legend()


def scope(unit: Unit) -> Q:
    """The field reports (or their rollup rows: both have `agency_id` and `commune_id`) that are
    the unit's: by location for a commune (any active agency of its province handling it, the
    same agencies as the province's view), by handling agency otherwise."""
    if unit.kind == "commune" and unit.commune_id is not None and unit.province_id is not None:
        from tinhso.places.models import Agency

        province_agencies = Agency.objects.filter(
            province_id=unit.province_id, is_active=True
        ).values("pk")
        return Q(commune_id=unit.commune_id, agency_id__in=province_agencies)
    return Q(agency_id__in=unit.agency_ids)


def _counts(unit: Unit, period: Period, now: datetime) -> dict[int, CommuneRow]:
    """Two queries: the rollups (open now; answered in the period) and the open reports past
    their due time, both grouped by commune."""
    from tinhso.feedback.models import Report

    mine = scope(unit)
    in_period = Q(day__gte=period.start, day__lt=period.end)
    rows = (
        ReportDay.objects.filter(mine)
        .filter(Q(state__in=OPEN_REPORT_STATES, open__gt=0) | in_period)
        .values("commune_id")
        .annotate(
            o=Sum("open"),
            t=Sum("resolved_on_time", filter=in_period),
            la=Sum("resolved_late", filter=in_period),
        )
        .order_by()
    )
    found: dict[int, CommuneRow] = {}
    for row in rows:
        key = row["commune_id"] or 0
        found[key] = CommuneRow(
            key, "", "", open=row["o"] or 0, on_time=row["t"] or 0, answered_late=row["la"] or 0
        )
    late = (
        Report.objects.filter(mine, state__in=OPEN_REPORT_STATES, due_at__lt=now)
        .values_list("commune_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for commune_id, n in late:
        key = commune_id or 0
        found.setdefault(key, CommuneRow(key, "", "")).late = n
    return {k: r for k, r in found.items() if r.open or r.late or r.on_time or r.answered_late}


def _outlines(province_id: int) -> tuple[dict[int, str], str]:
    """{commune id: SVG path} of the province's communes with a boundary, placed together on
    the view, and the view box around them (the projection's zoom is a whole number, so the
    drawing fills between half and all of the view: the box crops it to the communes).
    Projecting the polygons costs more than the rest of the page, so the paths are cached,
    keyed by the boundaries' count and last import (one small query each time)."""
    from tinhso.feedback import mapview
    from tinhso.places.models import CommuneBoundary

    boundaries = CommuneBoundary.objects.filter(commune__province_id=province_id)
    version = boundaries.aggregate(n=Count("pk"), at=Max("imported_at"))
    if not version["n"]:
        return {}, ""
    stamp = f"{province_id}:{version['n']}:{version['at'].isoformat()}:{WIDTH}x{HEIGHT}"
    key = "ioc:map:outlines:" + hashlib.sha256(stamp.encode()).hexdigest()[:32]
    found = cache.get(key)
    if found is None:
        view: mapview.MapView[Any] = mapview.fit(
            [],
            width=WIDTH,
            height=HEIGHT,
            padding=8,
            shapes=list(boundaries.order_by("commune_id").values_list("commune_id", "polygons")),
        )
        paths = {o.item: o.path for o in view.outlines if o.path}
        numbers = [float(n) for p in paths.values() for n in re.findall(r"-?[0-9.]+", p)]
        xs, ys = numbers[0::2], numbers[1::2]
        box = ""
        if xs:
            pad = 4
            box = (
                f"{min(xs) - pad:g} {min(ys) - pad:g} "
                f"{max(xs) - min(xs) + 2 * pad:g} {max(ys) - min(ys) + 2 * pad:g}"
            )
        found = (paths, box)
        cache.set(key, found, OUTLINE_CACHE_SECONDS)
    return found


def report_map(unit: Unit, period: Period, now: datetime) -> ReportMap:
    """The unit's field reports by commune: counts from the rollups and the drawing. At most
    four queries (three with the outlines cached) whatever the number of reports."""
    from tinhso.places.models import Commune

    counts = _counts(unit, period, now)
    outlines, box = _outlines(unit.province_id) if unit.province_id else ({}, "")
    wanted = set(counts) | set(outlines)
    wanted.discard(0)
    names = {
        c.pk: (str(c.code), str(c))
        for c in Commune.objects.filter(pk__in=wanted).only("pk", "code", "name", "division_type")
    }
    rows: list[CommuneRow] = []
    for key, row in counts.items():
        if key == 0:
            row.code, row.name = "0", _("Chưa xác định xã, phường")
        elif key in names:
            row.code, row.name = names[key]
        else:
            continue  # a commune no longer in the places table: nothing to name or link
        row.shade = shade(row.open)
        rows.append(row)
    rows.sort(key=lambda r: (r.commune_id == 0, int(r.code)))
    if outlines:
        by_id = {r.commune_id: r for r in rows}
        shapes = []
        for key, path in sorted(outlines.items(), key=lambda kv: int(names[kv[0]][0])):
            code, name = names[key]
            row = by_id.get(key) or CommuneRow(key, code, name)
            row.path = path
            shapes.append(row)
        quiet = sum(1 for s in shapes if not (s.open or s.late or s.on_time or s.answered_late))
        return ReportMap("choropleth", rows, shapes, viewbox=box, quiet=quiet)
    tiles = [r for r in rows if r.commune_id]
    if not rows:
        return ReportMap("empty", rows)
    return ReportMap("grid", rows, tiles)


# --- the reports behind a commune's figure ---------------------------------------------------

REPORT_MEASURES = {
    "open": gettext_noop("Phản ánh hiện trường đang xử lý"),
    "late": gettext_noop("Phản ánh hiện trường quá hạn xử lý"),
    "on_time": gettext_noop("Phản ánh hiện trường đã trả lời đúng hạn"),
    "answered_late": gettext_noop("Phản ánh hiện trường đã trả lời quá hạn"),
}


def measure_title(measure: str) -> str:
    return _(REPORT_MEASURES[measure])


def reports_behind(unit: Unit, commune_id: int, measure: str, period: Period, now: datetime) -> Any:
    """The field reports behind one commune's figure (commune 0: no commune), with the same
    filters the rollups add up: open now; late = open and past due now; answered on time or
    late = resolved in the period (local days), against the due time."""
    from datetime import time

    from django.utils import timezone

    from tinhso.feedback.models import Report

    reports = Report.objects.filter(scope(unit))
    if commune_id == 0:
        reports = reports.filter(commune__isnull=True)
    else:
        reports = reports.filter(commune_id=commune_id)
    if measure in ("open", "late"):
        reports = reports.filter(state__in=OPEN_REPORT_STATES)
        if measure == "late":
            reports = reports.filter(due_at__lt=now)
        return reports.order_by("due_at", "pk")
    tz = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, tz)
    end = datetime.combine(period.end, time.min, tz)
    reports = reports.filter(resolved_at__gte=start, resolved_at__lt=end)
    if measure == "on_time":
        reports = reports.filter(resolved_at__lte=F("due_at"))
    else:
        reports = reports.filter(resolved_at__gt=F("due_at"))
    return reports.order_by("-resolved_at", "-pk")
