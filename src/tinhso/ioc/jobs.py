"""Periodic work of the operations centre: the scheduled periodic reports (báo cáo định kỳ).

Legal source: Decree 118/2025/NĐ-CP (periodic reporting of the handling of administrative
procedures); docs/ioc.md "Periodic reports". Every hour the worker makes the reports due
(the month before on day 1, the quarter before on a quarter's first day, with
`IOC_REPORT_CATCH_UP_DAYS` to catch up): `reports.run_schedule` makes only those not made
yet, so a second run, or a second worker, adds nothing.
"""

from __future__ import annotations

from tinhso.core.context import acting_as
from tinhso.core.periodic import periodic
from tinhso.ioc import reports


@periodic("ioc.reports", every_seconds=3600)
def periodic_reports() -> object:
    with acting_as(None, channel="worker"):
        return reports.run_schedule()
