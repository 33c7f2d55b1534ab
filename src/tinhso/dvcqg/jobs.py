"""Periodic work of the national portal sync: the daily reconciliation.

Legal source: Decision 766/QĐ-TTg indicator 1.4 (share of dossiers synced). Every hour the
worker reconciles yesterday (local time) once, and today so far: the portal is asked only about
dossiers whose sync lags and a sample (`reconcile.run`), so a run that repeats is cheap and
harmless (a second worker running it too queues at most a refresh that sends nothing new).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from tinhso.core.context import acting_as
from tinhso.core.periodic import periodic
from tinhso.dvcqg import fields, reconcile, sync

log = logging.getLogger("tinhso.dvcqg")
_DONE: set[str] = set()  # days this process reconciled in full


@periodic("dvcqg.reconcile", every_seconds=3600)
def reconcile_days() -> object:
    if not sync.enabled():
        return None
    today = timezone.now().astimezone(fields.VIETNAM).date()
    days = [today]
    yesterday = today - timedelta(days=1)
    if yesterday.isoformat() not in _DONE:
        days.insert(0, yesterday)
    reports = []
    with acting_as(None, channel="worker"):
        for day in days:
            report = reconcile.run(day)
            reports.append(report)
            if day != today and not report.unreachable:
                _DONE.add(day.isoformat())
            log.info(
                "reconciled %s: checked %s, re-sent %s, unreachable %s",
                day,
                report.checked,
                len(report.resent),
                report.unreachable,
            )
    return reports


@periodic("dvcqg.catalogue_sync", every_seconds=24 * 3600)
def catalogue_sync() -> object:
    """Once a day: what changed in the national procedure database, for an administrator to
    publish (`catalogue_sync.run`; nothing is published here)."""
    from django.conf import settings

    from tinhso.dvcqg import catalogue_sync as catalogue

    if not settings.CATALOGUE_SOURCE_URL:
        return None
    with acting_as(None, channel="worker"):
        report = catalogue.run()
    log.info(
        "catalogue sync: %s new, %s changed, %s withdrawn, %s failed, %s waiting",
        len(report.new),
        len(report.changed),
        len(report.withdrawn),
        len(report.failed),
        report.waiting,
    )
    return report
