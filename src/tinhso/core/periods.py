"""Reporting periods (kỳ báo cáo): a month, a quarter or a year, written as the operations
centre's API will read them (`GET /api/v1/ioc/index?unit=..&period=..`).

Legal source: Decision 766/QĐ-TTg (23/6/2022): the indicators of serving citizens and
businesses are published per month, quarter and year.

    2026-11   the month of November 2026
    2026-Q4   the fourth quarter (October to December; `q4` accepted)
    2026      the whole year

Pure: no database and no clock. A period is a half-open range of local dates [start, end);
`bounds(tz)` turns it into aware datetimes at local midnight, so a dossier received at
23:59 on the last day belongs to the period and one at 00:00 on the next day does not.
Anything else raises `PeriodError` (a ValueError) with a stable code and a Vietnamese message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Literal

PERIOD_INVALID = "core.period_invalid"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # outside these a year is a typing error, not a period

_PATTERN = re.compile(r"(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|[Qq](?P<quarter>[1-4])))?")

Kind = Literal["month", "quarter", "year"]


class PeriodError(ValueError):
    """A period that cannot be read; `code` is stable, the message is for a person."""

    code = PERIOD_INVALID

    def __init__(self, text: str) -> None:
        self.text = text
        self.message = (
            f"Kỳ báo cáo {text!r} không hợp lệ: hãy ghi tháng (2026-11), "
            f"quý (2026-Q4) hoặc năm (2026)."
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class Period:
    kind: Kind
    year: int
    number: int = 0  # the month (1-12) or the quarter (1-4); 0 for a year

    @property
    def start(self) -> date:
        if self.kind == "month":
            return date(self.year, self.number, 1)
        if self.kind == "quarter":
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        if self.kind == "year":
            return date(self.year + 1, 1, 1)
        last_month = self.number if self.kind == "month" else 3 * self.number
        if last_month == 12:
            return date(self.year + 1, 1, 1)
        return date(self.year, last_month + 1, 1)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at local midnight in `tz`."""
        return (
            datetime.combine(self.start, time(0), tzinfo=tz),
            datetime.combine(self.end, time(0), tzinfo=tz),
        )

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return str(self.year)


def parse(text: str) -> Period:
    """`2026-11`, `2026-Q4` or `2026` as a Period; PeriodError otherwise."""
    match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not text.isascii():
        raise PeriodError(str(text))
    year = int(match["year"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(text)
    if match["month"] is not None:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise PeriodError(text)
        return Period("month", year, month)
    if match["quarter"] is not None:
        return Period("quarter", year, int(match["quarter"]))
    return Period("year", year)
