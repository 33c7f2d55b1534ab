"""The province's working calendar: the statutory calendar plus administrators' changes.

Legal sources as in `tinhso.core.workdays`; the yearly changes come from the Ministry's notice
on the civil servants' Tết and swap days, entered by administrators as `CalendarChange`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction

from tinhso.core import audit
from tinhso.core.models import CalendarChange
from tinhso.core.workdays import WorkCalendar, parse_periods, statutory_calendar


def working_periods() -> Any:
    return parse_periods(settings.WORKING_HOURS)


def current_calendar() -> WorkCalendar:
    """The calendar every deadline uses: statute plus the changes in the database."""
    changes = list(CalendarChange.objects.values_list("date", "kind"))
    return statutory_calendar(working_periods()).with_changes(
        days_off=[d for d, kind in changes if kind == CalendarChange.Kind.DAY_OFF],
        working_days=[d for d, kind in changes if kind == CalendarChange.Kind.WORKING_DAY],
    )


def set_calendar_change(day: date, kind: str, reason: str, *, actor: Any) -> CalendarChange:
    """Declare `day` a day off or a (make-up) working day, replacing an earlier change."""
    if kind not in CalendarChange.Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    reason = reason.strip()
    if not reason:
        raise ValueError("Cần ghi lý do (ví dụ: số thông báo của Bộ Nội vụ).")
    with transaction.atomic():
        existing = CalendarChange.objects.select_for_update().filter(date=day).first()
        before = audit.snapshot(existing, ["kind", "reason"]) if existing else {}
        change, _ = CalendarChange.objects.update_or_create(
            date=day, defaults={"kind": kind, "reason": reason}
        )
        audit.record(
            "calendar.change_set",
            change,
            actor=actor,
            changes=audit.diff(before, audit.snapshot(change, ["date", "kind", "reason"])),
        )
    return change


def remove_calendar_change(change: CalendarChange, *, actor: Any) -> None:
    with transaction.atomic():
        audit.record(
            "calendar.change_removed",
            change,
            actor=actor,
            changes=audit.diff(audit.snapshot(change, ["date", "kind", "reason"]), {}),
        )
        change.delete()
