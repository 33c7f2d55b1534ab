"""Dates as people read them: dd/mm/yyyy, and HH:MM dd/mm/yyyy with a time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import engines
from django.utils import translation

from tinhso.web.templatetags.dates import ngay
from tinhso.web.widgets import NativeDateInput


def render(text: str, **context) -> str:
    return engines["django"].from_string(text).render(context)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_dates_and_times_render_day_first(language):
    day = dt.date(2025, 11, 20)
    moment = dt.datetime(2025, 11, 20, 1, 30, tzinfo=dt.UTC)
    with translation.override(language):
        assert render("{{ d }}|{{ d|date }}|{{ d|date:'SHORT_DATE_FORMAT' }}", d=day) == (
            "20/11/2025|20/11/2025|20/11/2025"
        )
        # Stored in UTC, shown in the province's time (UTC+7).
        assert render("{{ m }}|{{ m|date:'DATETIME_FORMAT' }}", m=moment) == (
            "08:30 20/11/2025|08:30 20/11/2025"
        )


def test_iso_strings_from_e_forms_read_as_dates():
    assert ngay("2025-11-20") == "20/11/2025"
    assert ngay(" 2025-11-20 ") == "20/11/2025"
    assert ngay("2025-11-20T08:30") == "08:30 20/11/2025"
    assert ngay("2025-11-20T01:30:00+00:00") == "08:30 20/11/2025"
    assert ngay(dt.date(2025, 1, 2)) == "02/01/2025"
    assert ngay(dt.datetime(2025, 1, 2, 9, 5, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))) == (
        "09:05 02/01/2025"
    )


@pytest.mark.parametrize("value", ["2025-02-30", "20/11/2025", "Nguyễn Văn A", "", None, 42])
def test_what_is_not_a_date_is_left_as_it_is(value):
    assert ngay(value) == value


def test_the_filter_is_in_every_template():
    assert render("{{ a|ngay }}", a="2025-11-20") == "20/11/2025"


def test_forms_read_day_first_and_iso():
    class F(forms.Form):
        day = forms.DateField()

    with translation.override("vi"):
        assert F({"day": "20/11/2025"}).is_valid()
        iso = F({"day": "2025-11-20"})
        assert iso.is_valid() and iso.cleaned_data["day"] == dt.date(2025, 11, 20)
        assert "20/11/2025" in str(F(initial={"day": dt.date(2025, 11, 20)})["day"])


def test_the_browsers_date_picker_still_gets_iso():
    class F(forms.Form):
        day = forms.DateField(widget=NativeDateInput())

    with translation.override("vi"):
        html = str(F(initial={"day": dt.date(2025, 11, 20)})["day"])
    assert 'type="date"' in html and 'value="2025-11-20"' in html
