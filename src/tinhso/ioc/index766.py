"""The Decision 766 index (Bộ chỉ số phục vụ người dân, doanh nghiệp): groups, maxima, the
threshold rule and the national on-time rule of one dossier.

Legal source: Decision 766/QĐ-TTg (23/6/2022) as the published description of its formulas
("Mô tả công thức tính chỉ số 766") gives it; docs/ioc.md lists each indicator, its formula
and its data in tinhso.

- Groups and their points: CKMB 18, TDGQ 20, CLGQ 12, TTTT 10, MDSH 22, MDHL 18 (100).
- Indicator maxima: 5.1 = 5, 5.2 = 5, 5.3 = 2, 5.4 = 6 are given. The others are not in the
  text we hold [UNCONFIRMED]: `DEFAULT_MAXIMA` splits each group's points as docs/ioc.md says,
  and `maxima()` takes a province's own table (setting `IOC_766_MAXIMA`), checked to add up
  to each group's points.
- Threshold rule: full marks at or above the threshold, else `rate × maximum ÷ threshold`.
  An indicator without a threshold is scored against 100%.
- On time (2.1): the end (first of finished, returned, stopped or refused) at or before the
  appointment; the citizen's supplementation time is not counted; more than one
  supplementation request is late; a dossier unfinished at the period's end is judged then.

Pure: no database, no clock; the working-day calendar and every moment are passed in.
An indicator whose data tinhso does not hold is `unavailable` with its reason, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_noop

from tinhso.core.workdays import WorkCalendar
from tinhso.dossiers.clock import Interval, Verdict, verdict

HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Group:
    key: str  # the national portal's dashboard key
    name: str
    maximum: int
    indicators: tuple[str, ...]


GROUPS: tuple[Group, ...] = (
    Group("CKMB", gettext_noop("Công khai, minh bạch"), 18, ("1.1", "1.2", "1.3", "1.4")),
    Group("TDGQ", gettext_noop("Tiến độ giải quyết"), 20, ("2.1", "2.2")),
    Group("CLGQ", gettext_noop("Dịch vụ công trực tuyến"), 12, ("3.1", "3.2", "3.3")),
    Group("TTTT", gettext_noop("Thanh toán trực tuyến"), 10, ("3.5", "3.6")),
    Group("MDSH", gettext_noop("Số hóa hồ sơ"), 22, ("4.1", "4.2", "4.3", "4.4", "4.5")),
    Group("MDHL", gettext_noop("Mức độ hài lòng"), 18, ("5.1", "5.2", "5.3", "5.4")),
)

# Given by the formulas' description: 5.1-5.4. The rest: each group's points split by us
# (docs/ioc.md, "Maxima"), replaceable with `maxima(overrides)`.
DEFAULT_MAXIMA: dict[str, int] = {
    "1.1": 4, "1.2": 4, "1.3": 4, "1.4": 6,
    "2.1": 14, "2.2": 6,
    "3.1": 4, "3.2": 4, "3.3": 4,
    "3.5": 5, "3.6": 5,
    "4.1": 4, "4.2": 6, "4.3": 4, "4.4": 4, "4.5": 4,
    "5.1": 5, "5.2": 5, "5.3": 2, "5.4": 6,
}  # fmt: skip

# Full marks at or above (percent); an indicator not named here is scored against 100%.
THRESHOLDS: dict[str, Decimal] = {
    "3.1": Decimal(80),
    "3.3": Decimal(50),
    "3.5": Decimal(80),
    "4.2": Decimal(80),
    "4.3": Decimal(80),
    "5.4": Decimal(90),
}


def maxima(overrides: Mapping[str, Any] | None = None) -> dict[str, Decimal]:
    """The indicator maxima: the defaults with `overrides` ({code: points}); ValueError when a
    code is unknown, a value is negative or a group's indicators no longer add up to it."""
    table = {code: Decimal(points) for code, points in DEFAULT_MAXIMA.items()}
    for code, points in (overrides or {}).items():
        if code not in table:
            raise ValueError(f"unknown indicator {code!r}")
        value = Decimal(str(points))
        if value < 0:
            raise ValueError(f"{code}: negative maximum {value}")
        table[code] = value
    for group in GROUPS:
        total = sum((table[code] for code in group.indicators), Decimal(0))
        if total != group.maximum:
            raise ValueError(f"{group.key}: indicators add up to {total}, not {group.maximum}")
    return table


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator in percent, two decimals half up; None for nothing measured."""
    if denominator == 0:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(_CENT, ROUND_HALF_UP)


def points(rate: Decimal, maximum: Decimal, threshold: Decimal = HUNDRED) -> Decimal:
    """The threshold rule: full marks at or above `threshold`, else rate × maximum ÷ threshold."""
    if rate >= threshold:
        return maximum
    return (max(rate, Decimal(0)) * maximum / threshold).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class IndicatorValue:
    """One indicator of one unit and period (chỉ số thành phần).

    Counted (`numerator` of `denominator`) and scored by the threshold rule; or `unavailable`
    with the reason tinhso cannot count it. A zero denominator is "no data": rate and points
    None. `unscored` names why a counted value earns no points (2.2: an average, with no
    published scoring rule); `value` then holds it.
    """

    code: str
    maximum: Decimal
    numerator: int | None = None
    denominator: int | None = None
    unavailable: str = ""
    unscored: str = ""
    value: Decimal | None = None
    unit: str = "percent"

    @property
    def rate(self) -> Decimal | None:
        if self.unavailable:
            return None
        if self.value is not None:
            return self.value
        if self.numerator is None or self.denominator is None:
            return None
        return percent(self.numerator, self.denominator)

    @property
    def threshold(self) -> Decimal:
        return THRESHOLDS.get(self.code, HUNDRED)

    @property
    def points(self) -> Decimal | None:
        rate = self.rate
        if rate is None or self.unscored or self.unavailable:
            return None
        return points(rate, self.maximum, self.threshold)

    def as_dict(self) -> dict[str, Any]:
        rate, earned = self.rate, self.points
        return {
            "code": self.code,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": None if rate is None else float(rate),
            "unit": self.unit,
            "threshold": float(self.threshold),
            "points": None if earned is None else float(earned),
            "maximum": float(self.maximum),
            "available": not self.unavailable,
            "reason": self.unavailable or self.unscored,
        }


def counted(code: str, numerator: int, denominator: int, maximum: Decimal) -> IndicatorValue:
    if not 0 <= numerator <= denominator:
        raise ValueError(f"{code}: {numerator} of {denominator} is not a share")
    return IndicatorValue(code, maximum, numerator, denominator)


def unavailable(code: str, reason: str, maximum: Decimal) -> IndicatorValue:
    return IndicatorValue(code, maximum, unavailable=reason)


@dataclass(frozen=True)
class GroupValue:
    group: Group
    indicators: tuple[IndicatorValue, ...]

    @property
    def points(self) -> Decimal:
        """Points earned by the indicators that could be scored."""
        return sum((i.points for i in self.indicators if i.points is not None), Decimal(0))

    @property
    def scored_maximum(self) -> Decimal:
        """The maximum of the indicators that were scored (what `points` is out of)."""
        return sum((i.maximum for i in self.indicators if i.points is not None), Decimal(0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.group.key,
            "name": self.group.name,
            "points": float(self.points),
            "scored_maximum": float(self.scored_maximum),
            "maximum": self.group.maximum,
            "indicators": [i.as_dict() for i in self.indicators],
        }


@dataclass(frozen=True)
class Index:
    groups: tuple[GroupValue, ...] = field(default_factory=tuple)

    @property
    def points(self) -> Decimal:
        return sum((g.points for g in self.groups), Decimal(0))

    @property
    def scored_maximum(self) -> Decimal:
        return sum((g.scored_maximum for g in self.groups), Decimal(0))

    @property
    def maximum(self) -> int:
        return sum(g.group.maximum for g in self.groups)

    def as_dict(self) -> dict[str, Any]:
        return {
            "points": float(self.points),
            "scored_maximum": float(self.scored_maximum),
            "maximum": self.maximum,
            "groups": [g.as_dict() for g in self.groups],
        }


def assemble(values: Iterable[IndicatorValue]) -> Index:
    """The index from indicator values, in the groups' order; every indicator must be given."""
    by_code = {v.code: v for v in values}
    missing = [c for g in GROUPS for c in g.indicators if c not in by_code]
    if missing:
        raise ValueError(f"indicators not given: {', '.join(missing)}")
    return Index(tuple(GroupValue(g, tuple(by_code[c] for c in g.indicators)) for g in GROUPS))


# --- 2.1: one dossier on time ---------------------------------------------------------------


def paused_time(calendar: WorkCalendar, pauses: Iterable[Interval], until: datetime) -> timedelta:
    """Working time of the supplementation pauses, each until answered or until `until`."""
    total = timedelta(0)
    for start, end in pauses:
        if start >= until:
            continue
        stop = until if end is None else min(end, until)
        total += max(calendar.working_time_between(start, stop), timedelta(0))
    return total


def dossier_verdict(
    calendar: WorkCalendar,
    *,
    appointment: datetime,
    end: datetime | None,
    period_end: datetime,
    supplement_requests: int = 0,
    pauses: Iterable[Interval] = (),
) -> Verdict:
    """Early, on time or late, for indicator 2.1, as at `period_end`.

    `appointment` is the promised time without the pauses listed in `pauses` (the
    supplementation requests during processing); their working time moves it later.
    `end` is the end of processing (finished, returned, stopped or refused); an end at or
    after `period_end` counts as unfinished. Unfinished: late once `period_end` is past the
    appointment, else on time (in progress). More than one supplementation request: late.
    """
    if supplement_requests > 1:
        return Verdict.LATE
    if end is not None and end >= period_end:
        end = None
    until = end or period_end
    due = calendar.add_working_time(
        appointment, hours=paused_time(calendar, pauses, until).total_seconds() / 3600
    )
    if end is not None:
        return verdict(calendar, end, due)
    return Verdict.LATE if period_end > calendar.local(due) else Verdict.ON_TIME


COUNTED_STATES = frozenset(
    {"received", "supplement_requested", "approved", "refused", "result_ready", "returned"}
)


def counts_for_progress(state: str, received: bool) -> bool:
    """Whether a dossier counts in 2.1's denominator: received, and not rejected at the
    counter or withdrawn (both end before reception, so the agency never held them)."""
    return received and state in COUNTED_STATES


def satisfaction(received: int, late: int, disliked: int) -> tuple[int, int]:
    """5.4 as counts: 100% − (late share + disliked share), as (numerator, denominator) with
    numerator = received − late − disliked, never below 0 (a late and disliked dossier is
    subtracted twice, as the formula's two shares are)."""
    return max(received - late - disliked, 0), received
