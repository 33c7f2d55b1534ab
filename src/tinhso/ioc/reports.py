"""Periodic reports (báo cáo định kỳ) on handling administrative procedures: the monthly and
quarterly report of a province, an agency or a commune, as XLSX and PDF, generated on
schedule, kept in an archive and announced to the leaders.

Legal sources: Decree 118/2025/NĐ-CP (one-stop handling of administrative procedures and
its periodic reporting); Circular 01/2023/TT-VPCP (digitisation of dossiers and results,
electronic results: the digitised, reused and electronic-result columns); Decision
766/QĐ-TTg (the index groups). The columns follow the usual form "Tình hình, kết quả giải
quyết thủ tục hành chính" of the Government Office's reporting regime; the form itself is
not in the shared reference, so the columns are our reading, configurable
(`IOC_REPORT_COLUMNS`) and listed in docs/ioc.md [UNCONFIRMED].

The figures are the operations centre's own: the counters (`DossierDay`) and facts
(`DossierFact`) the IOC pages read, and `queries.unit_index` for the 766 table, so a report
and the pages give the same numbers for the same unit and period. Each count that a page
lists dossiers for carries that page's address (`link`).

`generate` is the one action: it computes and renders before any transaction (rendering a
PDF takes a second), stores both files, then in one transaction writes the row, its audit
record and the notifications (outbox): no network call inside it. A file stored for a
transaction that then fails is removed.

The report is an administrative document sent to the leaders, in Vietnamese whatever the
language of whoever asked for it (like the one-stop forms, `dossiers/forms_pdf.py`): it is
computed and rendered under `translation.override("vi")`, and its headings, columns and
period labels are Vietnamese data (tests/web/test_gettext_coverage.py, DATA). The archive
page around it is interface and translated.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tinhso.core import audit, notify, outbox
from tinhso.core.models import ProcessedMessage
from tinhso.core.periods import Period
from tinhso.dossiers.models import Dossier
from tinhso.ioc import queries
from tinhso.ioc.errors import (
    REPORT_FILE_CHANGED,
    REPORT_PERIOD_FUTURE,
    REPORT_PERIOD_KIND,
    ReportError,
)
from tinhso.ioc.models import DossierDay, DossierFact, PeriodicReport
from tinhso.ioc.queries import ONLINE_CHANNELS, Unit, UnitIndex
from tinhso.people.models import Role, RoleAssignment
from tinhso.places.models import Agency, Commune, Province

log = logging.getLogger("tinhso.ioc")

# --- the columns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    group: str
    measure: str = ""  # the drill-down page's measure listing these dossiers ("" = none)


RECEIVED = "Số hồ sơ nhận giải quyết"
FINISHED = "Số hồ sơ đã giải quyết"
IN_PROGRESS = "Số hồ sơ đang giải quyết"
OTHER = "Tình hình khác"

COLUMNS: tuple[Column, ...] = (
    Column("total", "Tổng số", RECEIVED),
    Column("carried", "Kỳ trước chuyển qua", RECEIVED),
    Column("received", "Mới tiếp nhận", RECEIVED, "received"),
    Column("online", "Trực tuyến", RECEIVED, "online"),
    Column("national", "Trong đó qua Cổng DVC quốc gia", RECEIVED),
    Column("counter", "Trực tiếp", RECEIVED),
    Column("post", "Qua bưu chính", RECEIVED),
    Column("finished", "Tổng số", FINISHED, "finished"),
    Column("finished_early", "Trước hạn", FINISHED),
    Column("finished_on_time", "Đúng hạn", FINISHED),
    Column("finished_late", "Quá hạn", FINISHED, "late"),
    Column("in_progress", "Tổng số", IN_PROGRESS),
    Column("in_progress_within", "Trong hạn", IN_PROGRESS),
    Column("in_progress_past", "Quá hạn", IN_PROGRESS, "overdue"),
    Column("supplement_requested", "Yêu cầu bổ sung", OTHER),
    Column("refused", "Từ chối giải quyết", OTHER),
    Column("withdrawn", "Rút hồ sơ", OTHER),
    Column("rejected", "Không tiếp nhận", OTHER),
    Column("paid_online", "Thanh toán trực tuyến", OTHER),
    Column("digitised", "Có giấy tờ được số hóa", OTHER),
    Column("reused", "Tái sử dụng dữ liệu", OTHER),
    Column("e_result", "Có kết quả điện tử", OTHER),
)
KEYS = tuple(c.key for c in COLUMNS)
# the counters summed as they are; the rest are derived below
SUMMED = (
    "received",
    "supplement_requested",
    "refused",
    "withdrawn",
    "rejected",
    "paid_online",
    "digitised",
    "reused",
    "e_result",
    "finished_early",
    "finished_on_time",
    "finished_late",
)


def columns() -> tuple[Column, ...]:
    """The columns printed: `IOC_REPORT_COLUMNS` (a list of keys, in order) or all of them.
    An unknown key is a configuration error, said at once."""
    wanted: Sequence[str] | None = getattr(settings, "IOC_REPORT_COLUMNS", None)
    if not wanted:
        return COLUMNS
    unknown = [k for k in wanted if k not in KEYS]
    if unknown:
        raise ValueError(f"IOC_REPORT_COLUMNS: unknown columns {unknown}; known: {KEYS}")
    by_key = {c.key: c for c in COLUMNS}
    return tuple(by_key[k] for k in wanted)


# --- the figures -------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the report: an agency, a commune or the whole unit."""

    code: str
    name: str
    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KEYS, 0))
    links: dict[str, str] = field(default_factory=dict)

    def add(self, other: Row) -> None:
        for key in KEYS:
            self.values[key] += other.values[key]


@dataclass
class Content:
    """Everything a report prints, computed once and rendered twice (XLSX, PDF)."""

    unit: Unit
    period: Period
    judged_at: datetime
    provisional: bool
    generated_at: datetime
    columns: tuple[Column, ...]
    agencies: list[Row]
    communes: list[Row]
    total: Row
    index: UnitIndex
    overview_url: str

    @property
    def title(self) -> str:
        return "Báo cáo tình hình, kết quả giải quyết thủ tục hành chính"

    @property
    def period_label(self) -> str:
        return period_label(self.period)

    def figures(self) -> dict[str, Any]:
        """What the archive keeps of the figures: the unit's line and the 766 points."""
        index = self.index.index
        return {
            "total": dict(self.total.values),
            "index": {
                "points": str(index.points),
                "scored_maximum": str(index.scored_maximum),
                "maximum": str(index.maximum),
            },
        }


def period_label(period: Period) -> str:
    last = period.end - timedelta(days=1)
    span = f"từ ngày {period.start:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"
    if period.kind == "month":
        return f"Tháng {period.number} năm {period.year} ({span})"
    return f"Quý {('I', 'II', 'III', 'IV')[period.number - 1]} năm {period.year} ({span})"


def _site(base: str | None) -> str:
    """Where the report's links point: the page's own scheme and host when it is made from a
    page (`base`, request.build_absolute_uri("/")), else the configured `SITE_URL` (on
    schedule, from a command: there is no request)."""
    return (base or settings.SITE_URL).rstrip("/")


def drill_url(unit_code: str, period: Period, measure: str, base: str | None = None) -> str:
    """The address of the IOC page listing the dossiers behind a figure."""
    query = urlencode({"unit": unit_code, "period": str(period), "measure": measure})
    return f"{_site(base)}{reverse('ioc:dossiers')}?{query}"


def overview_url(unit_code: str, period: Period, base: str | None = None) -> str:
    query = urlencode({"unit": unit_code, "period": str(period)})
    return f"{_site(base)}{reverse('ioc:overview')}?{query}"


def _check_period(period: Period, now: datetime) -> tuple[datetime, datetime]:
    if period.kind not in ("month", "quarter"):
        raise ReportError(REPORT_PERIOD_KIND, fields={"period": REPORT_PERIOD_KIND.message})
    start, end = period.bounds(timezone.get_current_timezone())
    if start > now:
        raise ReportError(REPORT_PERIOD_FUTURE, fields={"period": REPORT_PERIOD_FUTURE.message})
    return start, end


def agency_rows(
    agencies: Sequence[Agency], period: Period, *, now: datetime
) -> dict[int, dict[str, int]]:
    """{agency: {column: n}} for the period, from the rollups: one query on the counters
    (grouped by agency and channel), two on the facts, one on the national portal's records.

    - received … e_result: the counters of the period's days, as the overview and the
      drill-down add them (received by reception day, finished and refused by end day);
    - carried over: received before the period and not ended before it;
    - in progress: received and not ended at the period's end (a period not yet over: now),
      past the appointment when the appointment is before that moment; now, a dossier whose
      supplementation pause is open is not past it (the overview's "đang quá hạn").
    """
    tz = timezone.get_current_timezone()
    start_at, end_at = period.bounds(tz)
    judged = min(end_at, now)
    provisional = now < end_at
    ids = [a.pk for a in agencies]
    out: dict[int, dict[str, int]] = {pk: dict.fromkeys(KEYS, 0) for pk in ids}

    counters: Iterable[Any] = (
        DossierDay.objects.filter(agency_id__in=ids, day__gte=period.start, day__lt=period.end)
        .values("agency_id", "channel")
        .annotate(**{name: Sum(name) for name in SUMMED})
        .order_by()
    )
    for row in counters:
        values = out[row["agency_id"]]
        for name in SUMMED:
            values[name] += row[name] or 0
        received = row["received"] or 0
        if row["channel"] in ONLINE_CHANNELS:
            values["online"] += received
        elif row["channel"] == Dossier.Channel.COUNTER:
            values["counter"] += received
        elif row["channel"] == Dossier.Channel.POST:
            values["post"] += received

    facts = DossierFact.objects.filter(agency_id__in=ids, counted=True)
    carried: Iterable[Any] = (
        facts.filter(received_at__lt=start_at)
        .filter(Q(end_at__isnull=True) | Q(end_at__gte=start_at))
        .values("agency_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for line in carried:
        out[line["agency_id"]]["carried"] = line["n"]

    past = Q(appointment_at__lt=judged)
    if provisional:
        past &= Q(end_at__isnull=True, open_since__isnull=True)
    open_then: Iterable[Any] = (
        facts.filter(received_at__lt=judged)
        .filter(Q(end_at__isnull=True) | Q(end_at__gte=judged))
        .values("agency_id")
        .annotate(n=Count("pk"), past=Count("pk", filter=past))
        .order_by()
    )
    for line in open_then:
        values = out[line["agency_id"]]
        values["in_progress"] = line["n"]
        values["in_progress_past"] = line["past"]
    if apps.is_installed("tinhso.dvcqg"):
        from tinhso.dvcqg.models import InboundDossier

        national: Iterable[Any] = (
            facts.filter(
                received_on__gte=period.start,
                received_on__lt=period.end,
                dossier_id__in=InboundDossier.objects.filter(dossier__isnull=False).values(
                    "dossier_id"
                ),
            )
            .values("agency_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for line in national:
            out[line["agency_id"]]["national"] = line["n"]

    for values in out.values():
        values["finished"] = (
            values["finished_early"] + values["finished_on_time"] + values["finished_late"]
        )
        values["in_progress_within"] = values["in_progress"] - values["in_progress_past"]
        values["total"] = values["carried"] + values["received"]
    return out


def build(
    unit: Unit, period: Period, *, now: datetime | None = None, base: str | None = None
) -> Content:
    """The report's content for `unit` and `period` (a month or a quarter), judged at the
    period's end, or at `now` for a period not yet over (a provisional report)."""
    now = now or timezone.now()
    _start, end_at = _check_period(period, now)
    provisional = now < end_at
    agencies = sorted(unit.agencies, key=lambda a: a.code)
    values = agency_rows(agencies, period, now=now)
    link_measure = {
        c.key: c.measure for c in COLUMNS if c.measure and (c.measure != "overdue" or provisional)
    }

    def linked(row: Row, code: str) -> Row:
        row.links = {
            key: drill_url(code, period, measure, base) for key, measure in link_measure.items()
        }
        return row

    agency_lines = [linked(Row(a.code, a.name, dict(values[a.pk])), a.code) for a in agencies]
    total = linked(Row(unit.code, unit.name), unit.code)
    for line in agency_lines:
        total.add(line)
    commune_lines: list[Row] = []
    if unit.kind == "province":
        by_commune: dict[int, Row] = {}
        communes = {
            c.pk: c
            for c in Commune.objects.filter(pk__in={a.commune_id for a in agencies if a.commune_id})
        }
        for agency, line in zip(agencies, agency_lines, strict=True):
            commune = communes.get(agency.commune_id or 0)
            if commune is None:
                continue
            if commune.pk not in by_commune:
                by_commune[commune.pk] = linked(
                    Row(str(commune.code), commune.name), str(commune.code)
                )
            by_commune[commune.pk].add(line)
        commune_lines = sorted(by_commune.values(), key=lambda r: r.code)
    return Content(
        unit=unit,
        period=period,
        judged_at=min(end_at, now),
        provisional=provisional,
        generated_at=now,
        columns=columns(),
        agencies=agency_lines if unit.kind != "agency" else [],
        communes=commune_lines,
        total=total,
        index=queries.unit_index(unit, period, now=now),
        overview_url=overview_url(unit.code, period, base),
    )


# --- the action ---------------------------------------------------------------------------


def _store(name: str, content: bytes) -> str:
    file_field = PeriodicReport._meta.get_field("xlsx")
    target = file_field.generate_filename(PeriodicReport(), name)
    saved = file_field.storage.save(target, ContentFile(content), max_length=file_field.max_length)
    return str(saved)


def _forget(*names: str) -> None:
    storage = PeriodicReport._meta.get_field("xlsx").storage
    for name in names:
        if name:
            storage.delete(name)


def file_name(unit_code: str, period: str, kind: str) -> str:
    safe = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in unit_code)
    return f"bao-cao-tthc-{safe}-{period}.{kind}"


def generate(
    unit: Unit,
    period: Period,
    *,
    trigger: str,
    actor: Any = None,
    now: datetime | None = None,
    notify_leaders: bool = False,
    base: str | None = None,
) -> PeriodicReport:
    """Lập báo cáo định kỳ: compute, render, store both files, then write the row, its audit
    record and (`notify_leaders`) the leaders' notifications in one transaction.

    A second scheduled report of the same unit and period is refused by the table's
    constraint: the first one is returned and the files just made are removed."""
    from tinhso.ioc import reports_render

    now = now or timezone.now()
    # the report is Vietnamese whatever the language of whoever asked for it: translated
    # texts that reach it (an indicator's unscored reason) come out in Vietnamese
    with translation.override("vi"):
        content = build(unit, period, now=now, base=base)
        xlsx = reports_render.to_xlsx(content)
        pdf = reports_render.to_pdf(content)
    stored: list[str] = []
    try:
        stored.append(_store(file_name(unit.code, str(period), "xlsx"), xlsx))
        stored.append(_store(file_name(unit.code, str(period), "pdf"), pdf))
        with transaction.atomic():
            report = PeriodicReport.objects.create(
                unit_kind=unit.kind,
                unit_code=unit.code,
                unit_name=unit.name,
                province_id=unit.province_id,
                agency_ids=unit.agency_ids,
                period=str(period),
                period_start=period.start,
                judged_at=content.judged_at,
                provisional=content.provisional,
                trigger=trigger,
                xlsx=stored[0],
                xlsx_sha256=hashlib.sha256(xlsx).hexdigest(),
                xlsx_size=len(xlsx),
                pdf=stored[1],
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                pdf_size=len(pdf),
                figures=content.figures(),
                generated_at=now,
                generated_by=actor if getattr(actor, "pk", None) else None,
            )
            audit.record(
                "ioc.report.generate",
                report,
                actor=actor,
                changes={
                    "unit": unit.code,
                    "period": str(period),
                    "trigger": trigger,
                    "provisional": content.provisional,
                    "xlsx_sha256": report.xlsx_sha256,
                    "pdf_sha256": report.pdf_sha256,
                },
            )
            if notify_leaders:
                _notify_leaders(report, unit, period)
    except IntegrityError:
        _forget(*stored)
        existing = PeriodicReport.objects.filter(
            unit_code=unit.code, period=str(period), trigger=PeriodicReport.Trigger.SCHEDULE
        ).first()
        if existing is None or trigger != PeriodicReport.Trigger.SCHEDULE:
            raise
        return existing
    except BaseException:
        _forget(*stored)
        raise
    return report


# --- made on the archive page -----------------------------------------------------------------

# How long a second request for a report being made waits for it (a double click's second
# request arrives while the first renders: it shows the first one's report when done).
PAGE_WAIT_SECONDS = 15.0


def reuse_minutes() -> int:
    """`IOC_REPORT_REUSE_MINUTES` (default 5): a report of the same unit and period made on
    the archive page this recently, by anyone, is shown again instead of making another (a
    double click, a second leader, repeated clicks: no second row, no second rendering)."""
    return max(int(getattr(settings, "IOC_REPORT_REUSE_MINUTES", 5)), 0)


def recent_page_report(unit_code: str, period: Period, now: datetime) -> PeriodicReport | None:
    """The newest report of the unit and period made on the page within `reuse_minutes`."""
    since = now - timedelta(minutes=reuse_minutes())
    return (
        PeriodicReport.objects.filter(
            unit_code=unit_code,
            period=str(period),
            trigger=PeriodicReport.Trigger.PAGE,
            generated_at__gte=since,
        )
        .order_by("-generated_at", "-pk")
        .first()
    )


def _page_claim(unit: Unit, period: Period) -> str:
    return f"{TOPIC}.page:{unit.code}:{period}"


def _claim(key: str, now: datetime) -> bool:
    """Take the claim `key` in the idempotency ledger (unique by name), in its own committed
    transaction so a concurrent request sees it. A claim older than the outbox's lease was
    left by a process that died while rendering: it is taken over."""
    stale = now - timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    ProcessedMessage.objects.filter(handler=key, message_id=0, processed_at__lt=stale).delete()
    try:
        with transaction.atomic():
            ProcessedMessage.objects.create(handler=key, message_id=0, processed_at=now)
    except IntegrityError:
        return False
    return True


def generate_on_page(
    unit: Unit,
    period: Period,
    *,
    actor: Any,
    now: datetime | None = None,
    base: str | None = None,
) -> tuple[PeriodicReport | None, bool]:
    """Lập báo cáo từ trang kho báo cáo: (report, reused). A report of the unit and period
    made on the page in the last `reuse_minutes` is returned as it is (reused). Otherwise
    this request claims the unit and period before rendering; a concurrent one (the double
    click's second request) waits up to `PAGE_WAIT_SECONDS` for the first one's report and
    returns it, or (None, True) if it is still being made."""
    now = now or timezone.now()
    key = _page_claim(unit, period)
    deadline = time.monotonic() + PAGE_WAIT_SECONDS
    while True:
        recent = recent_page_report(unit.code, period, now)
        if recent is not None:
            return recent, True
        if _claim(key, now):
            try:
                # made between the check and the claim: a request that just finished
                recent = recent_page_report(unit.code, period, now)
                if recent is not None:
                    return recent, True
                made = generate(
                    unit,
                    period,
                    trigger=PeriodicReport.Trigger.PAGE,
                    actor=actor,
                    now=now,
                    base=base,
                )
                return made, False
            finally:
                ProcessedMessage.objects.filter(handler=key, message_id=0).delete()
        # another request is making it: wait for its report (or for its claim to go, if it
        # failed, and try again), up to the deadline
        if time.monotonic() >= deadline:
            return None, True
        time.sleep(0.5)


def report_leaders(unit: Unit) -> list[tuple[str, str]]:
    """(e-mail, phone) of the unit's leaders: the leaders at the agency; of a commune, at its
    agencies; of the province, at its province-level agencies (the People's Committee)."""
    if unit.kind == "province" and unit.province_id is not None:
        agencies = Agency.objects.filter(
            province_id=unit.province_id, level=Agency.Level.PROVINCE, is_active=True
        ).values_list("pk", flat=True)
        where = Q(agency_id__in=list(agencies))
    else:
        where = Q(agency_id__in=unit.agency_ids)
    rows = (
        RoleAssignment.objects.filter(where, role=Role.LEADER, user__is_active=True)
        .values_list("user__email", "user__phone")
        .distinct()
        .order_by("user__email")
    )
    return [(email or "", phone or "") for email, phone in rows]


def channels() -> tuple[str, ...]:
    """`IOC_REPORT_CHANNELS`: how the leaders hear of a report (default e-mail only)."""
    chosen = tuple(getattr(settings, "IOC_REPORT_CHANNELS", ("email",)))
    unknown = [c for c in chosen if c not in ("email", "sms", "zalo")]
    if unknown:
        raise ValueError(f"IOC_REPORT_CHANNELS: unknown channels {unknown}")
    return chosen


def archive_url() -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('ioc:reports')}"


def _notify_leaders(report: PeriodicReport, unit: Unit, period: Period) -> None:
    """Queue (outbox, in the caller's transaction) a notice to each leader: where to
    download the report, never the file itself (delivered after commit by the worker)."""
    wanted = channels()
    label = period_label(period)
    short = label.split(" (")[0].lower()
    subject = f"Báo cáo giải quyết thủ tục hành chính {report.unit_name}, {short}"
    body = (
        f"Báo cáo tình hình, kết quả giải quyết thủ tục hành chính của {report.unit_name}, "
        f"{label}, đã được lập.\n"
        f"Tải báo cáo (XLSX, PDF) tại kho báo cáo của Trung tâm điều hành: {archive_url()}\n"
        f"Mã băm SHA-256 của tệp PDF: {report.pdf_sha256}"
    )
    for email, phone in report_leaders(unit):
        if "email" in wanted and email:
            notify.notify("email", email, subject, body)
        for channel in ("sms", "zalo"):
            if channel in wanted and phone:
                notify.notify(channel, phone, subject, f"{subject}. Xem tại: {archive_url()}")


# --- the schedule ---------------------------------------------------------------------------


def catch_up_days() -> int:
    """`IOC_REPORT_CATCH_UP_DAYS` (default 3): a report is due on the first day after its
    period; a worker down that day still makes it during the next days, not later (a report
    made weeks late is made by hand: `tinhso ioc report`)."""
    return int(getattr(settings, "IOC_REPORT_CATCH_UP_DAYS", 3))


def due_periods(today: date) -> list[Period]:
    """The periods whose scheduled reports are due on `today` (local): the month before on
    day 1 (and the catch-up days), the quarter before on the first day of a quarter."""
    if today.day > catch_up_days():
        return []
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    due = [Period("month", year, month)]
    if today.month in (1, 4, 7, 10):
        due.append(Period("quarter", year, (month - 1) // 3 + 1))
    return due


def scheduled_units() -> list[Unit]:
    """Each province that has active agencies, and each active agency: two queries."""
    agencies = list(Agency.objects.filter(is_active=True).order_by("province_id", "code"))
    by_province: dict[int, list[Agency]] = defaultdict(list)
    for agency in agencies:
        if agency.province_id is not None:
            by_province[agency.province_id].append(agency)
    provinces = Province.objects.filter(pk__in=list(by_province)).order_by("code")
    units = [
        Unit("province", f"{p.code:02d}", p.name, p.pk, tuple(by_province[p.pk])) for p in provinces
    ]
    units += [Unit("agency", a.code, a.name, a.province_id, (a,)) for a in agencies]
    return units


# Each scheduled report is one outbox message, delivered one at a time like any message
# (`ioc/jobs.py`), so a worker's sweep renders at most the reports that are due, never a
# province's whole set while national sync and notifications wait.
TOPIC = "ioc.periodic_report"


def spacing_seconds() -> int:
    """`IOC_REPORT_SPACING_SECONDS` (default 20): the queued reports of a period become due
    this far apart, so each sweep of a worker takes at most about one of them and the other
    messages are delivered between them (31 reports of a province: about ten minutes)."""
    return max(int(getattr(settings, "IOC_REPORT_SPACING_SECONDS", 20)), 0)


def queued_key(period: Period) -> str:
    """The idempotency ledger's name of `period`'s schedule (`core.ProcessedMessage`): one
    row, written in the transaction that queues the period's reports, so two workers, or two
    runs, queue them once."""
    return f"{TOPIC}.queued:{period}"


def run_schedule(*, now: datetime | None = None) -> list[Any]:
    """Queue the scheduled reports due now, one outbox message per unit and period; render
    nothing. Each period is queued once, whatever the workers: a ledger row
    (`queued_key`, unique) is written in the same transaction as the messages, and a second
    worker's insert of it fails (PostgreSQL makes it wait for the first to commit). A unit
    whose scheduled report exists already is not queued. Returns the messages queued."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    spacing = timedelta(seconds=spacing_seconds())
    queued: list[Any] = []
    for period in due_periods(today):
        key = queued_key(period)
        if ProcessedMessage.objects.filter(handler=key, message_id=0).exists():
            continue  # the usual case: queued by this or another worker an hour ago
        try:
            with transaction.atomic():
                ProcessedMessage.objects.create(handler=key, message_id=0)
                done = set(
                    PeriodicReport.objects.filter(
                        trigger=PeriodicReport.Trigger.SCHEDULE, period=str(period)
                    ).values_list("unit_code", flat=True)
                )
                units = [u for u in scheduled_units() if u.code not in done]
                messages = [
                    outbox.enqueue(
                        TOPIC, {"unit": unit.code, "period": str(period)}, delay=spacing * n
                    )
                    for n, unit in enumerate(units)
                ]
        except IntegrityError:
            log.info("periodic reports %s: queued by another worker", period)
            continue
        log.info("periodic reports %s: %s queued", period, len(messages))
        queued += messages
    return queued


def make_scheduled(unit_code: str, period_text: str) -> PeriodicReport:
    """Make one queued scheduled report (the outbox handler's work). A report of the unit
    and period made already (a message delivered twice) is returned without rendering
    anything; two deliveries racing are settled by the table's constraint in `generate`.
    The figures are judged at the period's end, whenever the message is delivered."""
    from tinhso.core.periods import parse

    period = parse(period_text)
    existing = PeriodicReport.objects.filter(
        unit_code=unit_code, period=str(period), trigger=PeriodicReport.Trigger.SCHEDULE
    ).first()
    if existing is not None:
        return existing
    unit = queries.resolve_unit(unit_code)
    return generate(unit, period, trigger=PeriodicReport.Trigger.SCHEDULE, notify_leaders=True)


# --- who sees which report ------------------------------------------------------------------


def may_see_report(report: PeriodicReport, reach: set[int], provinces: set[int]) -> bool:
    """The rule of `queries.may_see_unit`, on the unit as it was when the report was made:
    a province's report to who sees the province whole; an agency's or a commune's to who
    reaches all its agencies (or sees its province whole)."""
    if report.province_id in provinces:
        return True
    if report.unit_kind == "province":
        return False
    ids = [int(pk) for pk in report.agency_ids or []]
    return bool(ids) and all(pk in reach for pk in ids)


def visible_reports(user: Any) -> list[PeriodicReport]:
    """The reports this IOC viewer or leader may download, newest period first."""
    reach, provinces = queries.reachable_agency_ids(user)
    near = {
        p for p in Agency.objects.filter(pk__in=reach).values_list("province_id", flat=True) if p
    }
    candidates: QuerySet[PeriodicReport] = PeriodicReport.objects.filter(
        province_id__in=near | provinces
    ).defer("figures")
    return [r for r in candidates if may_see_report(r, reach, provinces)]


def access_report(user: Any, pk: int) -> PeriodicReport | None:
    """The report if this user may download it, else None (the caller answers 404)."""
    report = PeriodicReport.objects.filter(pk=pk).first()
    if report is None:
        return None
    reach, provinces = queries.reachable_agency_ids(user)
    return report if may_see_report(report, reach, provinces) else None


def reachable_units(user: Any) -> list[tuple[str, str]]:
    """(code, name) of the units this user may have a report made for: their provinces seen
    whole, then the agencies they reach."""
    reach, provinces = queries.reachable_agency_ids(user)
    units = [
        (f"{p.code:02d}", _("%(province)s (toàn tỉnh)") % {"province": p.name})
        for p in Province.objects.filter(pk__in=provinces).order_by("code")
    ]
    agencies = Agency.objects.filter(is_active=True).filter(
        Q(pk__in=reach) | Q(province_id__in=provinces)
    )
    units += [(a.code, a.name) for a in agencies.order_by("level", "code")]
    return units


def read_file(report: PeriodicReport, kind: str) -> bytes:
    """The stored file, checked against the hash recorded when it was made."""
    stored = report.xlsx if kind == "xlsx" else report.pdf
    expected = report.xlsx_sha256 if kind == "xlsx" else report.pdf_sha256
    with stored.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != expected:
        log.error("periodic report %s: the stored %s does not match its hash", report.pk, kind)
        raise ReportError(REPORT_FILE_CHANGED)
    return data


def periods_to_offer(today: date) -> Iterable[str]:
    """The periods the archive page suggests: this month, the last one, this quarter."""
    this_month = Period("month", today.year, today.month)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    quarter = Period("quarter", today.year, (today.month - 1) // 3 + 1)
    return [str(this_month), str(Period("month", year, month)), str(quarter)]


def short_label(text: str) -> str:
    """`2026-11` → "Tháng 11/2026", `2026-Q4` → "Quý IV/2026" (the archive's list)."""
    return _period_label(
        text, _("Tháng %(month)s/%(year)s"), _("Quý %(quarter)s/%(year)s"), _("Năm %(year)s")
    )


def phrase_label(text: str) -> str:
    """`2026-11` → "tháng 11/2026", `2026-Q4` → "quý IV/2026", `2026` → "năm 2026": a period
    within a sentence ("trong kỳ tháng 11/2026"), where Vietnamese writes its kind in lower
    case; `short_label` starts a heading or a line. (Not `short_label(...).lower()`: "IV".)"""
    return _period_label(
        text, _("tháng %(month)s/%(year)s"), _("quý %(quarter)s/%(year)s"), _("năm %(year)s")
    )


def _period_label(text: str, month: str, quarter: str, year: str) -> str:
    """The period `text` in the wording given for its kind (each its own translated text)."""
    from tinhso.core.periods import parse

    period = parse(text)
    if period.kind == "month":
        return month % {"month": f"{period.number:02d}", "year": period.year}
    if period.kind == "quarter":
        return quarter % {
            "quarter": ("I", "II", "III", "IV")[period.number - 1],
            "year": period.year,
        }
    return year % {"year": period.year}
