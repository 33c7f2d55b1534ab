"""`{{ value|ngay }}`: a date as people read it, dd/mm/yyyy (HH:MM dd/mm/yyyy with a time).

For values that are not date objects, above all the ISO strings of e-form answers
(`"2025-11-20"`, `"2025-11-20T08:30"`). Date objects render the same through `{{ value }}`
and `{{ value|date }}` (tinhso.formats). Anything that is not a date is shown unchanged.
Loaded in every template (settings.TEMPLATES builtins).
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime

register = template.Library()


def as_date(value: object) -> dt.date | dt.datetime | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return parse_date(text)
        return parse_datetime(text)
    except ValueError:  # well-formed but impossible, e.g. 2025-02-30
        return None


@register.filter
def ngay(value: object) -> object:
    """20/11/2025 from "2025-11-20"; 08:30 20/11/2025 from "2025-11-20T08:30"."""
    parsed = as_date(value)
    if parsed is None:
        return value
    if isinstance(parsed, dt.datetime):
        if timezone.is_aware(parsed):
            parsed = timezone.localtime(parsed)
        return formats.date_format(parsed, "DATETIME_FORMAT")
    return formats.date_format(parsed, "DATE_FORMAT")
