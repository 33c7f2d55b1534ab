"""Outbound sync: each dossier state change reaches the national portal, newest state last.

Legal source: Decree 42/2022/NĐ-CP art. 11 (provincial one-stop systems sync their dossiers to
the national portal) and Decision 766/QĐ-TTg indicator 1.4 (share of dossiers synced).

`dossier_changed` runs inside the dossier action's transaction (dossiers/actions/_common.py)
and puts one `dvcqg.sync` message in the outbox, carrying the dossier id and its version (the
id of the timeline line just written). The handler does not send what the message says: it
claims the dossier (one sender at a time), reads the dossier as it is now and sends that, then
the progress rows the portal does not have yet. A message older than what the portal already
holds sends nothing, so a late retry never puts an older state over a newer one.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.core import audit, outbox
from tinhso.core.models import OutboxMessage
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dvcqg import fields, queries
from tinhso.dvcqg.client import PortalClient
from tinhso.dvcqg.models import SyncState

log = logging.getLogger("tinhso.dvcqg")

TOPIC = "dvcqg.sync"
# Longer than the calls one delivery makes (a session, the record, the progress rows), each
# bounded by the client's timeouts.
CLAIM = timedelta(minutes=5)


class Busy(outbox.RetryableError):
    """Another worker is sending this dossier now."""


def enabled() -> bool:
    return bool(settings.DVCQG_URL)


def dossier_changed(dossier: Dossier, event: DossierEvent) -> OutboxMessage | None:
    """Queue the dossier's sync; call inside the action's transaction. Off without a URL."""
    if not enabled() or dossier.state == Dossier.State.DRAFT:
        return None
    return outbox.enqueue(TOPIC, {"dossier": dossier.pk, "version": event.pk})


def _claim(dossier_id: int, worker: str) -> SyncState | None:
    now = timezone.now()
    with transaction.atomic():
        SyncState.objects.get_or_create(dossier_id=dossier_id)
        taken = (
            SyncState.objects.filter(dossier_id=dossier_id)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .update(claimed_by=worker, claimed_until=now + CLAIM)
        )
    return SyncState.objects.get(dossier_id=dossier_id) if taken else None


def _release(state: SyncState, worker: str, error: str) -> None:
    SyncState.objects.filter(pk=state.pk, claimed_by=worker).update(
        claimed_by="", claimed_until=None, last_error=error[:2000]
    )


def send(dossier_id: int, *, version: int = 0, client: PortalClient | None = None) -> bool:
    """Send the dossier's current state if the portal holds an older one; True if sent."""
    worker = f"{outbox.worker_name()}:{dossier_id}"
    state = _claim(dossier_id, worker)
    if state is None:
        raise Busy(f"hồ sơ {dossier_id} đang được gửi bởi tiến trình khác")
    try:
        sent = _send_claimed(state, dossier_id, version, client)
    except Exception as exc:
        _release(state, worker, f"{type(exc).__name__}: {exc}")
        raise
    _release(state, worker, "")
    return sent


def _send_claimed(
    state: SyncState, dossier_id: int, version: int, client: PortalClient | None
) -> bool:
    current = queries.latest_version(dossier_id)
    if max(version, current) <= state.sent_version:
        log.info("dossier %s: the portal already holds version %s", dossier_id, state.sent_version)
        return False
    dossier = Dossier.objects.get(pk=dossier_id)
    if dossier.state == Dossier.State.DRAFT:
        return False
    facts = queries.dossier_facts(dossier)
    record = fields.dossier_record(facts)
    client = client or PortalClient.from_settings()
    # no database transaction is open across these calls
    outcome = client.sync_dossiers([record], update=state.created_at_portal)[0]
    new_events = [e for e in facts.events if e.id > state.progress_sent_through]
    received_before = any(
        e.state == Dossier.State.RECEIVED and e.id <= state.progress_sent_through
        for e in facts.events
    )
    rows = fields.progress_rows(facts.code, new_events, received_before=received_before)
    client.update_progress(rows)
    sent_through = max([e.id for e in facts.events], default=state.progress_sent_through)
    with transaction.atomic():
        locked = SyncState.objects.select_for_update().get(pk=state.pk)
        before = audit.snapshot(locked, AUDITED)
        locked.sent_version = max(locked.sent_version, current)
        locked.progress_sent_through = max(locked.progress_sent_through, sent_through)
        locked.national_status = record["TrangThaiHoSo"]
        locked.created_at_portal = True
        locked.synced_at = timezone.now()
        locked.save(update_fields=[*AUDITED, "synced_at"])
        audit.record(
            "dvcqg.synced",
            dossier,
            actor=None,
            changes={
                **audit.diff(before, audit.snapshot(locked, AUDITED)),
                "created": outcome.created,
                "progress_rows": len(rows),
            },
        )
    return True


AUDITED = ["sent_version", "progress_sent_through", "national_status", "created_at_portal"]


@outbox.handler(TOPIC)
def deliver(message: OutboxMessage) -> None:
    payload: dict[str, Any] = message.payload
    send(int(payload["dossier"]), version=int(payload.get("version", 0)))
