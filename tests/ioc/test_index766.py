"""The Decision 766 rules, pure: groups, maxima, the threshold rule and 2.1's on-time rule.

The calendar is the bare Monday-to-Friday one (07:30-11:30, 13:00-17:00, no holidays), so each
case can be counted by hand. November 2026: Mon 9, Tue 10, Wed 11, Thu 12, Fri 27, Mon 30.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tinhso.core.workdays import VIETNAM, WorkCalendar
from tinhso.dossiers.clock import Verdict
from tinhso.ioc import index766
from tinhso.ioc.index766 import counted, dossier_verdict, points, unavailable

CAL = WorkCalendar()
PERIOD_END = datetime(2026, 12, 1, tzinfo=VIETNAM)
APPOINTMENT = datetime(2026, 11, 10, 17, 0, tzinfo=VIETNAM)  # Tuesday


def at(day, hour=9, minute=0, month=11):
    return datetime(2026, month, day, hour, minute, tzinfo=VIETNAM)


def judge(end, *, appointment=APPOINTMENT, requests=0, pauses=()):
    return dossier_verdict(
        CAL,
        appointment=appointment,
        end=end,
        period_end=PERIOD_END,
        supplement_requests=requests,
        pauses=pauses,
    )


def test_groups_add_up_to_100_and_the_given_maxima():
    assert [(g.key, g.maximum) for g in index766.GROUPS] == [
        ("CKMB", 18),
        ("TDGQ", 20),
        ("CLGQ", 12),
        ("TTTT", 10),
        ("MDSH", 22),
        ("MDHL", 18),
    ]
    table = index766.maxima()
    assert sum(table.values()) == 100
    assert [table[c] for c in ("5.1", "5.2", "5.3", "5.4")] == [5, 5, 2, 6]


def test_a_province_may_set_its_own_maxima_if_each_group_still_adds_up():
    table = index766.maxima({"2.1": 15, "2.2": 5})
    assert (table["2.1"], table["2.2"]) == (Decimal(15), Decimal(5))
    with pytest.raises(ValueError, match="TDGQ"):
        index766.maxima({"2.1": 15})
    with pytest.raises(ValueError, match="unknown"):
        index766.maxima({"3.4": 1})
    with pytest.raises(ValueError, match="negative"):
        index766.maxima({"2.1": -1, "2.2": 21})


def test_the_threshold_rule():
    # 3.3, threshold 50%: at or above it full marks, below it rate × max ÷ 50
    assert points(Decimal(50), Decimal(4), Decimal(50)) == Decimal(4)
    assert points(Decimal("72.5"), Decimal(4), Decimal(50)) == Decimal(4)
    assert points(Decimal(40), Decimal(4), Decimal(50)) == Decimal("3.20")
    # 3.1, threshold 80%: 60% of 4 points → 60 × 4 ÷ 80 = 3
    assert points(Decimal(60), Decimal(4), Decimal(80)) == Decimal("3.00")
    # no threshold: against 100%; 2 of 3 on time of 14 points → 66.67 × 14 ÷ 100 = 9.33
    assert counted("2.1", 2, 3, Decimal(14)).points == Decimal("9.33")
    assert counted("3.1", 3, 5, Decimal(4)).points == Decimal("3.00")
    assert counted("3.3", 1, 2, Decimal(4)).points == Decimal(4)


def test_no_data_and_unavailable_are_not_zero():
    empty = counted("3.3", 0, 0, Decimal(4))
    assert (empty.rate, empty.points) == (None, None)
    missing = unavailable("1.1", "chưa có dữ liệu", Decimal(4))
    assert missing.as_dict() == {
        "code": "1.1",
        "numerator": None,
        "denominator": None,
        "rate": None,
        "unit": "percent",
        "threshold": 100.0,
        "points": None,
        "maximum": 4.0,
        "available": False,
        "reason": "chưa có dữ liệu",
    }
    with pytest.raises(ValueError):
        counted("2.1", 3, 2, Decimal(14))


def test_group_and_total_sums_count_only_what_was_scored():
    table = index766.maxima()
    values = [unavailable(c, "x", table[c]) for c in table if c not in {"2.1", "3.3", "3.6"}]
    values += [
        counted("2.1", 3, 4, table["2.1"]),  # 75% of 14 = 10.50
        counted("3.3", 1, 4, table["3.3"]),  # 25% < 50%: 25 × 4 ÷ 50 = 2.00
        counted("3.6", 0, 0, table["3.6"]),  # no data
    ]
    index = index766.assemble(values)
    by_key = {g.group.key: g for g in index.groups}
    assert (by_key["TDGQ"].points, by_key["TDGQ"].scored_maximum) == (Decimal("10.50"), 14)
    assert (by_key["CLGQ"].points, by_key["CLGQ"].scored_maximum) == (Decimal("2.00"), 4)
    assert (by_key["TTTT"].points, by_key["TTTT"].scored_maximum) == (0, 0)
    assert (index.points, index.scored_maximum, index.maximum) == (Decimal("12.50"), 18, 100)
    with pytest.raises(ValueError, match=r"1\.1"):
        index766.assemble(values[1:])


# --- 2.1, one dossier --------------------------------------------------------------------


def test_early_on_time_and_late():
    assert judge(at(9, 10)) is Verdict.EARLY  # the day before the appointment's
    assert judge(at(10, 16)) is Verdict.ON_TIME  # on its day, before its time
    assert judge(at(10, 17)) is Verdict.ON_TIME  # at the appointment exactly
    assert judge(at(11, 8)) is Verdict.LATE


def test_one_supplementation_request_does_not_count_its_time():
    # paused Mon 9 Nov 08:00 to Tue 10 Nov 08:00: 3.5 + 4 + 0.5 = 8 working hours, so the
    # appointment moves from Tue 10 Nov 17:00 to Wed 11 Nov 17:00
    pause = [(at(9, 8), at(10, 8))]
    assert judge(at(11, 15), requests=1, pauses=pause) is Verdict.ON_TIME
    assert judge(at(11, 15), requests=1) is Verdict.LATE  # the same end without the pause
    assert judge(at(12, 8), requests=1, pauses=pause) is Verdict.LATE


def test_two_supplementation_requests_are_late_even_when_early():
    pauses = [(at(3), at(4)), (at(5), at(6))]
    assert judge(at(9, 10), requests=2, pauses=pauses) is Verdict.LATE


def test_unfinished_dossiers_are_judged_at_the_period_end():
    assert judge(None) is Verdict.LATE  # appointment 10 Nov passed before 1 Dec
    assert judge(None, appointment=at(3, 17, month=12)) is Verdict.ON_TIME  # still in time
    # finished after the period: unfinished at its end
    assert judge(at(2, 9, month=12), appointment=at(3, 17, month=12)) is Verdict.ON_TIME
    assert judge(at(2, 9, month=12)) is Verdict.LATE
    # a pause still open at the period's end counts until then: Fri 27 Nov 09:00 to the end,
    # 6.5 + 8 = 14.5 working hours past Mon 30 Nov 17:00 is Wed 2 Dec
    open_pause = [(at(27), None)]
    assert judge(None, appointment=at(30, 17), requests=1, pauses=open_pause) is Verdict.ON_TIME
    assert judge(None, appointment=at(30, 17), requests=1) is Verdict.LATE


def test_refused_withdrawn_and_rejected():
    # a refusal ends processing: judged by its time like a result
    assert judge(at(12, 9)) is Verdict.LATE
    assert index766.counts_for_progress("refused", True) is True
    assert index766.counts_for_progress("returned", True) is True
    # withdrawn and rejected dossiers were never held by the agency
    assert index766.counts_for_progress("withdrawn", False) is False
    assert index766.counts_for_progress("rejected", False) is False
    assert index766.counts_for_progress("submitted", False) is False


def test_satisfaction_5_4_counts():
    # 10 received, 1 late, 2 disliked: 100% − (10% + 20%) = 70%
    assert index766.satisfaction(10, 1, 2) == (7, 10)
    assert index766.satisfaction(2, 2, 1) == (0, 2)
