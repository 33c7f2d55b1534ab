"""The legal clock with exact expected times, on the statutory calendar (no database)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tinhso.core.workdays import VIETNAM, statutory_calendar
from tinhso.dossiers import clock
from tinhso.dossiers.clock import StepSpan, Verdict

CAL = statutory_calendar()
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=VIETNAM)
FIVE_DAYS = clock.budget(CAL, MONDAY, days=Decimal(5), hours=None)


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
    shares = [Decimal(60), Decimal(40)]
    first_due = clock.step_due(CAL, start, FIVE_DAYS, clock.share_through(shares, 0))
    assert first_due == at(2026, 3, 5, 9, 0)  # 60 % of 40 h = 24 h = three working days
    first_done = at(2026, 3, 4, 15, 0)
    assert clock.verdict(CAL, first_done, first_due) == Verdict.EARLY
    # cumulative: the second step has the rest of the time, up to the appointment, however
    # early the first one finished
    second_due = clock.step_due(CAL, start, FIVE_DAYS, clock.share_through(shares, 1))
    assert second_due == clock.appointment(CAL, start, FIVE_DAYS) == at(2026, 3, 9, 9, 0)
    spans = [
        StepSpan("000.00.03.H66", start, first_due, first_done),
        StepSpan("000.00.05.H66", first_done, second_due, None),
    ]
    assert clock.agency_at_fault(spans, at(2026, 3, 6, 14, 0)) is None
    now = at(2026, 3, 9, 10, 0)
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


def test_hours_budget():
    assert clock.budget(CAL, MONDAY, days=None, hours=Decimal(4)) == timedelta(hours=4)
    assert clock.budget(CAL, MONDAY, days=Decimal("0.5"), hours=None) == timedelta(hours=4)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 3, 2, 9, 0), at(2026, 3, 2, 17, 0)),  # Monday morning: that evening
        (at(2026, 3, 2, 14, 59), at(2026, 3, 2, 17, 0)),  # just before the cut-off
        (at(2026, 3, 2, 15, 0), at(2026, 3, 3, 17, 0)),  # at the cut-off: the next day
        (at(2026, 3, 2, 6, 45), at(2026, 3, 2, 17, 0)),  # before opening: that day
        (at(2026, 3, 7, 10, 0), at(2026, 3, 9, 17, 0)),  # Saturday: Monday
        (at(2026, 2, 13, 16, 0), at(2026, 2, 23, 17, 0)),  # the eve of Tết: after it
    ],
)
def test_within_the_day_is_due_at_the_end_of_the_day_the_clock_starts(received, due):
    start = clock.clock_start(CAL, received)
    processing = clock.budget(CAL, start, days=None, hours=None)
    assert clock.appointment(CAL, start, processing) == due


def test_within_the_day_as_one_working_day_when_so_configured():
    start = clock.clock_start(CAL, at(2026, 3, 2, 14, 0))
    processing = clock.budget(
        CAL, start, days=None, hours=None, within_day=clock.WithinDay.ONE_WORKING_DAY
    )
    assert processing == timedelta(hours=8)
    assert clock.appointment(CAL, start, processing) == at(2026, 3, 3, 14, 0)


def test_step_deadlines_are_cumulative_and_in_route_order():
    """Regression: step 2 was due 11/12 while step 1 was due 21/12 (each step got its own
    share from the moment it started)."""
    start = at(2026, 12, 7, 7, 30)  # Monday
    ten_days = clock.budget(CAL, start, days=Decimal(10), hours=None)
    shares = [Decimal(90), Decimal(5), Decimal(5)]
    dues = [clock.step_due(CAL, start, ten_days, clock.share_through(shares, i)) for i in range(3)]
    assert dues == sorted(dues)
    assert dues[-1] == clock.appointment(CAL, start, ten_days) == at(2026, 12, 18, 17, 0)
    assert dues[0] == at(2026, 12, 17, 17, 0)  # 90 % = 9 working days
    # shares that do not add up to 100: the last step still ends at the appointment
    assert clock.share_through([Decimal(30), Decimal(30)], 1) == Decimal(100)
    assert clock.share_through([Decimal(80), Decimal(80), Decimal(10)], 1) == Decimal(100)


ONE_DAY = clock.budget(CAL, MONDAY, days=Decimal(1), hours=None)
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


def test_a_dossier_due_the_same_day_is_not_flagged_at_reception():
    """Regression: the warning (8 working hours by default) is longer than the time a
    dossier due the same or the next working day is given: it must be capped at a quarter
    of the time actually granted, from clock start to appointment."""
    received = at(2026, 3, 4, 14, 55)  # "trong ngày", just before the cut-off
    start = clock.clock_start(CAL, received)
    appointment = clock.appointment(CAL, start, clock.budget(CAL, start, days=None, hours=None))
    assert appointment == at(2026, 3, 4, 17, 0)
    given = clock.granted_time(CAL, start, appointment)
    assert given == timedelta(hours=2, minutes=5)
    warning = clock.apology_warning(given, EIGHT_HOURS)
    assert not clock.needs_apology(CAL, appointment, received, warning)
    assert not clock.needs_apology(CAL, appointment, at(2026, 3, 4, 16, 0), warning)
    assert clock.needs_apology(CAL, appointment, at(2026, 3, 4, 16, 30), warning)
    # received after the cut-off on a Friday, due on Monday: not at reception either
    friday = at(2026, 3, 6, 15, 30)
    start = clock.clock_start(CAL, friday)
    appointment = clock.appointment(CAL, start, ONE_DAY)
    warning = clock.apology_warning(clock.granted_time(CAL, start, appointment), EIGHT_HOURS)
    assert not clock.needs_apology(CAL, appointment, friday, warning)


def test_end_of_working_day():
    assert clock.end_of_working_day(CAL, at(2026, 3, 2, 12, 0)) == at(2026, 3, 2, 17, 0)
    assert clock.end_of_working_day(CAL, at(2026, 3, 2, 17, 0)) == at(2026, 3, 3, 17, 0)
    assert clock.end_of_working_day(CAL, at(2026, 3, 8, 9, 0)) == at(2026, 3, 9, 17, 0)
