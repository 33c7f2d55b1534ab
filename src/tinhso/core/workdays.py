"""The working-day calendar behind every legal deadline (lịch làm việc).

Legal sources: Labour Code 2019, Art. 112 (public holidays: 1/1, Tết 5 days, Hùng Kings'
day 10/3 lunar, 30/4, 1/5, 2/9 and an adjacent day), as computed by the `holidays` package
(lunar dates on the Vietnamese calendar, weekend holidays observed on the next working day,
the year-specific civil-service swaps it lists). The five-day week Monday to Friday for state
agencies (Decree 101/2025 / formerly Decision 188/1999/QĐ-TTg) and the default hours
07:30-11:30 and 13:00-17:00 are configurable, since provinces set their own office hours
[the hours are UNCONFIRMED as a national rule]. Each year the Ministry announces the civil
servants' Tết break and swap days; administrators enter those as `CalendarChange` rows, which
`WorkCalendar.with_changes` lays over the statutory calendar.

Pure: no database, no clock. `tinhso.core.calendar.current_calendar()` adds the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.vietnam import VietnamStaticHolidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 0), time(17, 0)),
)
MONDAY_TO_FRIDAY = frozenset(range(5))
DEFAULT_YEARS = range(2015, 2046)


class OutsideCalendar(ValueError):
    """The computation reached a year the calendar has no holidays for."""


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked and at what hours.

    `days_off` and `working_days` override the weekly pattern for single dates: a holiday on a
    weekday, a make-up working Saturday.
    """

    years: range = DEFAULT_YEARS
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    tz: ZoneInfo = VIETNAM
    names: dict[date, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        for start, end in self.periods:
            if not start < end:
                raise ValueError(f"working period {start}-{end} ends before it starts")
        for (_, end), (start, _) in zip(self.periods, self.periods[1:], strict=False):
            if not end <= start:
                raise ValueError("working periods must be in order and must not overlap")

    # --- days --------------------------------------------------------------------------
    @property
    def day_length(self) -> timedelta:
        return sum(
            (
                datetime.combine(date.min, b) - datetime.combine(date.min, a)
                for a, b in self.periods
            ),
            timedelta(),
        )

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            raise OutsideCalendar(
                f"{day:%d/%m/%Y} is outside the calendar ({self.years.start}-{self.years.stop - 1})"
            )
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() in self.weekdays

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def with_changes(
        self, *, days_off: Iterable[date] = (), working_days: Iterable[date] = ()
    ) -> WorkCalendar:
        """This calendar with administrators' year-specific changes laid over it."""
        off, on = set(days_off), set(working_days)
        return replace(
            self,
            days_off=(self.days_off - on) | off,
            working_days=(self.working_days - off) | on,
        )

    # --- time --------------------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, a, self.tz), datetime.combine(day, b, self.tz))
            for a, b in self.periods
        ]

    def add_working_time(self, start: datetime, days: float = 0, hours: float = 0) -> datetime:
        """The moment `days` working days plus `hours` working hours after `start`.

        A working day is `day_length` of working time, so 09:00 on a working day plus N days
        is 09:00 on the N-th working day after it, and half days work as 4 hours. A start
        outside working hours counts from the next working moment. The result is in the
        calendar's time zone; a result at the end of a period stays there (17:00, not 07:30
        the next day).
        """
        remaining = self.day_length * days + timedelta(hours=hours)
        if remaining < timedelta(0):
            raise ValueError("working time to add must not be negative")
        moment = self.local(start)
        if remaining == timedelta(0):
            return moment
        day = moment.date()
        while True:
            for begin, end in self._periods_on(day):
                if moment >= end:
                    continue
                begin = max(begin, moment)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
            moment = datetime.combine(day, time.min, self.tz)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (negative when `end` comes first)."""
        start, end = self.local(start), self.local(end)
        if end < start:
            return -self.working_time_between(end, start)
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            for begin, finish in self._periods_on(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """`working_time_between` in working days (8 hours each by default)."""
        return self.working_time_between(start, end) / self.day_length


def statutory_holidays(years: range = DEFAULT_YEARS) -> tuple[dict[date, str], set[date]]:
    """Public holidays (with observed and swapped days off) and swap working days by law."""
    table = holidays.country_holidays("VN", years=list(years), language="vi")
    days_off = {day: str(name) for day, name in table.items()}
    working: set[date] = set()
    # The package keeps each civil-service swap as (day off, worked day[, worked day's year]);
    # it adds the day off itself, and the worked Saturday is the make-up day.
    special: dict[int, Any] = VietnamStaticHolidays.special_public_holidays
    for year, swaps in special.items():
        entries = swaps if isinstance(swaps[0], tuple) else (swaps,)
        for entry in entries:
            worked_year = entry[4] if len(entry) > 4 else year
            worked = date(worked_year, entry[2], entry[3])
            if worked.year in years:
                working.add(worked)
    return days_off, working


@lru_cache(maxsize=8)
def statutory_calendar(
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS, years: range = DEFAULT_YEARS
) -> WorkCalendar:
    """The calendar the law gives, without any administrator's changes."""
    days_off, working = statutory_holidays(years)
    return WorkCalendar(
        years=years,
        days_off=frozenset(days_off),
        working_days=frozenset(working),
        periods=periods,
        names=days_off,
    )


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """'07:30-11:30,13:00-17:00' → periods. Raises ValueError with the part that is wrong."""
    periods = []
    for part in text.split(","):
        try:
            a, b = part.strip().split("-")
            periods.append((time.fromisoformat(a.strip()), time.fromisoformat(b.strip())))
        except ValueError:
            raise ValueError(f"working period {part.strip()!r} is not like 07:30-11:30") from None
    return tuple(periods)
