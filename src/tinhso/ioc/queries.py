"""Reads of the operations centre: the Decision 766 index of one unit and period.

Legal source: Decision 766/QĐ-TTg (23/6/2022); the rules are `index766` (pure), this module
only counts. docs/ioc.md lists each indicator's data in tinhso and what is not available.

A unit is a province (its GSO code, 2 digits), an agency (its code, `000.00.03.H66`) or a
commune (its GSO code, 5 digits): the agencies it stands for are the province's active
agencies, the one agency, or the commune's agencies. Dossiers count by their competent
agency (`Dossier.agency`) and by `received_at` in the period (local time).

Queries are bounded whatever the number of dossiers: one read of the period's dossiers with
their counts aggregated in SQL (supplementation requests, results, ratings, sync), one of
the procedures in force, and the payment indicators' own (`payments.queries`). The on-time
rule needs the working-day calendar, so 2.1 and 2.2 walk the period's dossiers of the unit
in Python; province-wide rollups stored per day are a later step (docs/ioc.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum, Value
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core.calendar import current_calendar
from tinhso.core.periods import Period
from tinhso.dossiers.clock import Verdict
from tinhso.dossiers.models import Dossier, DossierResult, Rating
from tinhso.ioc import compiled, index766
from tinhso.ioc.index766 import IndicatorValue, counted, unavailable
from tinhso.payments import queries as payments
from tinhso.people.models import Role
from tinhso.places.models import Agency, Commune, Province

ONLINE_CHANNELS = (Dossier.Channel.WEB, Dossier.Channel.API)  # KenhThucHien = 2
ONLINE_SERVICES = (ProcedureVersion.OnlineType.FULL, ProcedureVersion.OnlineType.PARTIAL)
WITH_RESULT = (Dossier.State.APPROVED, Dossier.State.RESULT_READY, Dossier.State.RETURNED)
VIEWER_ROLES = (Role.IOC_VIEWER, Role.LEADER)
_CENT = Decimal("0.01")


class UnitNotFound(ValueError):
    """No province, agency or commune has this code."""


@dataclass(frozen=True)
class Unit:
    kind: str  # province | agency | commune
    code: str
    name: str
    province_id: int | None
    agencies: tuple[Agency, ...]
    commune_id: int | None = None  # a commune unit's commune (its field reports are by place)

    @property
    def agency_ids(self) -> list[int]:
        return [a.pk for a in self.agencies]


def commune_name(commune: Commune) -> str:
    """A commune named as its place record has it, with its division type ("Phường Bình
    Kiến", "Xã Hòa Phú"): "Bình Kiến" alone does not say which unit a heading is about. A
    name already written with its type is kept as it is (not "Phường Phường …")."""
    kind = commune.division_type.strip().lower()
    if kind and commune.name.lower().startswith(f"{kind} "):
        return commune.name
    return str(commune)


def resolve_unit(code: str) -> Unit:
    """The unit `code` names; UnitNotFound otherwise (three queries at most)."""
    text = (code or "").strip()
    agency = Agency.objects.filter(code=text).first() if text else None
    if agency is not None:
        return Unit("agency", agency.code, agency.name, agency.province_id, (agency,))
    if text.isascii() and text.isdigit() and len(text) <= 2:
        province = Province.objects.filter(code=int(text)).first()
        if province is not None:
            agencies = (
                Agency.objects.filter(province=province, is_active=True)
                .select_related("commune")  # the overview's communes ranking names them
                .order_by("code")
            )
            return Unit("province", text, province.name, province.pk, tuple(agencies))
    elif text.isascii() and text.isdigit() and len(text) <= 6:
        commune = Commune.objects.filter(code=int(text)).first()
        if commune is not None:
            agencies = (
                Agency.objects.filter(commune=commune, is_active=True)
                .select_related("commune")
                .order_by("code")
            )
            return Unit(
                "commune",
                text,
                commune_name(commune),
                commune.province_id,
                tuple(agencies),
                commune.pk,
            )
    raise UnitNotFound(text)


# --- who sees which unit ------------------------------------------------------------------


def may_use_ioc(user: Any) -> bool:
    """An official holding the IOC viewer's or a leader's role somewhere."""
    from tinhso.people.queries import active_roles

    # active_roles: an official's roles at agencies still active (the 2025 mergers closed some)
    return active_roles(user).filter(role__in=VIEWER_ROLES).exists()


def reachable_agency_ids(user: Any) -> tuple[set[int], set[int]]:
    """(agencies the user's IOC or leader roles reach, provinces they see whole).

    A role at an agency reaches it and every agency below it (`parent`); a role at the
    province's People's Committee (level `province`) reaches the whole province."""
    from tinhso.people.queries import active_roles

    held = list(
        active_roles(user)
        .filter(role__in=VIEWER_ROLES)
        .order_by()
        .values_list("agency_id", "agency__level", "agency__province_id")
        .distinct()
    )
    provinces = {p for _, level, p in held if level == Agency.Level.PROVINCE and p is not None}
    reach = {pk for pk, _, _ in held}
    family = list(
        Agency.objects.filter(province_id__in={p for _, _, p in held}).values_list(
            "pk", "parent_id"
        )
    )
    children: dict[int, list[int]] = {}
    for pk, parent in family:
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    todo = list(reach)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in reach:
                reach.add(child)
                todo.append(child)
    return reach, provinces


def may_see_unit(user: Any, unit: Unit) -> bool:
    reach, provinces = reachable_agency_ids(user)
    if unit.kind == "province":
        return unit.province_id in provinces
    if unit.province_id in provinces:
        return True
    return bool(unit.agencies) and all(a.pk in reach for a in unit.agencies)


def access_unit(user: Any, code: str) -> Unit:
    """The unit if this official may see it; Http404 when it is out of their reach (an
    unknown code is the caller's UnitNotFound, a 422)."""
    unit = resolve_unit(code)
    if not may_see_unit(user, unit):
        raise Http404(_("Không tìm thấy đơn vị trong phạm vi được xem."))
    return unit


# --- the index ----------------------------------------------------------------------------


def configured_maxima() -> dict[str, Decimal]:
    """`IOC_766_MAXIMA` ({code: points}) over the defaults; see index766.maxima."""
    overrides: Mapping[str, Any] | None = getattr(settings, "IOC_766_MAXIMA", None)
    return index766.maxima(overrides)


def national_sync_available() -> bool:
    """Whether the national portal's sync records (issue 15, `tinhso.dvcqg`) are installed."""
    return apps.is_installed("tinhso.dvcqg")


@dataclass(frozen=True)
class UnitIndex:
    unit: Unit
    period: Period
    index: index766.Index

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": {"kind": self.unit.kind, "code": self.unit.code, "name": self.unit.name},
            "period": str(self.period),
            **self.index.as_dict(),
        }


def scan_index(unit: Unit, period: Period, *, now: datetime | None = None) -> UnitIndex:
    """The index counted by scanning the period's dossiers (the first slice's way, kept as
    the reference the rollups are tested and benchmarked against: `unit_index` reads the
    rollups). A period not yet over is judged at `now`."""
    tz = timezone.get_current_timezone()
    start, end = period.bounds(tz)
    now = now or timezone.now()
    judged_at = min(end, now)
    table = configured_maxima()
    calendar = current_calendar()
    ids = unit.agency_ids

    sync = national_sync_available()
    dossiers = Dossier.objects.filter(
        received_at__gte=start, received_at__lt=end, agency_id__in=ids
    )
    annotations: dict[str, Any] = {
        "requests": Count(
            "supplements",
            filter=Q(supplements__during_processing=True, supplements__requested_at__lt=judged_at),
            distinct=True,
        ),
        "open_since": Min(
            "supplements__requested_at",
            filter=Q(
                supplements__during_processing=True,
                supplements__requested_at__lt=judged_at,
                supplements__answered_at__isnull=True,
            ),
        ),
        "has_result": Exists(
            DossierResult.objects.filter(dossier=OuterRef("pk"), issued_at__lt=judged_at)
        ),
        "disliked": Exists(
            Rating.objects.filter(dossier=OuterRef("pk"), level=Rating.Level.NOT_SATISFIED)
        ),
    }
    if sync:
        from tinhso.dvcqg.models import SyncState

        annotations["synced"] = Exists(
            SyncState.objects.filter(dossier=OuterRef("pk"), created_at_portal=True)
        )
    rows = list(
        dossiers.annotate(**annotations)
        .values(
            "state",
            "channel",
            "version__procedure_id",
            "clock_start_at",
            "received_at",
            "appointment_at",
            "finished_at",
            "returned_at",
            *annotations,
        )
        .order_by()
    )

    received = late = on_time = disliked = synced = online = 0
    finished = 0
    finished_days = Decimal(0)
    with_result = results = 0
    online_procedures: set[int] = set()
    for row in rows:
        if not index766.counts_for_progress(row["state"], row["received_at"] is not None):
            continue
        received += 1
        synced += bool(row.get("synced"))
        disliked += bool(row["disliked"])
        if row["channel"] in ONLINE_CHANNELS:
            online += 1
            online_procedures.add(row["version__procedure_id"])
        end_at = row["finished_at"] or row["returned_at"]
        ended = end_at is not None and end_at < judged_at
        if ended and row["state"] in WITH_RESULT:
            with_result += 1
            results += bool(row["has_result"])
        if ended:
            finished += 1
            begun = row["clock_start_at"] or row["received_at"]
            finished_days += Decimal(str(calendar.working_days_between(begun, end_at)))
        if row["appointment_at"] is None:
            late += 1  # received without an appointment: nothing shows it was on time
            continue
        pauses = [(row["open_since"], None)] if row["open_since"] else []
        verdict = index766.dossier_verdict(
            calendar,
            appointment=row["appointment_at"],
            end=end_at,
            period_end=judged_at,
            supplement_requests=row["requests"],
            pauses=pauses,
        )
        if verdict is Verdict.LATE:
            late += 1
        else:
            on_time += 1

    offered = {p: o[0] for p, o in _offered_procedures(unit, end).items()}
    offered_online = {p for p, is_online in offered.items() if is_online}

    values: list[IndicatorValue] = [
        unavailable("1.1", NOT_HELD["1.1"], table["1.1"]),
        unavailable("1.2", NOT_HELD["1.2"], table["1.2"]),
        unavailable("1.3", NOT_HELD["1.3"], table["1.3"]),
        counted("1.4", synced, received, table["1.4"])
        if sync
        else unavailable("1.4", NOT_HELD["1.4"], table["1.4"]),
        counted("2.1", on_time, received, table["2.1"]),
        IndicatorValue(
            "2.2",
            table["2.2"],
            denominator=finished,
            value=(finished_days / finished).quantize(_CENT, ROUND_HALF_UP) if finished else None,
            unit="working_days",
            unscored=_(
                "Thời gian giải quyết trung bình (ngày làm việc): mô tả công thức 766 không "
                "cho cách tính điểm; chỉ hiển thị giá trị."
            ),
        ),
        counted("3.1", len(offered_online), len(offered), table["3.1"]),
        counted("3.2", len(offered_online & online_procedures), len(offered_online), table["3.2"]),
        counted("3.3", online, received, table["3.3"]),
        *_payments(unit, period, table),
        counted("4.1", results, with_result, table["4.1"]),
        *(unavailable(code, NOT_HELD[code], table[code]) for code in ("4.2", "4.3", "4.4", "4.5")),
        *(unavailable(code, NOT_HELD[code], table[code]) for code in ("5.1", "5.2", "5.3")),
        counted("5.4", *index766.satisfaction(received, late, disliked), table["5.4"]),
    ]
    return UnitIndex(unit, period, index766.assemble(values))


def _offered_procedures(unit: Unit, end: datetime) -> dict[int, tuple[bool, Any, bool]]:
    """{procedure: (offered online, fee table, accepts online payment's channel)} of the
    procedures the unit's agencies offer, each by its version in force at `end` (the last
    published before it); one query."""
    levels = {a.level for a in unit.agencies}
    versions = (
        ProcedureVersion.objects.filter(
            Q(procedure__agency_id__in=unit.agency_ids) | Q(procedure__agency__isnull=True),
            state__in=(ProcedureVersion.State.PUBLISHED, ProcedureVersion.State.SUPERSEDED),
            published_at__lt=end,
            procedure__is_active=True,
        )
        .order_by("procedure_id", "-published_at", "-number")
        .values_list(
            "procedure_id",
            "procedure__agency_id",
            "procedure__levels",
            "online_type",
            "fees",
            "channels",
        )
    )
    offered: dict[int, tuple[bool, Any, bool]] = {}
    seen: set[int] = set()
    for procedure_id, agency_id, procedure_levels, online_type, fees, channels in versions:
        if procedure_id in seen:
            continue
        seen.add(procedure_id)
        if agency_id is None and not (
            isinstance(procedure_levels, list) and levels & set(procedure_levels)
        ):
            continue
        # ProcedureVersion.accepts_online, without building a model instance per row
        accepts = online_type != ProcedureVersion.OnlineType.NONE and "online" in (channels or [])
        offered[procedure_id] = (online_type in ONLINE_SERVICES, fees, accepts)
    return offered


def _procedures_read(m: compiled.Markers, count: int) -> QuerySet[Any]:
    """The versions of the procedures the agencies (or no agency) offer published before
    `end` (every version: the one in force is picked in Python, as `_offered_procedures`'
    ordering picks it), and after them the procedures that received an online dossier in
    [`start`, `stop`) (`ProcedureMonth`), their other columns null."""
    from django.db.models import BigIntegerField, CharField, DateTimeField, Field, TextField
    from django.db.models.functions import Cast

    from tinhso.ioc.models import ProcedureMonth

    versions = (
        ProcedureVersion.objects.filter(
            Q(procedure__agency_id__in=m.ids("ids", count)) | Q(procedure__agency__isnull=True),
            state__in=(ProcedureVersion.State.PUBLISHED, ProcedureVersion.State.SUPERSEDED),
            published_at__lt=m.moment("end"),
            procedure__is_active=True,
        )
        # the JSON columns as the database's text: decoded and judged once per distinct text
        # (`_fee_flags`, `_accepts`, `_levels`), not once per row and request
        .annotate(
            t_levels=Cast("procedure__levels", TextField()),
            t_fees=Cast("fees", TextField()),
            t_channels=Cast("channels", TextField()),
        )
        .values_list(
            "procedure_id",
            "procedure__agency_id",
            "t_levels",
            "online_type",
            "t_fees",
            "t_channels",
            "published_at",
            "number",
        )
        .order_by()
    )
    none: dict[str, Field[Any, Any]] = {
        "agency": BigIntegerField(),
        "levels": TextField(),
        "online_type": CharField(),
        "fees": TextField(),
        "channels": TextField(),
        "published_at": DateTimeField(),
        "number": BigIntegerField(),
    }
    online = (
        ProcedureMonth.objects.filter(
            agency_id__in=m.ids("ids", count),
            period__gte=m.date("start"),
            period__lt=m.date("stop"),
            online_received__gt=0,
        )
        .annotate(**{f"n_{k}": Cast(Value(None), output_field=f) for k, f in none.items()})
        .values_list("procedure_id", *(f"n_{k}" for k in none))
        .distinct()
        .order_by()
    )
    return versions.union(online, all=True)


def _procedures(
    unit: Unit, period: Period, end: datetime
) -> tuple[dict[int, tuple[bool, bool, bool]], set[int]]:
    """({procedure in force: (offered online, fee-bearing, integrated with online payment)},
    the procedures that received an online dossier in the period): one read
    (`_procedures_read`), the rows as tuples; the same judgement as `_offered_procedures`
    and `payments.indicators.procedures_indicator`."""
    levels = {a.level for a in unit.agencies}
    count = len(unit.agencies)
    values = {"ids": unit.agency_ids, "end": end, "start": period.start, "stop": period.end}
    in_force: dict[int, tuple[Any, ...]] = {}
    online: set[int] = set()
    for row in compiled.rows("procedures", count, lambda m: _procedures_read(m, count), values):
        if row[6] is None:  # published_at: a procedure with an online dossier
            online.add(row[0])
            continue
        seen = in_force.get(row[0])
        if seen is None or (row[6], row[7]) > (seen[6], seen[7]):
            in_force[row[0]] = row
    offered: dict[int, tuple[bool, bool, bool]] = {}
    for procedure_id in sorted(in_force):
        _, agency_id, procedure_levels, online_type, fees, channels, _, _ = in_force[procedure_id]
        if agency_id is None and not levels & _levels(procedure_levels):
            continue
        accepts = _accepts(online_type, channels)
        offered[procedure_id] = (online_type in ONLINE_SERVICES, *_fee_flags(fees, accepts))
    return offered, online


# A JSON column's text decoded as `JSONField.from_db_value` decodes it, and what the index
# judges of it, kept per distinct text: each is a pure function of the text (no database, no
# clock, no setting), so a procedure changed by the admin or a test is a new text and judged
# afresh, whatever the catalogue's generation. Bounded: a few hundred procedures in force.


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@lru_cache(maxsize=4096)
def _levels(text: str | None) -> frozenset[Any]:
    """A procedure's levels (no agency: offered at these levels); empty when not a list."""
    found = _json(text)
    return frozenset(found) if isinstance(found, list) else frozenset()


@lru_cache(maxsize=4096)
def _accepts(online_type: str, channels: str | None) -> bool:
    """ProcedureVersion.accepts_online, without building a model instance per row."""
    return online_type != ProcedureVersion.OnlineType.NONE and "online" in (_json(channels) or [])


@lru_cache(maxsize=4096)
def _fee_flags(fees: str | None, accepts: bool) -> tuple[bool, bool]:
    """(fee-bearing, integrated with online payment) of a version's fee table (3.5)."""
    from tinhso.payments import indicators as pay

    table = _json(fees)
    bearing = pay.is_fee_bearing(table)
    return bearing, bearing and pay.offers_online_payment(table, accepts)


def _payments(unit: Unit, period: Period, table: dict[str, Decimal]) -> list[IndicatorValue]:
    """3.5 and 3.6 from `payments.queries.payment_indicators`: the one agency's, or the sum
    of the unit's agencies' rows (3.5 of several agencies counts a procedure they share once
    per agency; the province as a whole uses the payments report's own total)."""
    if unit.kind == "agency":
        report = payments.payment_indicators(period, agency=unit.agencies[0])
        return _as_values(report.total.procedures, report.total.dossiers, table)
    report = payments.payment_indicators(period)
    wanted = {a.code for a in unit.agencies}
    rows = [r for r in report.agencies if r.code in wanted]
    if unit.kind == "province" and wanted == {r.code for r in report.agencies}:
        return _as_values(report.total.procedures, report.total.dossiers, table)
    if not rows:
        return [counted("3.5", 0, 0, table["3.5"]), counted("3.6", 0, 0, table["3.6"])]
    procedures, dossiers = rows[0].procedures, rows[0].dossiers
    for r in rows[1:]:
        procedures, dossiers = procedures + r.procedures, dossiers + r.dossiers
    return _as_values(procedures, dossiers, table)


def _as_values(procedures: Any, dossiers: Any, table: dict[str, Decimal]) -> list[IndicatorValue]:
    return [
        counted("3.5", procedures.numerator, procedures.denominator, table["3.5"]),
        counted("3.6", dossiers.numerator, dossiers.denominator, table["3.6"]),
    ]


# shown to a provincial leader: plain Vietnamese, no field names (docs/ioc.md has them)
NOT_HELD = {
    "1.1": gettext_noop(
        "Hệ thống chưa lưu quyết định công bố thủ tục và ngày văn bản pháp luật có hiệu lực."
    ),
    "1.2": gettext_noop(
        "Hệ thống chưa lưu ngày cập nhật, công khai thủ tục trên Cơ sở dữ liệu quốc gia."
    ),
    "1.3": gettext_noop(
        "Hệ thống chưa kiểm tra thủ tục có đủ 7 bộ phận theo Nghị định 63/2010, Điều 8."
    ),
    "1.4": gettext_noop(
        "Chưa bật đồng bộ hồ sơ với Cổng Dịch vụ công quốc gia nên chưa có số liệu."
    ),
    "4.2": gettext_noop(
        "Hệ thống ghi từng giấy tờ được số hóa, nhưng chưa tính theo cách của quốc gia "
        "(hồ sơ số hóa đủ mọi thành phần và cả kết quả)."
    ),
    "4.3": gettext_noop(
        "Hệ thống đã ghi giấy tờ được dùng lại theo từng hồ sơ, nhưng chưa đưa vào cách tính "
        "chỉ số này."
    ),
    "4.4": gettext_noop(
        "Hệ thống đã ghi giấy tờ lấy từ kho dữ liệu của người dân, nhưng chưa đưa vào cách "
        "tính chỉ số này."
    ),
    "4.5": gettext_noop(
        "Hệ thống chưa ghi theo từng hồ sơ việc xác thực người nộp qua Cơ sở dữ liệu quốc gia "
        "về dân cư hoặc tài khoản định danh điện tử."
    ),
    "5.1": gettext_noop(
        "Hệ thống mới nhận phản ánh về hiện trường, chưa nhận phản ánh, kiến nghị về thủ tục "
        "hành chính nên chưa có số liệu."
    ),
}
NOT_HELD["5.2"] = NOT_HELD["5.3"] = NOT_HELD["5.1"]


# --- the index from the rollups ---------------------------------------------------------------

PREFIX = {"month": "m", "quarter": "q", "year": "y"}


def _rejudged(
    appointment: datetime, open_since: datetime | None, requests: int, end: datetime, now: datetime
) -> int:
    """The change to 2.1's on-time count of one open dossier of a period not yet over: its
    verdict now less its verdict at the period's end (what the counters hold), -1, 0 or 1."""
    calendar = current_calendar()
    pauses = [(open_since, None)] if open_since else []
    at_end, at_now = (
        index766.dossier_verdict(
            calendar,
            appointment=appointment,
            end=None,
            period_end=moment,
            supplement_requests=requests,
            pauses=pauses,
        )
        is not Verdict.LATE
        for moment in (end, now)
    )
    return int(at_now) - int(at_end)


def on_time_now_correction(
    agency_ids: Iterable[int], period: Period, *, now: datetime, by: str = "agency_id"
) -> dict[int, int]:
    """Indicator 2.1 for a period not yet over is judged at `now`: the counters hold each
    dossier as judged at its period's end, so the open dossiers whose appointment falls
    between now and that end (or whose supplementation pause is open) are judged again from
    their facts. Returns the change to the on-time count per agency (or per commune, `by`),
    so the index (`unit_index`) and the ranking (`dashboard.ranking`) count 2.1 alike.
    (The overview reads the same in its own two reads of the open facts, shared by its
    index and its rankings: `open_figures`.)"""
    from tinhso.ioc.models import DossierFact

    end = period.bounds(timezone.get_current_timezone())[1]
    out: dict[int, int] = {}
    if now >= end:
        return out
    open_facts = DossierFact.objects.filter(
        agency_id__in=list(agency_ids),
        received_on__gte=period.start,
        received_on__lt=period.end,
        counted=True,
        end_at__isnull=True,
        appointment_at__isnull=False,
    )
    # Not paused, at most one request: no pause moves the appointment, so the verdict at a
    # moment is "late" exactly when the moment is past the appointment; judged now (on or
    # before it) on time, at the end late when the appointment comes before it. So these
    # are counted in SQL, not judged one by one (by a column of the covering partial index
    # `ioc_fact_open_due`, which answers without reading the facts).
    for key, n in (
        open_facts.filter(
            open_since__isnull=True,
            requests__lte=1,
            appointment_at__gte=now,
            appointment_at__lt=end,
        )
        .values_list(by)
        .annotate(n=Count("agency_id"))
        .order_by()
    ):
        out[key] = out.get(key, 0) + n
    paused = open_facts.filter(open_since__isnull=False)
    for key, appointment, open_since, requests in paused.values_list(
        by, "appointment_at", "open_since", "requests"
    ):
        out[key] = out.get(key, 0) + _rejudged(appointment, open_since, requests, end, now)
    return out


@dataclass(frozen=True)
class OpenFigures:
    """What the overview needs from the open dossiers' facts, per (agency, commune) where it
    is summed both ways: running and due from now on (`ahead`), of them due before
    `midnight` (`due_today`), waiting for the citizen (`paused`), running without an
    appointment (`undated`), and the change to 2.1's on-time count of `period` judged at now
    (`on_time_delta`, `on_time_now_correction`'s figure; empty for a period that is over)."""

    ahead: int
    due_today: int
    paused: int
    undated: int
    on_time_delta: dict[tuple[int, int], int]

    def delta_by(self, index: int) -> dict[int, int]:
        """on_time_delta summed per agency (index 0) or per commune (1)."""
        out: dict[int, int] = {}
        for key, n in self.on_time_delta.items():
            out[key[index]] = out.get(key[index], 0) + n
        return out


def open_figures(
    agency_ids: list[int], period: Period | None, *, now: datetime, midnight: datetime
) -> OpenFigures:
    """Two reads, whatever the number of dossiers: (1) the running dossiers due from now on,
    counted in SQL per agency and commune from the covering partial index `ioc_fact_open_due`
    (an index-only range as long as the dossiers due ahead, never the overdue or the
    history); (2) the paused and undated open dossiers, the paused of the period judged one
    by one (the pause moves the appointment: the working calendar decides)."""

    if period is None:  # the counts only (`dashboard.overdue_and_due_today`)
        current, end, first, last = False, now, date.min, date.min
    else:
        end = period.bounds(timezone.get_current_timezone())[1]
        current, first, last = now < end, period.start, period.end
    values = {
        "ids": agency_ids,
        "now": now,
        "midnight": midnight,
        "end": end,
        "first": first,
        "last": last,
    }
    delta: dict[tuple[int, int], int] = {}
    ahead = due_today = 0
    count = len(agency_ids)
    for agency, commune, n, today, rejudged in compiled.rows(
        "open_ahead", count, lambda m: _open_ahead(m, count), values
    ):
        ahead += n
        due_today += today
        if current and rejudged:
            delta[(agency, commune)] = delta.get((agency, commune), 0) + rejudged
    paused = undated = 0
    for agency, commune, received_on, appointment, open_since, requests in compiled.rows(
        "open_waiting", count, lambda m: _open_waiting(m, count), values
    ):
        if open_since is None:
            undated += 1
            continue
        paused += 1
        if current and appointment is not None and received_on and first <= received_on < last:
            key = (agency, commune)
            delta[key] = delta.get(key, 0) + _rejudged(appointment, open_since, requests, end, now)
    return OpenFigures(ahead, due_today, paused, undated, delta)


def _open_facts(m: compiled.Markers, count: int) -> QuerySet[Any]:
    from tinhso.ioc.models import DossierFact

    return DossierFact.objects.filter(
        agency_id__in=m.ids("ids", count), counted=True, end_at__isnull=True
    )


def _open_ahead(m: compiled.Markers, count: int) -> QuerySet[Any]:
    """`open_figures`' first read: the running dossiers due from now on, per agency and
    commune (`now`, `midnight`, `end`, the period's `first` and `last` days)."""
    facts = _open_facts(m, count)
    now, midnight, end = m.moment("now"), m.moment("midnight"), m.moment("end")
    in_period = Q(received_on__gte=m.date("first"), received_on__lt=m.date("last"))
    return (
        facts.filter(open_since__isnull=True, appointment_at__gte=now)
        .values_list("agency_id", "commune_id")
        .annotate(
            # counted by a column of the index (`Count("pk")` would read each fact)
            n=Count("agency_id"),
            today=Count("agency_id", filter=Q(appointment_at__lt=midnight)),
            rejudged=Count(
                "agency_id", filter=in_period & Q(requests__lte=1, appointment_at__lt=end)
            ),
        )
        .order_by()
    )


def _open_waiting(m: compiled.Markers, count: int) -> QuerySet[Any]:
    """`open_figures`' second read: the paused and the undated open dossiers."""
    waiting = _open_facts(m, count).filter(
        Q(open_since__isnull=False) | Q(appointment_at__isnull=True)
    )
    return waiting.values_list(
        "agency_id", "commune_id", "received_on", "appointment_at", "open_since", "requests"
    ).order_by()


def index_sums(period: Period) -> dict[str, Any]:
    """The month counters' sums the index reads (`UnitMonth`, `t_<name>`), 2.1 to 4.1 as
    judged at the end of the period's kind (month, quarter, year)."""
    p = PREFIX[period.kind]
    return {
        "t_received": Sum("received"),
        "t_online": Sum("received", filter=Q(channel__in=ONLINE_CHANNELS)),
        "t_fee_received": Sum("fee_received"),
        "t_fee_paid_online": Sum("fee_paid_online"),
        "t_synced": Sum("synced"),
        "t_disliked": Sum("disliked"),
        "t_on_time": Sum(f"{p}_on_time"),
        "t_ended": Sum(f"{p}_ended"),
        "t_days": Sum(f"{p}_days"),
        "t_with_result": Sum(f"{p}_with_result"),
        "t_result": Sum(f"{p}_result"),
    }


def unit_index(unit: Unit, period: Period, *, now: datetime | None = None) -> UnitIndex:
    """Every indicator of `unit` in `period`, read from the rollups (`ioc.rollups`): counted
    where tinhso holds the data, otherwise unavailable with the reason. A period not yet over
    is judged at `now`: the counters hold each dossier as judged at the end of its period,
    so the dossiers still open whose appointment falls between now and that end (or whose
    supplementation pause is open) are judged again from their facts.

    Three queries for an agency, a commune or the province, whatever the number of dossiers:
    the month counters, the procedures with an online dossier, the procedures in force; and
    a period not yet over two more on the open facts (a count and the paused ones). The
    overview (`dashboard.overview`) reads the counters and the open facts once for its
    index, glance and rankings, and calls `index_from_totals`."""
    from tinhso.ioc.models import UnitMonth

    now = now or timezone.now()
    ids = unit.agency_ids
    # a period is whole months: its months' pre-summed counters (no procedure, no day), a
    # few hundred rows for a province whatever the number of dossiers (docs/ioc.md)
    row = UnitMonth.objects.filter(
        agency_id__in=ids, period__gte=period.start, period__lt=period.end
    ).aggregate(**index_sums(period))
    totals = {k[2:]: int(v or 0) for k, v in row.items()}  # t_received → received
    totals["on_time"] += sum(on_time_now_correction(ids, period, now=now).values())
    return index_from_totals(unit, period, totals)


def index_from_totals(unit: Unit, period: Period, totals: Mapping[str, int]) -> UnitIndex:
    """The index from the period's counter totals (`index_sums`' names without `t_`, 2.1's
    on-time count already judged at now for a period not yet over): one more read, the
    procedures with an online dossier (3.2) and the procedures in force (3.1, 3.5) in one
    round trip (`_procedures`)."""
    from tinhso.ioc.rollups import MICRO
    from tinhso.payments import indicators as pay

    end = period.bounds(timezone.get_current_timezone())[1]
    table = configured_maxima()
    sync = national_sync_available()
    received, on_time, synced = totals["received"], totals["on_time"], totals["synced"]
    online, disliked, finished = totals["online"], totals["disliked"], totals["ended"]
    days, with_result, results = totals["days"], totals["with_result"], totals["result"]
    fee_received, fee_online = totals["fee_received"], totals["fee_paid_online"]
    # 3.2: the procedures that received an online dossier in the period; 3.1, 3.5: those in
    # force (one round trip)
    offered, online_procedures = _procedures(unit, period, end)
    late = received - on_time
    offered_online = {pk for pk, entry in offered.items() if entry[0]}
    fee_procedures = pay.indicator(
        pay.PROCEDURES,
        sum(online_payment for _, _, online_payment in offered.values()),
        sum(bearing for _, bearing, _ in offered.values()),
    )

    values: list[IndicatorValue] = [
        unavailable("1.1", NOT_HELD["1.1"], table["1.1"]),
        unavailable("1.2", NOT_HELD["1.2"], table["1.2"]),
        unavailable("1.3", NOT_HELD["1.3"], table["1.3"]),
        counted("1.4", synced, received, table["1.4"])
        if sync
        else unavailable("1.4", NOT_HELD["1.4"], table["1.4"]),
        counted("2.1", on_time, received, table["2.1"]),
        IndicatorValue(
            "2.2",
            table["2.2"],
            denominator=finished,
            value=(Decimal(days) / MICRO / finished).quantize(_CENT, ROUND_HALF_UP)
            if finished
            else None,
            unit="working_days",
            unscored=_(
                "Thời gian giải quyết trung bình (ngày làm việc): mô tả công thức 766 không "
                "cho cách tính điểm; chỉ hiển thị giá trị."
            ),
        ),
        counted("3.1", len(offered_online), len(offered), table["3.1"]),
        counted("3.2", len(offered_online & online_procedures), len(offered_online), table["3.2"]),
        counted("3.3", online, received, table["3.3"]),
        counted("3.5", fee_procedures.numerator, fee_procedures.denominator, table["3.5"]),
        counted("3.6", fee_online, fee_received, table["3.6"]),
        counted("4.1", results, with_result, table["4.1"]),
        *(unavailable(code, NOT_HELD[code], table[code]) for code in ("4.2", "4.3", "4.4", "4.5")),
        *(unavailable(code, NOT_HELD[code], table[code]) for code in ("5.1", "5.2", "5.3")),
        counted("5.4", *index766.satisfaction(received, late, disliked), table["5.4"]),
    ]
    return UnitIndex(unit, period, index766.assemble(values))
