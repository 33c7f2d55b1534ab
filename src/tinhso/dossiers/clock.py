"""The legal clock of a received dossier: pure functions, every moment passed in.

Legal sources: Decree 118/2025/NĐ-CP (the appointment on the receipt counts from valid
reception; the time the citizen takes to supplement is not counted; the agency that causes a
delay apologises in writing with a new appointment, Mẫu 04); the national on-time formula of
the DVCQG / Decision 766/QĐ-TTg engine (reference §3.3): a dossier is on time when it is
finished at or before its appointment, supplementation time not counted, and more than one
supplementation request counts as late.

Cut-off: a dossier received at or after the cut-off (default 15:00, setting
`DOSSIER_RECEPTION_CUTOFF`) counts from the first working moment of the next working day
(07:30 with the default hours) [the 15:00 article is UNCONFIRMED]. A dossier received on a
day off or outside working hours counts from the next working moment likewise.

"Early" (trước hạn) is finished on a day before the appointment's day; "on time" (đúng hạn)
is finished on the appointment's day, at or before its time [local practice, UNCONFIRMED].
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from tinhso.core.workdays import WorkCalendar

DEFAULT_CUTOFF = time(15, 0)

Interval = tuple[datetime, datetime | None]


class Verdict(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"

    @property
    def label(self) -> str:
        return {"early": _("trước hạn"), "on_time": _("đúng hạn"), "late": _("quá hạn")}[self.value]


def clock_start(
    calendar: WorkCalendar, received_at: datetime, cutoff: time = DEFAULT_CUTOFF
) -> datetime:
    """When the legal time starts counting for a dossier received at `received_at`."""
    local = calendar.local(received_at)
    day = local.date()
    first_begin = calendar.periods[0][0]
    if calendar.is_working_day(day) and local.time() < first_begin:
        return datetime.combine(day, first_begin, calendar.tz)
    if calendar.is_working_day(day) and local.time() < cutoff:
        return local
    return datetime.combine(calendar.next_working_day(day), first_begin, calendar.tz)


def budget(calendar: WorkCalendar, *, days: Decimal | None, hours: Decimal | None) -> timedelta:
    """The procedure's processing time as working time ("trong ngày" = one working day)."""
    if days is not None:
        return calendar.day_length * float(days)
    if hours is not None:
        return timedelta(hours=float(hours))
    return calendar.day_length


def add(calendar: WorkCalendar, start: datetime, working: timedelta) -> datetime:
    return calendar.add_working_time(start, hours=working.total_seconds() / 3600)


def paused(calendar: WorkCalendar, intervals: Iterable[Interval], now: datetime) -> timedelta:
    """Working time spent waiting for the citizen: each pause until answered (or until now)."""
    total = timedelta(0)
    for start, end in intervals:
        total += calendar.working_time_between(start, end or now)
    return total


def appointment(
    calendar: WorkCalendar,
    start: datetime,
    processing: timedelta,
    pauses: Iterable[Interval] = (),
    now: datetime | None = None,
) -> datetime:
    """Clock start + processing time + the working time of every pause (open ones until now)."""
    pauses = list(pauses)
    moment = now or start
    return add(calendar, start, processing + paused(calendar, pauses, moment))


def step_budget(processing: timedelta, share_percent: Decimal) -> timedelta:
    """A step's share of the whole working-time budget, to the second."""
    seconds = int(processing.total_seconds() * float(share_percent) / 100)
    return timedelta(seconds=seconds)


def step_due(
    calendar: WorkCalendar,
    started_at: datetime,
    processing: timedelta,
    share_percent: Decimal,
    pauses: Iterable[Interval] = (),
    now: datetime | None = None,
) -> datetime:
    """A step's due time: its start + its share + the pauses that fell inside the step."""
    return appointment(
        calendar, started_at, step_budget(processing, share_percent), pauses, now or started_at
    )


def verdict(calendar: WorkCalendar, finished_at: datetime, due: datetime) -> Verdict:
    """Early / on time / late of one step or of the whole dossier against its due time."""
    finished, due_local = calendar.local(finished_at), calendar.local(due)
    if finished > due_local:
        return Verdict.LATE
    if finished.date() < due_local.date():
        return Verdict.EARLY
    return Verdict.ON_TIME


def national_verdict(
    calendar: WorkCalendar,
    finished_at: datetime,
    appointment_at: datetime,
    supplement_requests: int,
) -> Verdict:
    """The whole dossier, national rule: more than one supplementation request is late.

    `appointment_at` is the appointment with the paused time already added (what
    `appointment()` returns), so supplementation time is not counted against the agency. An
    apology's new appointment does not make a late dossier on time: pass the original one.
    """
    if supplement_requests > 1:
        return Verdict.LATE
    return verdict(calendar, finished_at, appointment_at)


@dataclass(frozen=True)
class StepSpan:
    """One step as the tracking sheet shows it."""

    agency_code: str
    started_at: datetime
    due_at: datetime
    finished_at: datetime | None


def agency_at_fault(spans: Sequence[StepSpan], now: datetime) -> str | None:
    """The agency whose step is (or was) past its due time, latest first; None if none is."""
    for span in reversed(spans):
        end = span.finished_at or now
        if end > span.due_at:
            return span.agency_code
    return None


APOLOGY_WARNING_SHARE = 4  # the warning is at most a quarter of the processing time


def apology_warning(processing: timedelta, warning: timedelta) -> timedelta:
    """How long before the appointment the agency at fault is asked for its apology.

    The configured warning (default 8 working hours), but never more than a quarter of the
    processing time: otherwise a dossier due the next working day (8 hours in all) would be
    flagged for an apology the moment it is received, before anyone could be late with it.
    """
    return min(warning, processing / APOLOGY_WARNING_SHARE)


def needs_apology(
    calendar: WorkCalendar, appointment_at: datetime, now: datetime, warning: timedelta
) -> bool:
    """True once less than `warning` working time is left before the appointment (or none)."""
    if now >= appointment_at:
        return True
    return calendar.working_time_between(now, appointment_at) <= warning
