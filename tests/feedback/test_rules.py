"""The pure rules: routing, deadlines on the legal calendar, statuses, places, reopening."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tinhso.core.workdays import statutory_calendar
from tinhso.feedback import rules
from tinhso.feedback.rules import RuleError

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_communes_own_rule_wins_over_the_category_default():
    matrix = {None: 10, 7: 20}
    assert rules.route(matrix, 7, fallback=99) == 20
    assert rules.route(matrix, 8, fallback=99) == 10
    assert rules.route(matrix, None, fallback=99) == 10


def test_without_any_rule_the_fallback_decides():
    assert rules.route({}, 7, fallback=99) == 99
    assert rules.route({7: 20}, 8, fallback=None) is None


def test_five_working_days_skip_culture_day_and_the_weekend():
    # Monday 23/11/2026 09:00; 24/11 is a day off (Vietnam Culture Day in the calendar).
    calendar = statutory_calendar()
    received = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    assert rules.due_at(calendar, received, days=5, hours=0) == datetime(
        2026, 12, 1, 9, 0, tzinfo=VN
    )


def test_working_hours_carry_over_the_weekend():
    calendar = statutory_calendar()
    received = datetime(2026, 11, 27, 15, 0, tzinfo=VN)  # Friday, 2 hours before closing
    assert rules.due_at(calendar, received, days=0, hours=4) == datetime(
        2026, 11, 30, 9, 30, tzinfo=VN
    )


def test_overdue_only_while_open_and_past_the_deadline():
    due = datetime(2026, 12, 1, 9, 0, tzinfo=VN)
    assert rules.is_overdue(due, due + timedelta(seconds=1), rules.IN_PROGRESS)
    assert not rules.is_overdue(due, due, rules.IN_PROGRESS)
    assert not rules.is_overdue(due, due + timedelta(days=3), rules.RESOLVED)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("received", "open"),
        ("verified", "open"),
        ("assigned", "open"),
        ("in_progress", "open"),
        ("resolved", "closed"),
        ("rejected", "closed"),
        ("duplicate", "closed"),
    ],
)
def test_each_state_has_one_open311_status(state, status):
    assert rules.open311_status(state) == status


def test_status_filters_accept_a_comma_list_and_refuse_other_words():
    assert rules.states_for_status("open") == rules.OPEN
    assert rules.states_for_status("open,closed") == rules.OPEN | rules.CLOSED
    with pytest.raises(RuleError) as caught:
        rules.states_for_status("pending")
    assert caught.value.message == "status phải là open hoặc closed, không phải 'pending'."


def test_closed_reports_cannot_move_and_received_ones_can_be_resolved():
    assert rules.can_move("received", "resolved")
    assert not rules.can_move("resolved", "in_progress")
    assert not rules.can_move("duplicate", "resolved")
    assert not rules.can_move("in_progress", "verified")


@pytest.mark.parametrize(
    ("lat", "long", "inside"),
    [
        ("12.6678", "108.0382", True),  # Buôn Ma Thuột
        ("21.0285", "105.8542", True),  # Hà Nội
        ("10.3833", "114.3667", True),  # Trường Sa
        ("108.0382", "12.6678", False),  # swapped
        ("0", "0", False),
        ("13.7563", "100.5018", False),  # Bangkok
    ],
)
def test_coordinates_must_be_in_vietnam(lat, long, inside):
    if inside:
        rules.check_in_vietnam(Decimal(lat), Decimal(long))
    else:
        with pytest.raises(RuleError) as caught:
            rules.check_in_vietnam(Decimal(lat), Decimal(long))
        assert "nằm ngoài lãnh thổ Việt Nam" in caught.value.message


@pytest.mark.parametrize("text", ["abc", "", "NaN", "1e400x", "Infinity"])
def test_a_coordinate_must_be_a_number(text):
    with pytest.raises(RuleError) as caught:
        rules.parse_coordinate(text, field="lat")
    assert caught.value.message == "lat phải là một số thập phân (WGS84)."


def test_a_coordinate_is_kept_to_six_decimals():
    assert rules.parse_coordinate(" 12.66781234 ", field="lat") == Decimal("12.667812")


def test_reopening_is_allowed_within_the_categorys_days_only():
    resolved = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    assert rules.may_reopen("resolved", resolved, resolved + timedelta(days=7), 7)
    assert not rules.may_reopen("resolved", resolved, resolved + timedelta(days=7, seconds=1), 7)
    assert not rules.may_reopen("rejected", resolved, resolved, 7)


def test_distance_between_two_points_in_buon_ma_thuot():
    # 0.001° of latitude is about 111 m.
    assert round(rules.distance_m(12.6678, 108.0382, 12.6688, 108.0382)) == 111


def test_ratings_run_from_one_to_five():
    rules.check_rating(1)
    rules.check_rating(5)
    for bad in (0, 6):
        with pytest.raises(RuleError):
            rules.check_rating(bad)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("1e400", "lat", "lat phải nằm trong khoảng -90 đến 90 (WGS84)."),
        ("-90.0000001", "lat", "lat phải nằm trong khoảng -90 đến 90 (WGS84)."),
        ("1e400", "long", "long phải nằm trong khoảng -180 đến 180 (WGS84)."),
    ],
)
def test_a_coordinate_out_of_range_is_refused_before_rounding(text, field, message):
    with pytest.raises(rules.RuleError) as caught:
        rules.parse_coordinate(text, field=field)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_the_extreme_coordinates_are_accepted():
    assert rules.parse_coordinate("-90", field="lat") == Decimal("-90.000000")
    assert rules.parse_coordinate("180", field="long") == Decimal("180.000000")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12),
        (" 007 ", 7),
        ("999999999999999999", 999999999999999999),
        ("9999999999999999999", None),
        ("²", None),
        ("١٢", None),
        ("-1", None),
        ("", None),
        ("1.5", None),
    ],
)
def test_record_numbers_are_ascii_digits_only(text, number):
    assert rules.parse_id(text) == number


def test_the_office_page_offers_the_actions_each_state_allows():
    assert rules.allowed_actions("received") == [
        "verify",
        "assign",
        "start",
        "resolve",
        "reject",
        "duplicate",
        "reroute",
        "note",
    ]
    assert rules.allowed_actions("verified") == [
        "assign",
        "start",
        "resolve",
        "reject",
        "duplicate",
        "reroute",
        "note",
    ]
    assert rules.allowed_actions("assigned") == [
        "assign",
        "start",
        "resolve",
        "reject",
        "duplicate",
        "reroute",
        "note",
    ]
    # in progress: reassign, but not "start" again
    assert rules.allowed_actions("in_progress") == [
        "assign",
        "resolve",
        "reject",
        "duplicate",
        "reroute",
        "note",
    ]
    for closed in ("resolved", "rejected", "duplicate"):
        assert rules.allowed_actions(closed) == []
