"""The legal working-time arithmetic, on the cases the calendar law describes.

Expected values are worked out by hand from the published calendars: Tết 2026 is 16-20 Feb
(Mon-Fri); Tết 2027 (1st day Sat 6 Feb) gives days off 4, 5, 8, 9 and 10 Feb; Hùng Kings' day
2026 falls on Sunday 26 Apr and is observed on Monday 27 Apr; 26 Apr 2025 was a make-up
working Saturday for the day off on Friday 2 May 2025.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tinhso.core.calendar import current_calendar, set_calendar_change
from tinhso.core.models import AuditRecord, CalendarChange
from tinhso.core.workdays import VIETNAM, OutsideCalendar, WorkCalendar, statutory_calendar


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VIETNAM)


@pytest.fixture
def cal() -> WorkCalendar:
    return statutory_calendar()


def test_n_working_days_from_nine_is_nine_on_the_nth_working_day(cal):
    assert cal.add_working_time(at(2026, 3, 2), days=1) == at(2026, 3, 3)
    assert cal.add_working_time(at(2026, 3, 2), days=5) == at(2026, 3, 9)


def test_five_days_across_tet_2026(cal):
    # Thu 12 Feb: Fri 13 is day 1, Tết 16-20 and two weekends pass, Mon 23 is day 2.
    assert cal.add_working_time(at(2026, 2, 12), days=2) == at(2026, 2, 23)
    assert cal.add_working_time(at(2026, 2, 12), days=5) == at(2026, 2, 26)
    assert cal.working_time_between(at(2026, 2, 12), at(2026, 2, 26)) == timedelta(hours=40)


def test_tet_2027_weekend_days_move_to_thursday_and_wednesday(cal):
    for day in (4, 5, 8, 9, 10):
        assert not cal.is_working_day(date(2027, 2, day)), day
    assert cal.is_working_day(date(2027, 2, 3))
    assert cal.is_working_day(date(2027, 2, 11))
    assert cal.add_working_time(at(2027, 2, 3, 10), days=3) == at(2027, 2, 15, 10)


def test_observed_hung_kings_day_2026(cal):
    assert not cal.is_working_day(date(2026, 4, 27))
    assert cal.add_working_time(at(2026, 4, 24, 14), days=1) == at(2026, 4, 28, 14)
    # 30/4 and 1/5 follow in the same week.
    assert cal.add_working_time(at(2026, 4, 24, 14), days=3) == at(2026, 5, 4, 14)


def test_statutory_make_up_saturday_2025(cal):
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 5, 2))
    assert cal.add_working_time(at(2025, 4, 25), days=1) == at(2025, 4, 26)


def test_half_days_and_the_lunch_break(cal):
    assert cal.add_working_time(at(2026, 3, 2), hours=4) == at(2026, 3, 2, 14, 30)
    assert cal.add_working_time(at(2026, 3, 2), days=0.5) == at(2026, 3, 2, 14, 30)
    assert cal.add_working_time(at(2026, 3, 2, 7, 30), hours=4) == at(2026, 3, 2, 11, 30)
    assert cal.add_working_time(at(2026, 3, 2, 12, 0), hours=1) == at(2026, 3, 2, 14, 0)


def test_outside_hours_counts_from_the_next_working_moment(cal):
    # Friday 17:30: the clock starts Monday 07:30, a full day ends Monday 17:00.
    assert cal.add_working_time(at(2026, 3, 6, 17, 30), days=1) == at(2026, 3, 9, 17, 0)
    assert cal.add_working_time(at(2026, 3, 7, 10), hours=1) == at(2026, 3, 9, 8, 30)


def test_working_time_between(cal):
    assert cal.working_time_between(at(2026, 3, 2, 9), at(2026, 3, 2, 14)) == timedelta(hours=3.5)
    assert cal.working_time_between(at(2026, 3, 6, 16), at(2026, 3, 9, 8)) == timedelta(hours=1.5)
    assert cal.working_time_between(at(2026, 3, 9, 8), at(2026, 3, 6, 16)) == -timedelta(hours=1.5)
    assert cal.working_days_between(at(2026, 3, 2), at(2026, 3, 9)) == 5


def test_naive_times_are_vietnam_time_and_utc_is_converted(cal):
    naive = datetime(2026, 3, 2, 9, 0)
    utc = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
    assert cal.add_working_time(naive, days=1) == at(2026, 3, 3)
    assert cal.add_working_time(utc, days=1) == at(2026, 3, 3)
    assert cal.add_working_time(utc, days=1).utcoffset() == timedelta(hours=7)


def test_custom_hours_and_refusals():
    cal = statutory_calendar(((time(8), time(12)), (time(13, 30), time(17, 30))))
    assert cal.day_length == timedelta(hours=8)
    assert cal.add_working_time(at(2026, 3, 2, 8), hours=5) == at(2026, 3, 2, 14, 30)
    with pytest.raises(ValueError):
        cal.add_working_time(at(2026, 3, 2), days=-1)
    with pytest.raises(OutsideCalendar):
        cal.add_working_time(at(2045, 12, 29), days=10)
    with pytest.raises(ValueError):
        WorkCalendar(periods=((time(13), time(17)), (time(7), time(11))))


@pytest.mark.django_db
def test_administrators_make_up_saturday_and_extra_day_off(django_user_model):
    admin = django_user_model.objects.create(username="quantri", kind="official")
    friday = at(2026, 11, 27)
    assert current_calendar().add_working_time(friday, days=1) == at(2026, 11, 30)

    set_calendar_change(
        date(2026, 11, 28),
        CalendarChange.Kind.WORKING_DAY,
        "Làm bù theo thông báo của UBND tỉnh",
        actor=admin,
    )
    assert current_calendar().add_working_time(friday, days=1) == at(2026, 11, 28)

    set_calendar_change(date(2026, 11, 30), CalendarChange.Kind.DAY_OFF, "Nghỉ bù", actor=admin)
    assert current_calendar().add_working_time(friday, days=2) == at(2026, 12, 1)
    assert AuditRecord.objects.filter(action="calendar.change_set").count() == 2
    rec = AuditRecord.objects.filter(action="calendar.change_set").first()
    assert rec.changes["kind"] == [None, "working_day"]
    assert rec.actor == admin


@pytest.mark.django_db
def test_a_change_needs_a_reason_and_saves_nothing_without_one(django_user_model):
    admin = django_user_model.objects.create(username="quantri", kind="official")
    with pytest.raises(ValueError, match="lý do"):
        set_calendar_change(date(2026, 11, 28), CalendarChange.Kind.WORKING_DAY, "  ", actor=admin)
    assert CalendarChange.objects.count() == 0
    assert AuditRecord.objects.count() == 0
