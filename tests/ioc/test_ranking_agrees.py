"""The agency ranking counts 2.1 as the index does (issue 16: the ranking gave an agency 40%
on time where index 2.1 and the public page said 100%: it judged the still-open dossiers at
the month's end, the index at now)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tinhso.core.periods import parse
from tinhso.ioc import dashboard, queries

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def index_21(code: str, period: str, now: datetime) -> tuple[int, int]:
    unit = queries.resolve_unit(code)
    found = queries.unit_index(unit, parse(period), now=now).index
    value = next(i for g in found.groups for i in g.indicators if i.code == "2.1")
    return value.numerator, value.denominator


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("period", "now", "expected"),
    [
        # the quarter not over on 2 Dec: D6 (due 3 Dec 17:00, open) is on time now, though
        # it would be late at the quarter's end: D1, D3, D5, D6 of 8
        ("2026-Q4", datetime(2026, 12, 2, 9, tzinfo=HCM), (4, 8, Decimal("50.00"))),
        # on 4 Dec D6 is late by now as well: D1, D3, D5 of 8
        ("2026-Q4", datetime(2026, 12, 4, 9, tzinfo=HCM), (3, 8, Decimal("37.50"))),
    ],
)
def test_the_ranking_and_index_21_agree(world, period, now, expected):
    stp = queries.resolve_unit("000.00.03.H66")
    rows = {r.code: r for r in dashboard.ranking(list(stp.agencies), parse(period), now=now)}
    row = rows["000.00.03.H66"]
    assert (row.on_time, row.received, row.on_time_share) == expected
    assert (row.on_time, row.received) == index_21("000.00.03.H66", period, now)
