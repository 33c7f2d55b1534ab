"""Pure rules of field reports: routing, deadlines, transitions, places, Open311 status.

No I/O: callers pass the rules, the calendar and the clock; messages go through gettext.
Deadlines are working time on the legal calendar (tinhso.core.workdays; Labour Code 2019
Art. 112 for holidays); their length is each category's, set by the province (UNCONFIRMED: no
national limit for field reports; the 766 index counts 15 working days to resolve PAKN).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from tinhso.core.workdays import WorkCalendar
from tinhso.feedback import errors
from tinhso.feedback.errors import RuleError

RECEIVED = "received"
VERIFIED = "verified"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
REJECTED = "rejected"
DUPLICATE = "duplicate"

OPEN = frozenset({RECEIVED, VERIFIED, ASSIGNED, IN_PROGRESS})
CLOSED = frozenset({RESOLVED, REJECTED, DUPLICATE})

# Which state may follow which (the agency's workflow; reopen is the reporter's).
TRANSITIONS: Mapping[str, frozenset[str]] = {
    RECEIVED: frozenset({VERIFIED, ASSIGNED, IN_PROGRESS, RESOLVED, REJECTED, DUPLICATE}),
    VERIFIED: frozenset({ASSIGNED, IN_PROGRESS, RESOLVED, REJECTED, DUPLICATE}),
    ASSIGNED: frozenset({ASSIGNED, IN_PROGRESS, RESOLVED, REJECTED, DUPLICATE}),
    IN_PROGRESS: frozenset({ASSIGNED, RESOLVED, REJECTED, DUPLICATE}),
    RESOLVED: frozenset(),
    REJECTED: frozenset(),
    DUPLICATE: frozenset(),
}

# Vietnam's territory, mainland and islands (Hoàng Sa, Trường Sa), as a bounding box.
# A box, not the border: it refuses coordinates that are clearly elsewhere (a swapped
# lat/long, 0,0, another country's city), not every point a few km over the border.
LAT_MIN, LAT_MAX = Decimal("8.0"), Decimal("23.5")
LONG_MIN, LONG_MAX = Decimal("102.0"), Decimal("117.9")


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


# The agency's actions on a report, each with the state it leads to (None: the state stays).
ACTIONS: Mapping[str, str | None] = {
    "verify": VERIFIED,
    "assign": ASSIGNED,
    "start": IN_PROGRESS,
    "resolve": RESOLVED,
    "reject": REJECTED,
    "duplicate": DUPLICATE,
    "reroute": None,
    "note": None,  # an internal note: any open report, the state stays
}


def allowed_actions(state: str) -> list[str]:
    """The agency's actions a report in `state` allows, in ACTIONS order (the office page
    shows only these; each action checks again). Re-routing needs an open report."""
    return [
        name
        for name, target in ACTIONS.items()
        if (state in OPEN if target is None else can_move(state, target))
    ]


def open311_status(state: str) -> str:
    """GeoReport v2 knows two statuses: `open` and `closed`."""
    return "open" if state in OPEN else "closed"


def states_for_status(status: str) -> frozenset[str]:
    """Our states behind an Open311 status value; unknown values raise RuleError."""
    wanted: set[str] = set()
    for part in status.split(","):
        part = part.strip().lower()
        if part == "open":
            wanted |= OPEN
        elif part == "closed":
            wanted |= CLOSED
        else:
            raise RuleError(
                errors.STATUS_INVALID,
                _("status phải là open hoặc closed, không phải %(value)s.") % {"value": repr(part)},
                "status",
            )
    return frozenset(wanted)


def route(
    rules: Mapping[int | None, int], commune_id: int | None, fallback: int | None
) -> int | None:
    """The agency responsible: the commune's own rule, else the category's default rule,
    else `fallback` (the commune's People's Committee or the province's)."""
    if commune_id is not None and commune_id in rules:
        return rules[commune_id]
    if None in rules:
        return rules[None]
    return fallback


def due_at(calendar: WorkCalendar, received_at: datetime, *, days: int, hours: int) -> datetime:
    """The deadline: `days` working days plus `hours` working hours after receipt."""
    return calendar.add_working_time(received_at, days=days, hours=hours)


def is_overdue(due: datetime, now: datetime, state: str) -> bool:
    return state in OPEN and now > due


def may_reopen(state: str, resolved_at: datetime | None, now: datetime, days: int) -> bool:
    """A resolved report may be reopened by its reporter within `days` calendar days."""
    if state != RESOLVED or resolved_at is None:
        return False
    return now <= resolved_at + timedelta(days=days)


def parse_coordinate(value: str, *, field: str) -> Decimal:
    not_a_number = _("%(field)s phải là một số thập phân (WGS84).") % {"field": field}
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise RuleError(errors.COORDINATE_INVALID, not_a_number, field) from None
    if not number.is_finite():
        raise RuleError(errors.COORDINATE_INVALID, not_a_number, field)
    limit = 90 if field == "lat" else 180
    if abs(number) > limit:
        raise RuleError(
            errors.COORDINATE_INVALID,
            _("%(field)s phải nằm trong khoảng -%(limit)s đến %(limit)s (WGS84).")
            % {"field": field, "limit": limit},
            field,
        )
    try:
        return number.quantize(Decimal("0.000001"))
    except InvalidOperation:  # pragma: no cover - the range check above keeps it in bounds
        raise RuleError(errors.COORDINATE_INVALID, not_a_number, field) from None


def parse_id(value: str) -> int | None:
    """A record number from a URL or parameter: ASCII digits only ("²" passes str.isdigit),
    at most 18 of them (fits a 64-bit integer); None otherwise."""
    value = value.strip()
    if not value or len(value) > 18 or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def check_in_vietnam(lat: Decimal, long: Decimal) -> None:
    if not (LAT_MIN <= lat <= LAT_MAX and LONG_MIN <= long <= LONG_MAX):
        raise RuleError(
            errors.OUTSIDE_VIETNAM,
            _(
                "Tọa độ (%(lat)s, %(long)s) nằm ngoài lãnh thổ Việt Nam "
                "(vĩ độ %(lat_min)s–%(lat_max)s, kinh độ %(long_min)s–%(long_max)s)."
            )
            % {
                "lat": lat,
                "long": long,
                "lat_min": LAT_MIN,
                "lat_max": LAT_MAX,
                "long_min": LONG_MIN,
                "long_max": LONG_MAX,
            },
            "lat",
        )


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance in metres (haversine), for the nearby-duplicates suggestion."""
    from math import asin, cos, radians, sin, sqrt

    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(long2 - long1)
    h = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * 6_371_000 * asin(sqrt(h))


def check_rating(value: int) -> None:
    if value not in range(1, 6):
        raise RuleError(errors.RATING_INVALID, field="rating")
