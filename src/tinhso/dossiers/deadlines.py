"""The appointment date (ngày hẹn trả kết quả) and the supplement pause: pure functions.

Legal sources: Decree 118/2025/NĐ-CP (the appointment on the receipt, Mẫu 01; the time to
supplement a dossier is not counted); the processing time published with each procedure,
in working days or working hours (Labour Code 2019 Art. 112 for the days off, through
`tinhso.core.workdays`). The clock legally starts at valid reception, not at online
submission; the date computed at submission is the provisional one printed on the electronic
receipt, and the one-stop module recomputes it at reception [counting rule from a secondary
synthesis, UNCONFIRMED]. "Trong ngày" procedures are due at the end of the working day on
which the clock starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from tinhso.core.workdays import WorkCalendar


def appointment(
    calendar: WorkCalendar,
    start: datetime,
    *,
    days: Decimal | None,
    hours: Decimal | None,
    paused: timedelta = timedelta(0),
) -> datetime:
    """When the result is due: `start` plus the processing time plus the paused working time."""
    extra_hours = paused.total_seconds() / 3600
    if days is not None:
        return calendar.add_working_time(start, days=float(days), hours=extra_hours)
    if hours is not None:
        return calendar.add_working_time(start, hours=float(hours) + extra_hours)
    # within the day: the end of the working day on which the clock starts
    begin = calendar.add_working_time(start, hours=extra_hours + 1 / 3600)
    day = begin.date()
    while not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
    last_end = calendar.periods[-1][1]
    return datetime.combine(day, last_end, calendar.tz)


def paused_time(
    calendar: WorkCalendar, intervals: Iterable[tuple[datetime, datetime | None]], now: datetime
) -> timedelta:
    """Working time the clock stood still: each supplement request until it was answered."""
    total = timedelta(0)
    for start, end in intervals:
        total += calendar.working_time_between(start, end or now)
    return total
