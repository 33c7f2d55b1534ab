"""Reporting periods as the operations centre writes them: month, quarter, year."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tinhso.core.periods import PERIOD_INVALID, Period, PeriodError, parse

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "period", "start", "end", "label"),
    [
        ("2026-11", Period("month", 2026, 11), date(2026, 11, 1), date(2026, 12, 1), "2026-11"),
        ("2026-12", Period("month", 2026, 12), date(2026, 12, 1), date(2027, 1, 1), "2026-12"),
        ("2028-02", Period("month", 2028, 2), date(2028, 2, 1), date(2028, 3, 1), "2028-02"),
        ("2026-Q4", Period("quarter", 2026, 4), date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
        ("2026-q1", Period("quarter", 2026, 1), date(2026, 1, 1), date(2026, 4, 1), "2026-Q1"),
        ("2026-Q2", Period("quarter", 2026, 2), date(2026, 4, 1), date(2026, 7, 1), "2026-Q2"),
        (" 2026 ", Period("year", 2026), date(2026, 1, 1), date(2027, 1, 1), "2026"),
    ],
)
def test_month_quarter_and_year(text, period, start, end, label):
    parsed = parse(text)
    assert parsed == period
    assert (parsed.start, parsed.end, str(parsed)) == (start, end, label)
    assert parse(str(parsed)) == parsed  # what it prints, it reads back


def test_bounds_are_local_midnights():
    start, end = parse("2026-11").bounds(HCM)
    assert start == datetime(2026, 11, 1, tzinfo=HCM)
    assert end == datetime(2026, 12, 1, tzinfo=HCM)
    assert start.utcoffset().total_seconds() == 7 * 3600
    # 31 October 2026 at 17:00 UTC is already 1 November at midnight in Hà Nội
    assert start.astimezone(ZoneInfo("UTC")) == datetime(2026, 10, 31, 17, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026-00",
        "2026-1",
        "2026-Q5",
        "2026-Q0",
        "26-11",
        "2026/11",
        "2026-11-05",
        "１２０２６",
        "2026-１１",
        "1999",
        "2101",
        "Q4-2026",
        "2026-H1",
        "năm 2026",
    ],
)
def test_anything_else_is_a_typed_error_in_vietnamese(text):
    with pytest.raises(PeriodError) as caught:
        parse(text)
    assert caught.value.code == PERIOD_INVALID == "core.period_invalid"
    assert caught.value.message == (
        f"Kỳ báo cáo {text!r} không hợp lệ: hãy ghi tháng (2026-11), quý (2026-Q4) hoặc năm (2026)."
    )
    assert isinstance(caught.value, ValueError)


def test_not_a_string_is_refused_too():
    with pytest.raises(PeriodError):
        parse(202611)  # type: ignore[arg-type]
