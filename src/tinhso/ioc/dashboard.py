"""What the operations centre's pages show, read from the rollups (ioc/rollups.py): today and
this month at a glance, trends by week and month, the ranking of agencies and communes, the
dossiers behind a figure, and the public statistics (công khai).

Legal sources: Decision 766/QĐ-TTg (the index and its indicators); Decree 61/2018/NĐ-CP
Art. 28 and Circular 01/2018/TT-VPCP (publicity of the handling of administrative procedures:
what the public statistics page shows, with no personal data, Decree 13/2023/NĐ-CP).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from tinhso.core.periods import Period
from tinhso.dossiers.models import Dossier
from tinhso.ioc import compiled, queries
from tinhso.ioc.index766 import percent
from tinhso.ioc.models import DossierFact, ReportDay, UnitDay, UnitMonth, UnitWeek
from tinhso.ioc.queries import ONLINE_CHANNELS, Unit
from tinhso.places.models import Agency

FINISHED = ("finished_early", "finished_on_time", "finished_late")


def counters(unit_ids: list[int], start: date, end: date, *, weeks: bool = False) -> QuerySet[Any]:
    """The pre-summed counters (no procedure dimension) of these agencies for [start, end):
    the months' (`UnitMonth`) when both ends are first days of months, the weeks'
    (`UnitWeek`) when `weeks` (both ends Mondays), else the days' (`UnitDay`). Same sums
    as `DossierDay`'s (docs/ioc.md, "Pre-summed counters")."""
    model: Any = UnitDay
    if weeks:  # asked for by the caller only: a week's row must not fall in a month's sum
        assert start.weekday() == 0 and end.weekday() == 0, (start, end)
        model = UnitWeek
    elif start.day == 1 and end.day == 1:
        model = UnitMonth
    return model.objects.filter(agency_id__in=unit_ids, period__gte=start, period__lt=end)


def open_facts(unit_ids: list[int]) -> QuerySet[DossierFact]:
    """Dossiers received and not yet ended (the partial index `ioc_fact_open_due`)."""
    return DossierFact.objects.filter(agency_id__in=unit_ids, counted=True, end_at__isnull=True)


@dataclass(frozen=True)
class Glance:
    received: int
    finished: int
    finished_late: int
    online_share: Decimal | None
    paid_online: int


GLANCE_SUMS: dict[str, Any] = {
    "g_received": Sum("received"),
    "g_online": Sum("received", filter=Q(channel__in=ONLINE_CHANNELS)),
    "g_paid_online": Sum("paid_online"),
    **{f"g_{f}": Sum(f) for f in FINISHED},
}


def glance(unit: Unit, start: date, end: date) -> Glance:
    """The figures at a glance of [start, end): one query."""
    row = counters(unit.agency_ids, start, end).aggregate(**GLANCE_SUMS)
    return _glance({k[2:]: v or 0 for k, v in row.items()})


def _glance(sums: dict[str, int]) -> Glance:
    return Glance(
        received=sums["received"],
        finished=sum(sums[f] for f in FINISHED),
        finished_late=sums["finished_late"],
        online_share=percent(sums["online"], sums["received"]),
        paid_online=sums["paid_online"],
    )


def _midnight(now: datetime) -> datetime:
    """The end of `now`'s local day (the end of "due today")."""
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now, tz).date()
    return datetime.combine(today + timedelta(days=1), datetime.min.time(), tz)


def overdue_and_due_today(unit: Unit, now: datetime) -> tuple[int, int]:
    """(in progress past the appointment, due today); a dossier waiting for the citizen's
    supplement is paused. Both change with the clock alone, so they are not counters; but
    the overdue are most of the open dossiers and grow with them, so they are counted as
    what they are not: every open dossier (the `in_progress` counter, per month) less the
    paused, those without an appointment and those due from now on (few, and read through
    the partial indexes on the open facts, each stopping at its range:
    `queries.open_figures`). Three queries; the overview reads the same in its own."""
    ids = unit.agency_ids
    in_progress = (
        UnitMonth.objects.filter(agency_id__in=ids).aggregate(n=Sum("in_progress"))["n"] or 0
    )
    found = queries.open_figures(ids, None, now=now, midnight=_midnight(now))
    return _overdue(in_progress, found), found.due_today


def _overdue(in_progress: int, found: queries.OpenFigures) -> int:
    return in_progress - found.paused - found.undated - found.ahead


def reports_open_and_late(unit: Unit, now: datetime) -> tuple[int, int]:
    from tinhso.feedback.models import Report
    from tinhso.ioc.rollups import OPEN_REPORT_STATES

    open_count = (
        ReportDay.objects.filter(agency_id__in=unit.agency_ids).aggregate(n=Sum("open"))["n"] or 0
    )
    late = Report.objects.filter(
        agency_id__in=unit.agency_ids, state__in=OPEN_REPORT_STATES, due_at__lt=now
    ).count()
    return open_count, late


@dataclass(frozen=True)
class Point:
    label: str
    start: date
    end: date
    received: int
    finished: int
    late: int


def trend_edges(kind: str, count: int, today: date) -> list[date]:
    """The `count + 1` edges of the last `count` weeks (Monday to Sunday) or months up to
    today."""
    if kind == "week":
        first = today - timedelta(days=today.weekday()) - timedelta(weeks=count - 1)
        return [first + timedelta(weeks=i) for i in range(count + 1)]
    y, m = today.year, today.month
    months = []
    for _i in range(count + 1):
        months.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    edges = sorted(months)
    edges.append(date(today.year + (today.month == 12), today.month % 12 + 1, 1))
    return edges[-(count + 1) :]


TREND_SUMS: dict[str, Any] = {
    "r": Sum("received"),
    "e": Sum("finished_early"),
    "o": Sum("finished_on_time"),
    "la": Sum("finished_late"),
}


def trend(unit: Unit, kind: str, count: int, today: date) -> list[Point]:
    """The last `count` weeks (Monday to Sunday) or months up to today: one query."""
    edges = trend_edges(kind, count, today)
    rows = (
        counters(unit.agency_ids, edges[0], edges[-1], weeks=kind == "week")
        .values("period")
        .annotate(**TREND_SUMS)
        .order_by()
    )
    return _points(kind, edges, rows)


def _points(kind: str, edges: list[date], rows: Iterable[Mapping[str, Any]]) -> list[Point]:
    """The points of `edges` from counter rows summed per period (`TREND_SUMS`); rows
    outside the edges are left out."""
    count = len(edges) - 1
    received: dict[int, int] = defaultdict(int)
    finished: dict[int, int] = defaultdict(int)
    late: dict[int, int] = defaultdict(int)
    for row in rows:
        if not edges[0] <= row["period"] < edges[-1]:
            continue
        i = next(i for i in range(count) if edges[i] <= row["period"] < edges[i + 1])
        received[i] += row["r"] or 0
        finished[i] += (row["e"] or 0) + (row["o"] or 0) + (row["la"] or 0)
        late[i] += row["la"] or 0
    points = []
    for i in range(count):
        start, end = edges[i], edges[i + 1]
        label = (
            f"{start.day:02d}/{start.month:02d}"
            if kind == "week"
            else f"{start.month:02d}/{start.year}"
        )
        points.append(Point(label, start, end, received[i], finished[i], late[i]))
    return points


def chart(points: list[Point], *, width: int = 640, height: int = 220) -> dict[str, Any]:
    """Bar geometry for the server-drawn SVG: received and finished side by side per point,
    late as the darker part of finished. Pure numbers; the template draws them."""
    top = max([p.received for p in points] + [p.finished for p in points] + [1])
    left, bottom, plot_h = 36, 24, height - 24 - 8
    slot = (width - left) / max(len(points), 1)
    bar = max(slot / 2 - 3, 2)
    bars = []
    for i, p in enumerate(points):
        x = left + i * slot + 2
        h_r = plot_h * p.received / top
        h_f = plot_h * p.finished / top
        h_l = plot_h * p.late / top
        base = height - bottom
        bars.append(
            {
                "point": p,
                "x_r": round(x, 1),
                "y_r": round(base - h_r, 1),
                "h_r": round(h_r, 1),
                "x_f": round(x + bar + 1, 1),
                "y_f": round(base - h_f, 1),
                "h_f": round(h_f, 1),
                "y_l": round(base - h_l, 1),
                "h_l": round(h_l, 1),
                "label_x": round(x + bar, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "bar": round(bar, 1),
        "bars": bars,
        "top": top,
        "base": height - bottom,
        "left": left,
    }


@dataclass(frozen=True)
class RankRow:
    code: str
    name: str
    received: int
    on_time: int
    on_time_share: Decimal | None
    online_share: Decimal | None
    finished_late: int


def ranking(
    agencies: list[Agency],
    period: Period,
    *,
    by_commune: bool = False,
    now: datetime | None = None,
) -> list[RankRow]:
    """Agencies (or communes) of the period by 2.1's on-time share, then 3.3's online
    share: one query, and 2.1's re-judging of a period not yet over (two). (The full 766
    points per agency: the API, unit by unit.) The overview ranks from its own reads."""
    prefix = {"month": "m", "quarter": "q", "year": "y"}[period.kind]
    ids = [a.pk for a in agencies]
    by = "commune_id" if by_commune else "agency_id"
    rows = (
        UnitMonth.objects.filter(agency_id__in=ids, period__gte=period.start, period__lt=period.end)
        .values(by)
        .annotate(
            r=Sum("received"),
            ot=Sum(f"{prefix}_on_time"),
            on=Sum("received", filter=Q(channel__in=ONLINE_CHANNELS)),
            la=Sum("finished_late"),
        )
        .order_by()
    )
    acc: dict[int, list[int]] = {
        row[by]: [row["r"] or 0, row["ot"] or 0, row["on"] or 0, row["la"] or 0] for row in rows
    }
    # a period not yet over: the open dossiers judged at now, as index 2.1 judges them
    # (issue 16: the ranking said 40% where 2.1 said 100%, judging them at the period's end)
    correction = queries.on_time_now_correction(ids, period, now=now or timezone.now(), by=by)
    if by_commune:
        return _ranked(acc, correction, _commune_names(agencies, acc))
    return _ranked(acc, correction, {a.pk: (a.code, a.name) for a in agencies})


def _commune_names(agencies: Iterable[Agency], keys: Iterable[int]) -> dict[int, tuple[str, str]]:
    """{commune: (code, name)} of these keys (0, no commune, left out): from the agencies'
    communes when they were read with them (`queries.resolve_unit`), else one query."""
    from tinhso.places.models import Commune

    wanted = {k for k in keys if k}
    field = Agency._meta.get_field("commune")
    known: dict[int, tuple[str, str]] = {}
    for a in agencies:
        if a.commune_id in wanted and field.is_cached(a) and a.commune is not None:
            known[a.commune_id] = (str(a.commune.code), a.commune.name)
    if wanted - set(known):
        known.update(
            (c.pk, (str(c.code), c.name))
            for c in Commune.objects.filter(pk__in=wanted - set(known))
        )
    return known


def _ranked(
    acc: dict[int, list[int]], correction: dict[int, int], names: dict[int, tuple[str, str]]
) -> list[RankRow]:
    """Rank rows from {key: [received, on time, online, finished late]} and 2.1's change
    judged at now per key."""
    for key, delta in correction.items():
        if key in acc:
            acc[key][1] += delta
    out = [
        RankRow(
            code=names[k][0],
            name=names[k][1],
            received=v[0],
            on_time=v[1],
            on_time_share=percent(v[1], v[0]),
            online_share=percent(v[2], v[0]),
            finished_late=v[3],
        )
        for k, v in acc.items()
        if k in names and v[0]
    ]
    out.sort(key=lambda r: (-(r.on_time_share or 0), -(r.online_share or 0), r.code))
    return out


# --- the overview: everything above for one unit and period, in few reads ---------------------


@dataclass(frozen=True)
class Overview:
    day: Glance
    month: Glance
    overdue: int
    due_today: int
    index: queries.UnitIndex
    weeks: list[Point]
    months: list[Point]
    agencies: list[RankRow]  # a province's agencies; an agency and the agencies below it
    communes: list[RankRow]  # a province's communes


# the period's sums the overview reads per agency and commune beside the index's own
_MONTH_SUMS: dict[str, Any] = {
    "g_paid_online": Sum("paid_online"),
    **{f"g_{f}": Sum(f) for f in FINISHED},
}


_BY_PERIOD: dict[str, Any] = {
    **TREND_SUMS,
    "ip": Sum("in_progress"),
    "on": Sum("received", filter=Q(channel__in=ONLINE_CHANNELS)),
    "po": Sum("paid_online"),
}


# the columns of `_by_period`'s rows
_PERIOD, _PART, _R, _E, _O, _LA, _IP, _ON, _PO = range(9)


def _by_period_read(m: compiled.Markers, count: int) -> QuerySet[Any]:
    """`_by_period`'s statement: a `UNION ALL` of `UnitMonth` (every month), `UnitDay`
    (`today`) and `UnitWeek` ([`w0`, `w1`)), each part tagged, summed per period."""
    from django.db.models import CharField, Value

    def part(model: Any, tag: str, **where: Any) -> QuerySet[Any]:
        return (
            model.objects.filter(agency_id__in=m.ids("ids", count), **where)
            .values("period")
            .annotate(part=Value(tag, output_field=CharField()), **_BY_PERIOD)
            .order_by()
        )

    return part(UnitMonth, "m").union(
        part(UnitDay, "d", period=m.date("today")),
        part(UnitWeek, "w", period__gte=m.date("w0"), period__lt=m.date("w1")),
        all=True,
    )


def _by_period(
    ids: list[int], today: date, week_edges: list[date]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(today's row, the weeks' rows, every month's rows) of these agencies' counters summed
    per period (`_BY_PERIOD`, columns `_PERIOD`...`_PO`), in one round trip: a `UNION ALL`
    of `UnitDay`, `UnitWeek` and `UnitMonth`, each part tagged (`_by_period_read`),
    compiled once per number of agencies (`ioc.compiled`)."""
    count = len(ids)
    values = {"ids": ids, "today": today, "w0": week_edges[0], "w1": week_edges[-1]}
    found: dict[str, list[tuple[Any, ...]]] = {"d": [], "w": [], "m": []}
    for row in compiled.rows("by_period", count, lambda m: _by_period_read(m, count), values):
        found[row[_PART]].append(row)
    return found["d"], found["w"], found["m"]


def _period_read(m: compiled.Markers, count: int, period: Period) -> QuerySet[Any]:
    """The period's month counters per agency and commune (`start`, `stop`): the index's
    sums (`queries.index_sums`) and the glance's (`_MONTH_SUMS`)."""
    return (
        UnitMonth.objects.filter(
            agency_id__in=m.ids("ids", count),
            period__gte=m.date("start"),
            period__lt=m.date("stop"),
        )
        .values_list("agency_id", "commune_id")
        .annotate(**queries.index_sums(period), **_MONTH_SUMS)
        .order_by()
    )


def _trend_row(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"period": row[_PERIOD], "r": row[_R], "e": row[_E], "o": row[_O], "la": row[_LA]}


def overview(unit: Unit, period: Period, now: datetime) -> Overview:
    """What the overview page shows of `unit` (the IOC page and bench/ioc_index.py both call
    this): today and the period at a glance, overdue and due today, the 766 index of the
    period, twelve weeks and twelve months, and the rankings. Five reads for a province or
    a commune (an agency: one more, the agencies below it, and their ranking's reads when it
    has some), none growing with the dossiers beyond the open ones due ahead or waiting for
    the citizen (docs/ioc.md, "The overview in five reads"). Each statement is compiled
    once per process and number of agencies and run prepared, its rows read as tuples
    (`ioc.compiled`):

    1. the unit's counters by period (`_by_period`, one statement of three parts): today's
       (`UnitDay`), the twelve weeks' (`UnitWeek`) and every month's (`UnitMonth`: the
       monthly trend and the open dossiers' counter the overdue count starts from);
    2. the period's month counters per agency and commune (`UnitMonth`): the period's
       glance, the index's totals, the agencies' and the communes' rankings;
    3-4. the open facts (`queries.open_figures`): overdue, due today and 2.1's re-judging of
       a period not yet over, once per agency and commune for the index and the rankings;
    5. the index's procedures, those in force and those with an online dossier, in one
       statement (`queries.index_from_totals`)."""
    today = timezone.localtime(now, timezone.get_current_timezone()).date()
    ids = unit.agency_ids
    week_edges = trend_edges("week", 12, today)
    day_rows, week_rows, history = _by_period(ids, today, week_edges)
    count, kind = len(ids), period.kind
    shape = (count, kind)
    build = lambda m: _period_read(m, count, period)  # noqa: E731
    rows = compiled.rows(
        "period", shape, build, {"ids": ids, "start": period.start, "stop": period.end}
    )
    sum_names = [name[2:] for name in compiled.columns("period", shape, build)[2:]]
    found = queries.open_figures(ids, period, now=now, midnight=_midnight(now))
    today_sums = {
        "received": sum(r[_R] or 0 for r in day_rows),
        "online": sum(r[_ON] or 0 for r in day_rows),
        "paid_online": sum(r[_PO] or 0 for r in day_rows),
        "finished_early": sum(r[_E] or 0 for r in day_rows),
        "finished_on_time": sum(r[_O] or 0 for r in day_rows),
        "finished_late": sum(r[_LA] or 0 for r in day_rows),
    }

    sums = [0] * len(sum_names)
    four_at = [sum_names.index(k) for k in ("received", "on_time", "online", "finished_late")]
    by_agency: dict[int, list[int]] = {}
    by_commune: dict[int, list[int]] = {}
    for row in rows:
        figures = [int(v or 0) for v in row[2:]]
        for i, v in enumerate(figures):
            sums[i] += v
        four = [figures[i] for i in four_at]
        for acc, key in ((by_agency, row[0]), (by_commune, row[1])):
            a = acc.get(key)
            if a is None:
                acc[key] = four.copy()  # one list per ranking
            else:
                for i, n in enumerate(four):
                    a[i] += n
    totals: dict[str, int] = dict(zip(sum_names, sums, strict=True))
    totals["on_time"] += sum(found.on_time_delta.values())
    index = queries.index_from_totals(unit, period, totals)

    agencies: list[RankRow] = []
    communes: list[RankRow] = []
    if unit.kind == "province":
        names = {a.pk: (a.code, a.name) for a in unit.agencies}
        agencies = _ranked(by_agency, found.delta_by(0), names)
        communes = _ranked(by_commune, found.delta_by(1), _commune_names(unit.agencies, by_commune))
    elif unit.kind == "agency":
        below = list(Agency.objects.filter(parent=unit.agencies[0], is_active=True))
        if below:
            agencies = ranking([unit.agencies[0], *below], period, now=now)
    return Overview(
        day=_glance(today_sums),
        month=_glance(totals),
        overdue=_overdue(sum(row[_IP] or 0 for row in history), found),
        due_today=found.due_today,
        index=index,
        weeks=_points("week", week_edges, (_trend_row(r) for r in week_rows)),
        months=_points("month", trend_edges("month", 12, today), (_trend_row(r) for r in history)),
        agencies=agencies,
        communes=communes,
    )


# --- the dossiers behind a figure ------------------------------------------------------------

MEASURES = {
    "received": gettext_noop("Hồ sơ tiếp nhận"),
    "online": gettext_noop("Hồ sơ nộp trực tuyến"),
    "finished": gettext_noop("Hồ sơ đã giải quyết"),
    "late": gettext_noop("Hồ sơ giải quyết quá hạn"),
    "overdue": gettext_noop("Hồ sơ đang giải quyết đã quá hạn"),
    "due_today": gettext_noop("Hồ sơ đến hạn hôm nay"),
    "in_progress": gettext_noop("Hồ sơ đang giải quyết"),
}


def behind(
    unit: Unit, measure: str, start: date, end: date, now: datetime
) -> QuerySet[DossierFact]:
    """The facts behind a figure (each a dossier): the same filters the counters add up."""
    facts = DossierFact.objects.filter(agency_id__in=unit.agency_ids)
    received = Q(counted=True, received_on__gte=start, received_on__lt=end)
    ended = Q(counted=True, ended_on__gte=start, ended_on__lt=end, end_at__isnull=False)
    if measure == "received":
        return facts.filter(received)
    if measure == "online":
        return facts.filter(received, channel__in=ONLINE_CHANNELS)
    if measure == "in_progress":
        return facts.filter(received, end_at__isnull=True)
    if measure == "finished":
        return facts.filter(ended)
    if measure == "late":
        return facts.filter(ended, measures__icontains='"finished_late"')
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now, tz).date()
    running = open_facts(unit.agency_ids).filter(open_since__isnull=True)
    if measure == "overdue":
        return running.filter(appointment_at__lt=now)
    if measure == "due_today":
        midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz)
        return running.filter(appointment_at__gte=now, appointment_at__lt=midnight)
    raise KeyError(measure)


def dossier_rows(
    facts: QuerySet[DossierFact],
    *,
    procedure: int | None,
    officer: int | None,
    limit: int = 200,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The dossiers of these facts with their procedure, agency and officer, and the first
    step that ran late: one that ended after its due time, or the open step past its due
    time at `now` (an overdue dossier is late where it waits; not while the citizen's
    supplement pauses the clock).

    The officer is who has the dossier now (`Dossier.assignee`); once a decision ends the
    steps nobody has it, so it is who did the last step (`StepRecord.performed_by`, else
    whom that step was given to). The officer filter keeps the dossiers showing that one."""
    from tinhso.dossiers.models import StepRecord

    now = now or timezone.now()
    if procedure:
        facts = facts.filter(procedure_id=procedure)
    ids = list(facts.order_by("-received_at").values_list("dossier_id", flat=True)[: limit * 4])
    query = Dossier.objects.filter(pk__in=ids).select_related("version", "agency", "assignee")
    if officer:
        query = query.filter(
            Q(assignee_id=officer)
            | Q(step_records__performed_by_id=officer)
            | Q(step_records__assignee_id=officer)
        ).distinct()
    dossiers = list(query.order_by("-received_at")[: limit * 4 if officer else limit])
    paused = {d.pk for d in dossiers if d.state == Dossier.State.SUPPLEMENT_REQUESTED}
    late_steps: dict[int, Any] = {}
    last_steps: dict[int, Any] = {}
    for step in (
        StepRecord.objects.filter(dossier_id__in=[d.pk for d in dossiers])
        .select_related("agency", "assignee", "performed_by")
        .order_by("pk")
    ):
        last_steps[step.dossier_id] = step
        if step.dossier_id in late_steps or not step.due_at:
            continue
        end = step.finished_at
        ended_late = end is not None and end > step.due_at
        waiting_late = end is None and step.due_at < now and step.dossier_id not in paused
        if ended_late or waiting_late:
            late_steps[step.dossier_id] = step
    rows = []
    for d in dossiers:
        last = last_steps.get(d.pk)
        who = d.assignee or (last and (last.performed_by or last.assignee))
        if officer and getattr(who, "pk", None) != officer:
            continue
        rows.append(
            {
                "dossier": d,
                "procedure": d.version.name if d.version_id else "",
                "procedure_id": d.version.procedure_id if d.version_id else None,
                "officer": who,
                "late_step": late_steps.get(d.pk),
            }
        )
    return rows[:limit]


# --- công khai ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicRow:
    agency: str
    month: int
    received: int
    finished: int
    on_time_share: Decimal | None
    online_share: Decimal | None
    satisfied_share: Decimal | None


def public_statistics(year: int) -> list[PublicRow]:
    """Per agency and month of `year`: counts and shares only, no dossier and no person.
    Kept five minutes in the cache (the same for every visitor: nothing personal in it)."""
    key = f"ioc:public:{year}"
    found = cache.get(key)
    if found is not None:
        return found
    rows = (
        UnitMonth.objects.filter(period__gte=date(year, 1, 1), period__lt=date(year + 1, 1, 1))
        .values("agency_id", "period__month", "channel")
        .annotate(
            r=Sum("received"),
            e=Sum("finished_early"),
            o=Sum("finished_on_time"),
            la=Sum("finished_late"),
            rated=Sum("rated"),
            disliked=Sum("disliked"),
        )
        .order_by()
    )
    acc: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 7)
    for row in rows:
        a = acc[(row["agency_id"], row["period__month"])]
        a[0] += row["r"] or 0
        a[1] += (row["e"] or 0) + (row["o"] or 0)
        a[2] += row["la"] or 0
        a[3] += (row["r"] or 0) if row["channel"] in ONLINE_CHANNELS else 0
        a[4] += row["rated"] or 0
        a[5] += row["disliked"] or 0
    names = dict(
        Agency.objects.filter(pk__in={k[0] for k in acc}, is_active=True).values_list("pk", "name")
    )
    out = []
    for (agency_id, month), a in sorted(
        acc.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1])
    ):
        if agency_id not in names or not (a[0] or a[1] or a[2]):
            continue
        finished = a[1] + a[2]
        out.append(
            PublicRow(
                agency=names[agency_id],
                month=month,
                received=a[0],
                finished=finished,
                on_time_share=percent(a[1], finished),
                online_share=percent(a[3], a[0]),
                satisfied_share=percent(a[4] - a[5], a[4]),
            )
        )
    cache.set(key, out, 300)
    return out
