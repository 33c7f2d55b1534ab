"""Outbound sync: each dossier state change reaches the national portal, newest state last.

Legal source: Decree 42/2022/NĐ-CP art. 11 (provincial one-stop systems sync their dossiers to
the national portal) and Decision 766/QĐ-TTg indicator 1.4 (share of dossiers synced).

`dossier_changed` runs inside the dossier action's transaction (dossiers/actions/_common.py)
and puts one `dvcqg.sync` message in the outbox, carrying the dossier id and its version (the
id of the timeline line just written). The handler does not send what the message says: it
claims the dossier (one sender at a time), reads the dossier as it is now and sends that, then
the progress rows the portal does not have yet. A message older than what the portal already
holds sends nothing, so a late retry never puts an older state over a newer one.

The claim is renewed before every request to the portal, by an update conditional on this
worker still holding it; the delivery stops (retryable) the moment it does not, and records
what it sent only if it still holds the claim. One delivery also has its own time limit, below
the claim (docs/dvcqg.md has the arithmetic). A payment changes the record without a timeline
line: `payments.actions._mark_paid` queues a message marked `refresh`, which sends the current
record even though the portal holds the dossier's latest version.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tinhso.core import audit, outbox
from tinhso.core.models import OutboxMessage
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dvcqg import fields, queries
from tinhso.dvcqg.client import PortalClient
from tinhso.dvcqg.models import SyncState

log = logging.getLogger("tinhso.dvcqg")

TOPIC = "dvcqg.sync"
# One sender per dossier: the claim is taken for CLAIM and renewed to CLAIM before every
# request, so it outlives any one request (at most connect + read timeouts, 35 s) by minutes.
CLAIM = timedelta(minutes=5)
# One delivery's own limit, below the claim: no request starts unless its longest possible
# end (now + connect + read timeouts) is within the limit, so a delivery has finished or given
# up a minute before even an unrenewed claim runs out (docs/dvcqg.md).
DELIVERY_LIMIT = timedelta(minutes=4)


class Busy(outbox.RetryableError):
    """Another worker is sending this dossier now."""


class ClaimLost(Busy):
    """This worker's claim ran out and another worker took the dossier: this delivery sends
    nothing more and records nothing; the newest state is the other worker's to send."""


class OutOfTime(outbox.RetryableError):
    """This delivery reached its time limit before a request that might outlast it."""


def enabled() -> bool:
    return bool(settings.DVCQG_URL)


def dossier_changed(dossier: Dossier, event: DossierEvent | None = None) -> OutboxMessage | None:
    """Queue the dossier's sync; call inside the action's transaction. Off without a URL.

    With the timeline line just written (`event`) the message carries it as the version. Without
    one (a payment: the record changed, the state did not) the message is marked `refresh`: it
    sends the current record even when the portal holds the dossier's latest version."""
    if not enabled() or dossier.state == Dossier.State.DRAFT:
        return None
    if event is None:
        version = queries.latest_version(dossier.pk)
        return outbox.enqueue(TOPIC, {"dossier": dossier.pk, "version": version, "refresh": True})
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


def _release(state: SyncState, worker: str, error: str, *, failed: bool = False) -> None:
    """Let the dossier go; a delivery that failed talking to the portal is counted, and its
    error kept in `last_failure` even after a later success clears `last_error`."""
    values: dict[str, Any] = {"claimed_by": "", "claimed_until": None, "last_error": error[:2000]}
    if failed:
        values.update(
            failed_attempts=F("failed_attempts") + 1,
            last_failure=error[:2000],
            last_failure_at=timezone.now(),
        )
    SyncState.objects.filter(pk=state.pk, claimed_by=worker).update(**values)


@dataclasses.dataclass
class _Lease:
    """This delivery's hold on the dossier: renewed before each request to the portal."""

    state_id: int
    dossier_id: int
    worker: str
    deadline: float  # time.monotonic() past which no request may still be running

    def renew(self, longest: float) -> None:
        """Before a request that may take `longest` seconds: stop if it could outlast the
        delivery's limit, or if another worker holds the dossier; else hold it CLAIM longer."""
        if time.monotonic() + longest > self.deadline:
            raise OutOfTime(
                f"hồ sơ {self.dossier_id}: hết thời gian của một lần gửi "
                f"({DELIVERY_LIMIT.total_seconds():g} giây)"
            )
        held = SyncState.objects.filter(pk=self.state_id, claimed_by=self.worker).update(
            claimed_until=timezone.now() + CLAIM
        )
        if not held:
            raise ClaimLost(f"hồ sơ {self.dossier_id}: tiến trình khác đã nhận gửi hồ sơ")


def send(
    dossier_id: int,
    *,
    version: int = 0,
    refresh: bool = False,
    client: PortalClient | None = None,
) -> bool:
    """Send the dossier's current state if the portal holds an older one (or, with
    `refresh`, whatever it holds); True if sent."""
    # unique per delivery: two threads of one process never share a claim
    worker = f"{outbox.worker_name()}:{dossier_id}:{secrets.token_hex(4)}"
    state = _claim(dossier_id, worker)
    if state is None:
        raise Busy(f"hồ sơ {dossier_id} đang được gửi bởi tiến trình khác")
    lease = _Lease(state.pk, dossier_id, worker, time.monotonic() + DELIVERY_LIMIT.total_seconds())
    try:
        sent = _send_claimed(state, lease, version, refresh, client)
    except Exception as exc:
        # losing the claim is another worker's turn, not a failure of the portal
        _release(state, worker, f"{type(exc).__name__}: {exc}", failed=not isinstance(exc, Busy))
        raise
    _release(state, worker, "")
    return sent


def _send_claimed(
    state: SyncState, lease: _Lease, version: int, refresh: bool, client: PortalClient | None
) -> bool:
    dossier_id = lease.dossier_id
    current = queries.latest_version(dossier_id)
    if not refresh and max(version, current) <= state.sent_version:
        log.info("dossier %s: the portal already holds version %s", dossier_id, state.sent_version)
        return False
    # every request renews the claim first, or stops the delivery (no transaction is open)
    client = dataclasses.replace(client or PortalClient.from_settings(), before_request=lease.renew)
    client.open_session()
    # the dossier is read after the login, just before its record is sent: the newest state
    current = queries.latest_version(dossier_id)
    dossier = Dossier.objects.get(pk=dossier_id)
    if dossier.state == Dossier.State.DRAFT:
        return False
    facts = queries.dossier_facts(dossier)
    record = fields.dossier_record(facts)
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
        locked = (
            SyncState.objects.select_for_update()
            .filter(pk=state.pk, claimed_by=lease.worker)
            .first()
        )
        if locked is None:  # the claim ran out and another worker took it: theirs to record
            raise ClaimLost(f"hồ sơ {dossier_id}: tiến trình khác đã nhận gửi hồ sơ")
        before = audit.snapshot(locked, AUDITED)
        locked.sent_version = max(locked.sent_version, current)
        locked.progress_sent_through = max(locked.progress_sent_through, sent_through)
        locked.national_status = record["TrangThaiHoSo"]
        first_sync = not locked.created_at_portal
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
        if first_sync:  # the IOC counts dossiers on the portal (ioc/rollups.py, issue 16)
            from tinhso.ioc.rollups import dossier_changed as ioc_changed

            ioc_changed(dossier_id)
    return True


AUDITED = ["sent_version", "progress_sent_through", "national_status", "created_at_portal"]


@outbox.handler(TOPIC)
def deliver(message: OutboxMessage) -> None:
    payload: dict[str, Any] = message.payload
    send(
        int(payload["dossier"]),
        version=int(payload.get("version", 0)),
        refresh=bool(payload.get("refresh", False)),
    )
