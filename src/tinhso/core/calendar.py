"""The province's working calendar: the statutory calendar plus administrators' changes.

Legal sources as in `tinhso.core.workdays`; the yearly changes come from the Ministry's notice
on the civil servants' Tết and swap days, entered by administrators as `CalendarChange`.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from tinhso.core import audit
from tinhso.core.models import CalendarChange
from tinhso.core.workdays import WorkCalendar, parse_periods, statutory_calendar


def working_periods() -> Any:
    return parse_periods(settings.WORKING_HOURS)


# Every deadline computation reads the calendar (a submission twice), and it changes a few
# times a year, weeks ahead of the day it concerns. So each process keeps the one it built for
# a minute: a change made here is seen at once (the signals below), one made in another
# process within CACHE_SECONDS, long before any deadline can fall on that day.
CACHE_SECONDS = 60.0
_cache_lock = threading.Lock()
_cached: tuple[float, str, WorkCalendar] | None = None


def current_calendar() -> WorkCalendar:
    """The calendar every deadline uses: statute plus the changes in the database."""
    global _cached
    cached = _cached
    hours = str(settings.WORKING_HOURS)
    if cached is not None and cached[1] == hours and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[2]
    built_at = time.monotonic()
    changes = list(CalendarChange.objects.values_list("date", "kind"))
    calendar = statutory_calendar(working_periods()).with_changes(
        days_off=[d for d, kind in changes if kind == CalendarChange.Kind.DAY_OFF],
        working_days=[d for d, kind in changes if kind == CalendarChange.Kind.WORKING_DAY],
    )
    with _cache_lock:
        _cached = (built_at, hours, calendar)
    return calendar


def forget_calendar(**_: Any) -> None:
    """Drop this process's copy: the next deadline reads the changes again."""
    global _cached
    with _cache_lock:
        _cached = None


def _changed(**_: Any) -> None:
    forget_calendar()
    # Again once committed: a read between the save and the commit may have kept the rows as
    # they were. (A change rolled back after a read in its own transaction stays in this
    # process's copy for up to CACHE_SECONDS: an administrator's error path, accepted.)
    transaction.on_commit(forget_calendar)


post_save.connect(_changed, sender=CalendarChange, dispatch_uid="calendar-changed")
post_delete.connect(_changed, sender=CalendarChange, dispatch_uid="calendar-deleted")


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
