"""Daily reconciliation with the national portal: what it holds against what it should.

Legal source: Decision 766/QĐ-TTg indicator 1.4 (share of dossiers synced) and 2.1 (read
from the synced dates): a dossier the portal holds in an older or different state costs the
province points, so once a day (and on demand, `tinhso dvcqg reconcile --date`) tinhso asks
the portal (`TraCuuHoSo`) about

- every dossier changed that day (a timeline line that day) whose last sync is older than its
  last change, or which was never synced, and
- a random sample (`SAMPLE`, 20) of the other dossiers changed that day, which look synced

(not those with a sync message waiting: it sends the newest state anyway), compares the
fields tinhso sends with what the portal answers, and queues what differs again (a
`refresh` sync message, a creation if the portal has no record; audited
`dvcqg.reconcile_resent`). Each dossier changed that day then counts once, per agency, as:
parked (its sync message is parked), mismatched (the portal held something else: re-sent),
pending (a sync message waits, or its sync lags and the portal could not be asked), or
synced. Nothing here changes a dossier.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max

from tinhso.core import audit, outbox
from tinhso.core.models import OutboxMessage
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dvcqg import fields, queries, sync
from tinhso.dvcqg.client import PortalClient, PortalError
from tinhso.dvcqg.models import SyncState

SAMPLE = 20


@dataclass
class AgencyCounts:
    agency: str
    name: str
    synced: int = 0
    pending: int = 0
    parked: int = 0
    mismatched: int = 0


@dataclass
class Report:
    day: str
    checked: int = 0  # dossiers asked about at the portal
    resent: list[str] = field(default_factory=list)  # codes queued again
    unreachable: int = 0  # look-ups the portal did not answer
    agencies: list[AgencyCounts] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def differences(expected: dict[str, Any], held: dict[str, Any] | None) -> list[str]:
    """The fields tinhso sends that the portal holds otherwise (all of them if it holds none).
    Fields the portal adds of its own are not compared."""
    if held is None:
        return sorted(expected)
    return sorted(k for k, v in expected.items() if held.get(k) != v)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=fields.VIETNAM)
    return start, start + timedelta(days=1)


def run(
    day: date,
    *,
    sample: int = SAMPLE,
    client: PortalClient | None = None,
    rng: random.Random | None = None,
) -> Report:
    report = Report(day=day.isoformat())
    start, end = day_bounds(day)
    changed_ids = (
        DossierEvent.objects.filter(at__gte=start, at__lt=end)
        .values_list("dossier_id", flat=True)
        .distinct()
    )
    dossiers = {
        d.pk: d
        for d in Dossier.objects.filter(pk__in=changed_ids)
        .exclude(state=Dossier.State.DRAFT)
        .annotate(latest_event=Max("events__pk"), last_event_at=Max("events__at"))
        .select_related("agency")
    }
    last_change = {pk: d.last_event_at for pk, d in dossiers.items()}
    version = {pk: d.latest_event or 0 for pk, d in dossiers.items()}
    states = {s.dossier_id: s for s in SyncState.objects.filter(dossier_id__in=list(dossiers))}
    messages = OutboxMessage.objects.filter(topic=sync.TOPIC).exclude(
        state=OutboxMessage.State.DELIVERED
    )
    parked: set[int] = set()
    waiting: set[int] = set()
    for m in messages.only("payload", "state"):
        target = int(m.payload.get("dossier", 0))
        if target in dossiers:
            (parked if m.state == OutboxMessage.State.PARKED else waiting).add(target)

    def lags(pk: int) -> bool:
        state = states.get(pk)
        return (
            state is None
            or state.synced_at is None
            or state.synced_at < last_change[pk]
            or state.sent_version < version[pk]
        )

    lagging = sorted(pk for pk in dossiers if lags(pk) and pk not in parked)
    others = sorted(pk for pk in dossiers if not lags(pk) and pk not in parked)
    chosen = (rng or random.Random()).sample(others, min(sample, len(others)))
    mismatched: set[int] = set()
    unasked: set[int] = set()
    if sync.enabled() or client is not None:
        client = client or PortalClient.from_settings()
        for pk in [*lagging, *chosen]:
            if pk in waiting:  # its waiting message sends the newest state: pending
                continue
            dossier = dossiers[pk]
            expected = fields.dossier_record(queries.dossier_facts(dossier))
            try:
                held = client.lookup_dossier(expected["MaHoSo"])
            except PortalError:
                report.unreachable += 1
                unasked.add(pk)
                continue
            report.checked += 1
            differ = differences(expected, held)
            if differ:
                mismatched.add(pk)
                _resend(dossier, held is None, differ)
                report.resent.append(dossier.code or "")
    else:
        unasked = set(lagging)

    counts: dict[str, AgencyCounts] = {}
    for pk, dossier in dossiers.items():
        row = counts.setdefault(
            dossier.agency.code, AgencyCounts(dossier.agency.code, dossier.agency.name)
        )
        if pk in parked:
            row.parked += 1
        elif pk in mismatched:
            row.mismatched += 1
        elif pk in waiting or pk in unasked:
            row.pending += 1
        else:
            row.synced += 1
    report.agencies = [counts[k] for k in sorted(counts)]
    return report


def _resend(dossier: Dossier, missing: bool, differ: list[str]) -> None:
    with transaction.atomic():
        state, _ = SyncState.objects.select_for_update().get_or_create(dossier=dossier)
        if missing and state.created_at_portal:
            state.created_at_portal = False
            state.save(update_fields=["created_at_portal"])
        message = outbox.enqueue(
            sync.TOPIC,
            {
                "dossier": dossier.pk,
                "version": queries.latest_version(dossier.pk),
                "refresh": True,
            },
        )
        audit.record(
            "dvcqg.reconcile_resent",
            dossier,
            actor=None,
            changes={"fields": [None, differ[:40]], "message": message.pk},
        )


def counts_by_agency(report: Report) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    for row in report.agencies:
        totals[row.agency] = {
            "synced": row.synced,
            "pending": row.pending,
            "parked": row.parked,
            "mismatched": row.mismatched,
        }
    return dict(totals)
