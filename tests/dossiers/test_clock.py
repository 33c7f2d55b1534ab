"""The legal clock with exact expected times, on the statutory calendar (no database)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tinhso.core.workdays import VIETNAM, statutory_calendar
from tinhso.dossiers import clock
from tinhso.dossiers.clock import StepSpan, Verdict

CAL = statutory_calendar()
FIVE_DAYS = clock.budget(CAL, days=Decimal(5), hours=None)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VIETNAM)  # type: ignore[misc]


def test_five_working_days_across_tet_2026():
    received = at(2026, 2, 12, 9, 0)  # Thursday; Tết holiday Mon 16 – Fri 20 Feb
    start = clock.clock_start(CAL, received)
    assert start == received
    assert clock.appointment(CAL, start, FIVE_DAYS) == at(2026, 2, 26, 9, 0)


def test_five_working_days_in_the_week_of_hung_kings_day_2026():
    # 10/3 lunar = Sun 26 Apr, observed Mon 27 Apr; Thu 30 Apr and Fri 1 May are off too
    received = at(2026, 4, 24, 9, 0)  # Friday
    start = clock.clock_start(CAL, received)
    assert clock.appointment(CAL, start, FIVE_DAYS) == at(2026, 5, 6, 9, 0)
    # received in that week: Tue 28 Apr 10:00 → Wed 29, Mon 4, Tue 5, Wed 6, Thu 7 May
    assert clock.appointment(CAL, at(2026, 4, 28, 10, 0), FIVE_DAYS) == at(2026, 5, 7, 10, 0)


def test_reception_after_the_cutoff_on_a_friday_counts_from_monday_0730():
    received = at(2026, 3, 6, 15, 30)  # Friday
    start = clock.clock_start(CAL, received)
    assert start == at(2026, 3, 9, 7, 30)
    # five full working days Monday to Friday: due at the end of Friday
    assert clock.appointment(CAL, start, FIVE_DAYS) == at(2026, 3, 13, 17, 0)


def test_cutoff_edges_and_days_off():
    assert clock.clock_start(CAL, at(2026, 3, 6, 14, 59)) == at(2026, 3, 6, 14, 59)
    assert clock.clock_start(CAL, at(2026, 3, 6, 15, 0)) == at(2026, 3, 9, 7, 30)
    assert clock.clock_start(CAL, at(2026, 3, 7, 10, 0)) == at(2026, 3, 9, 7, 30)  # Saturday
    assert clock.clock_start(CAL, at(2026, 3, 9, 6, 0)) == at(2026, 3, 9, 7, 30)
    assert clock.clock_start(CAL, at(2026, 2, 13, 16, 0)) == at(2026, 2, 23, 7, 30)  # Tết
    late_cutoff = time(16, 30)
    assert clock.clock_start(CAL, at(2026, 3, 6, 15, 30), late_cutoff) == at(2026, 3, 6, 15, 30)


def test_two_supplementation_pauses_move_the_appointment_and_make_it_late():
    start = at(2026, 3, 2, 9, 0)  # Monday
    assert clock.appointment(CAL, start, FIVE_DAYS) == at(2026, 3, 9, 9, 0)
    pauses = [
        (at(2026, 3, 3, 10, 0), at(2026, 3, 4, 10, 0)),  # one working day
        (at(2026, 3, 5, 14, 0), at(2026, 3, 5, 16, 0)),  # two working hours
    ]
    assert clock.paused(CAL, pauses, at(2026, 3, 6)) == timedelta(hours=10)
    due = clock.appointment(CAL, start, FIVE_DAYS, pauses)
    assert due == at(2026, 3, 10, 11, 0)
    finished = at(2026, 3, 10, 10, 30)
    assert clock.national_verdict(CAL, finished, due, supplement_requests=1) == Verdict.ON_TIME
    assert clock.national_verdict(CAL, finished, due, supplement_requests=2) == Verdict.LATE
    assert clock.national_verdict(CAL, at(2026, 3, 9, 16), due, 1) == Verdict.EARLY
    assert clock.national_verdict(CAL, at(2026, 3, 10, 11, 1), due, 0) == Verdict.LATE


def test_an_open_pause_counts_until_now():
    start = at(2026, 3, 2, 9, 0)
    pauses = [(at(2026, 3, 3, 9, 0), None)]
    due = clock.appointment(CAL, start, FIVE_DAYS, pauses, now=at(2026, 3, 3, 13, 30))
    # 2h30 of morning + 30 min after lunch = 3 hours: Mon 09:00 + 3 h = 13:30
    assert due == at(2026, 3, 9, 13, 30)


def test_inter_agency_route_second_agency_late_owes_the_apology():
    start = at(2026, 3, 2, 9, 0)
    first_due = clock.step_due(CAL, start, FIVE_DAYS, Decimal(60))
    assert first_due == at(2026, 3, 5, 9, 0)  # 60 % of 40 h = 24 h = three working days
    first_done = at(2026, 3, 4, 15, 0)
    assert clock.verdict(CAL, first_done, first_due) == Verdict.EARLY
    second_due = clock.step_due(CAL, first_done, FIVE_DAYS, Decimal(40))
    assert second_due == at(2026, 3, 6, 15, 0)  # 16 h
    spans = [
        StepSpan("000.00.03.H66", start, first_due, first_done),
        StepSpan("000.00.05.H66", first_done, second_due, None),
    ]
    assert clock.agency_at_fault(spans, at(2026, 3, 6, 14, 0)) is None
    now = at(2026, 3, 9, 8, 0)
    appointment = clock.appointment(CAL, start, FIVE_DAYS)
    assert clock.agency_at_fault(spans, now) == "000.00.05.H66"
    assert clock.needs_apology(CAL, appointment, now, warning=timedelta(hours=8)) is True
    assert clock.needs_apology(CAL, appointment, at(2026, 3, 5, 9), timedelta(hours=8)) is False


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (at(2026, 3, 9, 8, 0), Verdict.ON_TIME),
        (at(2026, 3, 9, 9, 0), Verdict.ON_TIME),
        (at(2026, 3, 6, 17, 0), Verdict.EARLY),
        (at(2026, 3, 9, 9, 1), Verdict.LATE),
    ],
)
def test_verdict_edges(finished, expected):
    assert clock.verdict(CAL, finished, at(2026, 3, 9, 9, 0)) == expected


def test_within_the_day_and_hours_budgets():
    assert clock.budget(CAL, days=None, hours=Decimal(4)) == timedelta(hours=4)
    assert clock.budget(CAL, days=None, hours=None) == timedelta(hours=8)
    assert clock.step_budget(timedelta(hours=40), Decimal("33.33")) == timedelta(
        seconds=47995, microseconds=0
    )


ONE_DAY = clock.budget(CAL, days=Decimal(1), hours=None)
EIGHT_HOURS = timedelta(hours=8)


def test_a_dossier_due_the_next_working_day_is_not_flagged_at_reception():
    received = at(2026, 3, 4, 9, 0)  # Wednesday
    start = clock.clock_start(CAL, received)
    appointment = clock.appointment(CAL, start, ONE_DAY)
    assert appointment == at(2026, 3, 5, 9, 0)
    warning = clock.apology_warning(ONE_DAY, EIGHT_HOURS)
    assert warning == timedelta(hours=2)  # a quarter of the day, not the whole of it
    assert not clock.needs_apology(CAL, appointment, received, warning)
    assert not clock.needs_apology(CAL, appointment, at(2026, 3, 4, 15, 0), warning)
    # two working hours before the appointment the agency is asked for its apology
    assert clock.needs_apology(CAL, appointment, at(2026, 3, 5, 7, 30), warning)


def test_the_configured_warning_stands_for_longer_procedures():
    assert clock.apology_warning(FIVE_DAYS, EIGHT_HOURS) == EIGHT_HOURS
