"""Periodic work of the operations centre: the scheduled periodic reports (báo cáo định kỳ).

Legal source: Decree 118/2025/NĐ-CP (periodic reporting of the handling of administrative
procedures); docs/ioc.md "Periodic reports". Every hour the worker queues the reports due
(the month before on day 1, the quarter before on a quarter's first day, with
`IOC_REPORT_CATCH_UP_DAYS` to catch up): `reports.run_schedule` writes one outbox message
per unit and period, once whatever the workers, and renders nothing; the outbox then
delivers each message to one worker like any other (`deliver_scheduled_report`), a few
seconds of rendering a message, between the other messages rather than before them.
"""

from __future__ import annotations

from tinhso.core import outbox
from tinhso.core.context import acting_as
from tinhso.core.errors import DomainError
from tinhso.core.models import OutboxMessage
from tinhso.core.periodic import periodic
from tinhso.ioc import reports


@periodic("ioc.reports", every_seconds=3600)
def periodic_reports() -> object:
    with acting_as(None, channel="worker"):
        return reports.run_schedule()


@outbox.handler(reports.TOPIC)
def deliver_scheduled_report(message: OutboxMessage) -> None:
    """Make the queued report (`reports.make_scheduled`: nothing if made already). A unit
    gone or a period the reports refuse cannot succeed later: parked for an administrator;
    anything else (storage down) is retried with the outbox's backoff."""
    try:
        unit, period = str(message.payload["unit"]), str(message.payload["period"])
        with acting_as(None, channel="worker"):
            reports.make_scheduled(unit, period)
    except (KeyError, ValueError, DomainError) as exc:  # UnitNotFound, PeriodError: ValueError
        raise outbox.PermanentError(f"{type(exc).__name__}: {exc}") from exc
