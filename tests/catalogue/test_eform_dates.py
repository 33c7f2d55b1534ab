"""E-form dates bounded by ``"x-not-after"``: no date of birth after today."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from tinhso.catalogue import demo, eforms

BIRTH = {
    "type": "object",
    "properties": {
        "dob": {"type": "string", "format": "date", "title": "Ngày sinh", "x-not-after": "today"},
        "seen": {"type": "string", "format": "date", "title": "Ngày gặp"},
    },
    "required": ["dob"],
}
TODAY = date(2026, 12, 5)


def test_a_date_after_today_is_refused_beside_its_field():
    cleaned, errors = eforms.validate(
        BIRTH, {"dob": "2030-01-01", "seen": "2030-01-01"}, today=TODAY
    )
    assert errors == {"dob": "“Ngày sinh” không được sau ngày hôm nay."}
    assert cleaned == {"seen": "2030-01-01"}  # a date without the keyword is not bounded
    _cleaned, errors = eforms.validate(BIRTH, {"dob": "2026-12-06"}, today=TODAY)
    assert "dob" in errors


def test_today_and_earlier_are_accepted():
    for value in ("2026-12-05", "2026-12-04", "1950-02-28"):
        cleaned, errors = eforms.validate(BIRTH, {"dob": value}, today=TODAY)
        assert (cleaned, errors) == ({"dob": value}, {})


def test_today_defaults_to_the_local_date():
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    _cleaned, errors = eforms.validate(BIRTH, {"dob": tomorrow})
    assert errors["dob"] == "“Ngày sinh” không được sau ngày hôm nay."
    assert eforms.validate(BIRTH, {"dob": timezone.localdate().isoformat()})[1] == {}


def test_a_fixed_bound_and_bad_uses_of_the_keyword():
    schema = {
        "type": "object",
        "properties": {
            "d": {"type": "string", "format": "date", "title": "Ngày", "x-not-after": "2026-06-30"}
        },
    }
    assert eforms.check_schema(schema) == []
    assert eforms.validate(schema, {"d": "2026-07-01"})[1] == {
        "d": "“Ngày” không được sau ngày 30/06/2026."
    }
    assert eforms.validate(schema, {"d": "2026-06-30"})[1] == {}
    for spec in (
        {"type": "string", "title": "Tên", "x-not-after": "today"},  # not a date field
        {"type": "string", "format": "date", "title": "Ngày", "x-not-after": "hôm qua"},
        {"type": "string", "format": "date", "title": "Ngày", "x-not-after": "2026-02-30"},
        {"type": "string", "format": "date", "title": "Ngày", "x-not-after": 5},
    ):
        problems = eforms.check_schema({"type": "object", "properties": {"f": spec}})
        assert problems and "x-not-after" in problems[0], spec


def test_the_demo_forms_bound_every_date_of_birth_and_stay_valid():
    bounded = {
        name
        for schema, _layout in demo.EFORMS.values()
        for name, spec in schema["properties"].items()
        if spec.get("x-not-after") == "today"
    }
    assert bounded == {"child_birth_date", "partner_birth_date"}
    for schema, layout in demo.EFORMS.values():
        assert eforms.check_schema(schema, layout) == []
    schema, _layout = demo.EFORMS["birth"]
    _cleaned, errors = eforms.validate(schema, {"child_birth_date": "2030-01-01"}, today=TODAY)
    assert errors["child_birth_date"] == "“Ngày, tháng, năm sinh” không được sau ngày hôm nay."


def test_the_date_picker_offers_no_day_after_the_bound():
    """The browser's picker gets the server's bound as `max`, so a citizen cannot pick the
    date the server would refuse (usability walk: a birth date in 2030 could be chosen)."""
    from django.template.loader import render_to_string

    schema = {
        "type": "object",
        "properties": {
            **BIRTH["properties"],
            "fixed": {"type": "string", "format": "date", "x-not-after": "2026-06-30"},
        },
    }
    html = render_to_string("catalogue/eform_fields.html", {"fields": eforms.fields(schema, {})})
    assert f'id="ef-dob" name="dob" value="" max="{timezone.localdate().isoformat()}"' in html
    assert 'id="ef-fixed" name="fixed" value="" max="2026-06-30"' in html
    assert 'id="ef-seen" name="seen" value="" max=' not in html
