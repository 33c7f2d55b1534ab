"""Periodic work of the one-stop shop: remind agencies at fault to apologise in time, and
feed the catalogue's popularity from the dossiers actually submitted."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from tinhso.catalogue import actions as catalogue_actions
from tinhso.core import context
from tinhso.core.periodic import periodic
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier

DEFAULT_POPULARITY_WINDOW_DAYS = 365


@periodic("dossiers.remind_apologies", every_seconds=900)
def remind_apologies() -> None:
    with context.acting_as(None, channel="worker"):
        actions.remind_apologies()


def popularity_window_days() -> int:
    """`TINHSO_DOSSIER_POPULARITY_DAYS` (settings `DOSSIER_POPULARITY_DAYS`, default 365)."""
    days = int(getattr(settings, "DOSSIER_POPULARITY_DAYS", DEFAULT_POPULARITY_WINDOW_DAYS))
    return days if days > 0 else DEFAULT_POPULARITY_WINDOW_DAYS


def demand_by_procedure(now: datetime | None = None) -> dict[int, int]:
    """Dossiers submitted per procedure within the window (any channel, any state after
    submission, withdrawn ones included: they were demand too)."""
    since = (now or timezone.now()) - timedelta(days=popularity_window_days())
    rows = (
        Dossier.objects.filter(submitted_at__gte=since)
        .exclude(state=Dossier.State.DRAFT)
        .values("version__procedure_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["version__procedure_id"]: row["n"] for row in rows}


def refresh_popularity(now: datetime | None = None) -> int | None:
    """Write each procedure's popularity from its dossiers in the window. Until any dossier
    was submitted in the window the catalogue keeps its seeded figures (None returned)."""
    counts = demand_by_procedure(now)
    if not counts:
        return None
    return catalogue_actions.set_popularity(counts, actor=None)


@periodic("dossiers.refresh_popularity", every_seconds=3600)
def refresh_popularity_job() -> None:
    with context.acting_as(None, channel="worker"):
        refresh_popularity()
