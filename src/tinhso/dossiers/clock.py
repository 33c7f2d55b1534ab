"""The one legal clock of a dossier: pure functions, every moment passed in.

Legal sources:
- Decree 118/2025/NĐ-CP (replacing Decree 61/2018): the appointment on the receipt (Mẫu 01)
  counts from valid reception, not from online submission; the time the citizen takes to
  supplement is not counted; an inter-agency dossier has one total time, shared among the
  agencies along its route; the agency that causes a delay apologises in writing with a new
  appointment (Mẫu 04).
- The national on-time formula of the DVCQG / Decision 766/QĐ-TTg engine (reference §3.3):
  on time when finished at or before the appointment, supplementation time not counted, more
  than one supplementation request counts as late.
- Working days: Labour Code 2019 Art. 112 through `tinhso.core.workdays` (with the
  administrators' yearly changes, `tinhso.core.calendar`).

Start. A dossier received at or after the cut-off (default 15:00, `DOSSIER_RECEPTION_CUTOFF`)
counts from the first working moment of the next working day (07:30 with the default hours)
[Decree 61/2018 Art. 19 as remembered, and the phương án of QĐ 1811; UNCONFIRMED]. A dossier
received on a day off or outside working hours counts from the next working moment likewise.
At submission the same rule gives the provisional appointment printed on the electronic
receipt; reception recomputes it from the moment of reception.

"Trong ngày" (a procedure with no processing time in days or hours, "within the day").
The law gives no arithmetic for it; read with the cut-off rule it means the result is due
by the end of the working day on which the clock starts: received before 15:00, the same
day; after 15:00, the end of the next working day. That is the default
(`WithinDay.END_OF_DAY`). Some provinces count it as one working day (8 working hours) from
the start instead: `WithinDay.ONE_WORKING_DAY`, chosen by the setting
`DOSSIER_WITHIN_DAY` ("end_of_day" | "working_day") [UNCONFIRMED, hence a setting].

Steps. A route gives each step a share of the total time (`RouteStep.share_percent`). A step
is due at the clock start plus its own share *and the shares of the steps before it*
(cumulative), plus the supplement pauses: so step deadlines are in route order, the last step
is due at the appointment, and a step that starts late (its predecessor overran) does not get
a fresh budget past the appointment. After an apology (Mẫu 04) the steps share the time up
to its new appointment (`extended_processing`). A step's record keeps the real moment it
started (the reception, the hand-off); only its due time is counted on the legal clock. The
agency at fault is the one whose step overran while it held the dossier (a step entered
after its due time inherited the delay).

Apology warning. The agency at fault is asked for Mẫu 04 when less than the warning time
(default 8 working hours, `DOSSIER_APOLOGY_WARNING_HOURS`) is left before the appointment;
the warning is never more than a quarter of the time the dossier was actually granted
(from clock start to appointment), so a dossier due the same or the next working day is not
flagged the moment it is received.

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
FULL_SHARE = Decimal(100)

Interval = tuple[datetime, datetime | None]


class WithinDay(StrEnum):
    """What "trong ngày" means (see the module's docstring)."""

    END_OF_DAY = "end_of_day"
    ONE_WORKING_DAY = "working_day"


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


def end_of_working_day(calendar: WorkCalendar, moment: datetime) -> datetime:
    """The end of the last working period of `moment`'s day (the next working day's if
    `moment` is on a day off or after that end)."""
    local = calendar.local(moment)
    day = local.date()
    last_end = calendar.periods[-1][1]
    if not calendar.is_working_day(day) or local.time() >= last_end:
        day = calendar.next_working_day(day)
    return datetime.combine(day, last_end, calendar.tz)


def budget(
    calendar: WorkCalendar,
    start: datetime,
    *,
    days: Decimal | None,
    hours: Decimal | None,
    within_day: WithinDay = WithinDay.END_OF_DAY,
) -> timedelta:
    """The procedure's processing time as working time counted from `start` (the clock
    start): its days or hours; "trong ngày" as `within_day` says."""
    if days is not None:
        return calendar.day_length * float(days)
    if hours is not None:
        return timedelta(hours=float(hours))
    if within_day is WithinDay.ONE_WORKING_DAY:
        return calendar.day_length
    return calendar.working_time_between(start, end_of_working_day(calendar, start))


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


def share_through(shares: Sequence[Decimal], index: int) -> Decimal:
    """The cumulative share of the step at `index` (0-based) of a route whose steps have
    `shares` in order: its own and every earlier one's; the last step always has it all."""
    if index >= len(shares) - 1:
        return FULL_SHARE
    return min(sum(shares[: index + 1], Decimal(0)), FULL_SHARE)


def step_due(
    calendar: WorkCalendar,
    clock_start: datetime,
    processing: timedelta,
    cumulative_share: Decimal,
    pauses: Iterable[Interval] = (),
    now: datetime | None = None,
) -> datetime:
    """A step's due time: the clock start + its cumulative share of the whole processing
    time (`share_through`) + the pauses so far. In route order, never after the
    appointment (which is the 100 % share with the same pauses)."""
    share = min(max(cumulative_share, Decimal(0)), FULL_SHARE)
    seconds = int(processing.total_seconds() * float(share) / 100)
    return appointment(calendar, clock_start, timedelta(seconds=seconds), pauses, now)


def extended_processing(
    calendar: WorkCalendar,
    clock_start: datetime,
    processing: timedelta,
    new_appointment: datetime | None,
    pauses: Iterable[Interval] = (),
    now: datetime | None = None,
) -> timedelta:
    """The processing time the route's steps share: the procedure's, or after an apology
    (Mẫu 04) the time up to its new appointment, so the steps entered after it are due by
    the new appointment rather than late from the start."""
    if new_appointment is None:
        return processing
    spent_paused = paused(calendar, list(pauses), now or clock_start)
    return max(processing, granted_time(calendar, clock_start, new_appointment) - spent_paused)


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
    """The agency whose step is (or was) past its due time, latest first; None if none is.

    Step due times are cumulative, so a step entered after its due time (its predecessor
    overran) inherited the delay: the agency that overran while it held the dossier is at
    fault, the later one only if no step overran its own time."""
    late = [span for span in spans if (span.finished_at or now) > span.due_at]
    own = [span for span in late if span.started_at < span.due_at]
    for candidates in (own, late):
        if candidates:
            return candidates[-1].agency_code
    return None


APOLOGY_WARNING_SHARE = 4  # the warning is at most a quarter of the time granted


def apology_warning(granted: timedelta, warning: timedelta) -> timedelta:
    """How long before the appointment the agency at fault is asked for its apology.

    The configured warning (default 8 working hours), but never more than a quarter of the
    working time `granted` from the clock start to the appointment: otherwise a dossier due
    the same or the next working day (8 hours or less in all) would be flagged for an
    apology the moment it is received, before anyone could be late with it.
    """
    return min(warning, granted / APOLOGY_WARNING_SHARE)


def granted_time(
    calendar: WorkCalendar, clock_start: datetime, appointment_at: datetime
) -> timedelta:
    """The working time a dossier was given: from its clock start to its appointment."""
    return max(calendar.working_time_between(clock_start, appointment_at), timedelta(0))


def needs_apology(
    calendar: WorkCalendar, appointment_at: datetime, now: datetime, warning: timedelta
) -> bool:
    """True once at most `warning` working time is left before the appointment (or none)."""
    if now >= appointment_at:
        return True
    return calendar.working_time_between(now, appointment_at) <= warning
