"""The operations centre's rollups (docs/ioc.md, "Rollups").

`DossierFact`: one row per dossier, what the dossier currently adds to the counters (its
buckets and their measures) and the few moments the clock-dependent figures need.
`DossierDay`: counters per day × agency × commune × procedure × channel; a dossier adds its
reception measures to the bucket of its reception day and its end measures (finished early,
on time, late, refused, electronic result) to the bucket of its end day.
`ReportFact` / `ReportDay`: the same for field reports, per day × agency × category × state.

The dimension columns are plain integers (0 for none), not foreign keys: an upsert's conflict
target must not contain NULL, and a counter outlives nothing it points to.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

DOSSIER_MEASURES: tuple[str, ...] = (
    # reception-day measures (a dossier never received: its submission day)
    "received",  # counts in 766's denominators (received, not rejected or withdrawn)
    "received_all",  # any reception (payments' 3.6 basis)
    "fee_received",
    "fee_paid_online",
    "paid_online",
    "synced",
    "disliked",
    "rated",
    "digitised",
    "reused",
    "supplement_requested",
    "in_progress",
    "withdrawn",
    "rejected",
    "m_on_time", "q_on_time", "y_on_time",  # 2.1 as judged at the end of the month etc.
    "m_ended", "q_ended", "y_ended",
    "m_days", "q_days", "y_days",  # working days × 1,000,000
    "m_with_result", "q_with_result", "y_with_result",
    "m_result", "q_result", "y_result",
    # end-day measures
    "finished_early",
    "finished_on_time",
    "finished_late",
    "refused",
    "e_result",
)  # fmt: skip

REPORT_MEASURES: tuple[str, ...] = (
    "received",  # reception day
    "open",
    "resolved",  # resolution day
    "resolved_on_time",
    "resolved_late",
)


class DossierFact(models.Model):
    dossier_id = models.BigIntegerField(primary_key=True)
    agency_id = models.BigIntegerField(default=0)
    commune_id = models.BigIntegerField(default=0)
    procedure_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=20, default="")
    state = models.CharField(max_length=30, default="")
    received_on = models.DateField(null=True)  # the reception-day bucket
    ended_on = models.DateField(null=True)  # the end-day bucket
    counted = models.BooleanField(default=False)
    received_at = models.DateTimeField(null=True)
    appointment_at = models.DateTimeField(null=True)
    end_at = models.DateTimeField(null=True)
    open_since = models.DateTimeField(null=True)  # a supplementation pause still open
    requests = models.PositiveIntegerField(default=0)
    measures = models.JSONField(default=dict)  # {"r": {measure: n}, "e": {measure: n}}
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["agency_id", "received_on"], name="ioc_fact_agency_day"),
            # the open dossiers by appointment; covering (PostgreSQL's INCLUDE) what the
            # overview counts of those due ahead (`queries.open_figures`), so that count is
            # an index-only range over the dossiers due from now on, never the facts
            models.Index(
                fields=["agency_id", "appointment_at"],
                name="ioc_fact_open_due",
                condition=models.Q(counted=True, end_at__isnull=True),
                include=["open_since", "commune_id", "received_on", "requests"],
            ),
            # the open dossiers waiting for the citizen (the overview's overdue count
            # subtracts them from the in-progress counter)
            models.Index(
                fields=["agency_id"],
                name="ioc_fact_open_paused",
                condition=models.Q(counted=True, end_at__isnull=True, open_since__isnull=False),
            ),
        ]


class DossierDay(models.Model):
    day = models.DateField()
    agency_id = models.BigIntegerField()
    commune_id = models.BigIntegerField()
    procedure_id = models.BigIntegerField()
    channel = models.CharField(max_length=20)
    received = models.BigIntegerField(default=0)
    received_all = models.BigIntegerField(default=0)
    fee_received = models.BigIntegerField(default=0)
    fee_paid_online = models.BigIntegerField(default=0)
    paid_online = models.BigIntegerField(default=0)
    synced = models.BigIntegerField(default=0)
    disliked = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    digitised = models.BigIntegerField(default=0)
    reused = models.BigIntegerField(default=0)
    supplement_requested = models.BigIntegerField(default=0)
    in_progress = models.BigIntegerField(default=0)
    withdrawn = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    m_on_time = models.BigIntegerField(default=0)
    q_on_time = models.BigIntegerField(default=0)
    y_on_time = models.BigIntegerField(default=0)
    m_ended = models.BigIntegerField(default=0)
    q_ended = models.BigIntegerField(default=0)
    y_ended = models.BigIntegerField(default=0)
    m_days = models.BigIntegerField(default=0)
    q_days = models.BigIntegerField(default=0)
    y_days = models.BigIntegerField(default=0)
    m_with_result = models.BigIntegerField(default=0)
    q_with_result = models.BigIntegerField(default=0)
    y_with_result = models.BigIntegerField(default=0)
    m_result = models.BigIntegerField(default=0)
    q_result = models.BigIntegerField(default=0)
    y_result = models.BigIntegerField(default=0)
    finished_early = models.BigIntegerField(default=0)
    finished_on_time = models.BigIntegerField(default=0)
    finished_late = models.BigIntegerField(default=0)
    refused = models.BigIntegerField(default=0)
    e_result = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "commune_id", "procedure_id", "channel"],
                name="ioc_dossier_day_bucket",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "day"], name="ioc_day_agency")]


class UnitCounters(models.Model):
    """Counters of one period (a day or a month) × agency × commune × channel: `DossierDay`
    without the procedure, summed from the same deltas in the same transactions (docs/ioc.md,
    "Pre-summed counters"), so a province's reads sum a few hundred rows, not one per
    procedure and day. `period` is the period's first day."""

    period = models.DateField()
    agency_id = models.BigIntegerField()
    commune_id = models.BigIntegerField()
    channel = models.CharField(max_length=20)

    class Meta:
        abstract = True


for _measure in DOSSIER_MEASURES:
    UnitCounters.add_to_class(_measure, models.BigIntegerField(default=0))


class UnitDay(UnitCounters):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "agency_id", "commune_id", "channel"], name="ioc_unit_day_bucket"
            )
        ]
        indexes = [models.Index(fields=["agency_id", "period"], name="ioc_unit_day_agency")]


class UnitWeek(UnitCounters):
    """The week from its Monday: the overview's twelve-week trend reads 12 rows per agency
    and channel, not 84."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "agency_id", "commune_id", "channel"], name="ioc_unit_week_bucket"
            )
        ]
        indexes = [models.Index(fields=["agency_id", "period"], name="ioc_unit_week_agency")]


class UnitMonth(UnitCounters):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "agency_id", "commune_id", "channel"],
                name="ioc_unit_month_bucket",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "period"], name="ioc_unit_month_agency")]


class ProcedureMonth(models.Model):
    """Online receptions per month × agency × procedure: indicator 3.2 (the procedures that
    received an online dossier) without reading one counter row per day and channel."""

    period = models.DateField()
    agency_id = models.BigIntegerField()
    procedure_id = models.BigIntegerField()
    online_received = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "agency_id", "procedure_id"], name="ioc_procedure_month_bucket"
            )
        ]
        indexes = [models.Index(fields=["agency_id", "period"], name="ioc_procedure_month_agency")]


class ReportFact(models.Model):
    report_id = models.BigIntegerField(primary_key=True)
    measures = models.JSONField(default=dict)  # {"day|agency|category|state": {measure: n}}
    computed_at = models.DateTimeField()


class ReportDay(models.Model):
    day = models.DateField()
    agency_id = models.BigIntegerField()
    commune_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    state = models.CharField(max_length=20)
    received = models.BigIntegerField(default=0)
    open = models.BigIntegerField(default=0)
    resolved = models.BigIntegerField(default=0)
    resolved_on_time = models.BigIntegerField(default=0)
    resolved_late = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency_id", "commune_id", "category_id", "state"],
                name="ioc_report_day_bucket",
            )
        ]
        indexes = [models.Index(fields=["agency_id", "day"], name="ioc_report_agency")]


class PeriodicReport(models.Model):
    """Báo cáo định kỳ tình hình giải quyết thủ tục hành chính: one generated report of a
    unit (province, agency or commune) for a month or quarter, as XLSX and PDF, kept in the
    archive (`ioc/reports.py`, docs/ioc.md "Periodic reports"). Never changed once written:
    a report generated again is a new row, so what the leaders were sent stays as sent."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", gettext_lazy("theo lịch")
        COMMAND = "command", gettext_lazy("lệnh quản trị")
        PAGE = "page", gettext_lazy("lãnh đạo tạo trên trang")

    unit_kind = models.CharField(max_length=10)  # province | agency | commune
    unit_code = models.CharField(max_length=40)
    unit_name = models.CharField(max_length=255)
    province_id = models.BigIntegerField(null=True)
    agency_ids = models.JSONField(default=list)  # the unit's agencies when generated (access)
    period = models.CharField(max_length=10)  # 2026-11 | 2026-Q4
    period_start = models.DateField()
    judged_at = models.DateTimeField()  # the period's end, or the moment of a provisional one
    provisional = models.BooleanField(default=False)  # the period was not over yet
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    xlsx = models.FileField(upload_to="ioc/reports/%Y/%m/", max_length=300)
    xlsx_sha256 = models.CharField(max_length=64)
    xlsx_size = models.PositiveIntegerField()
    pdf = models.FileField(upload_to="ioc/reports/%Y/%m/", max_length=300)
    pdf_sha256 = models.CharField(max_length=64)
    pdf_size = models.PositiveIntegerField()
    figures = models.JSONField(default=dict)  # the unit's total row and 766 points, as printed
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "unit_kind", "unit_code", "-generated_at"]
        constraints = [
            # the schedule makes one report per unit and period, whatever the workers
            models.UniqueConstraint(
                fields=["unit_code", "period"],
                condition=models.Q(trigger="schedule"),
                name="ioc_report_scheduled_once",
            )
        ]
        indexes = [models.Index(fields=["province_id", "period_start"], name="ioc_report_prov")]

    def __str__(self) -> str:
        return f"{self.unit_name} {self.period}"
