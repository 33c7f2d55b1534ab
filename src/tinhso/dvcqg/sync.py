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

Batches: the portal takes ten records a `DongBoHoSoMC` call and ten rows a
`CapNhatTienDoHoSoMC` call. The handler is an outbox batch handler: a worker hands it the sync
messages it claimed, at most ten dossiers a group, and one delivery sends the group together,
each dossier under its own claim and read as it is now, each record's answer its own (one
refused record parks that dossier only; one the portal has is sent again as an update). A
progress call holds whole dossiers, so a failure never sends a row twice, and a call the
portal refuses as a whole goes again one dossier a call, so it parks only the dossier at
fault. The group's outbox lease is renewed with the claims.
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
from tinhso.dvcqg.client import BATCH, PortalClient, PortalRejected
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


class Busy(outbox.Contended):
    """Another worker is sending this dossier now: its turn, not a failed attempt (the outbox
    does not count it toward parking)."""


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


@dataclasses.dataclass(eq=False)
class _Item:
    """One dossier of a batch: its messages, what was found and sent, and how it ended."""

    dossier_id: int
    messages: list[OutboxMessage]
    version: int = 0
    refresh: bool = False
    state: SyncState | None = None  # set once claimed
    dossier: Dossier | None = None
    current: int = 0  # the version read just before sending
    record: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    row_events: list[int] = dataclasses.field(default_factory=list)  # each row's timeline line
    sent_through: int = 0
    created: bool | None = None  # set once the portal accepted the record
    rows_left: int = 0
    failure: Exception | None = None

    @property
    def live(self) -> bool:
        """Claimed, still held, and nothing went wrong yet."""
        return self.state is not None and self.failure is None

    @property
    def finished(self) -> bool:
        """The portal has the record and every progress row."""
        return self.live and self.created is not None and self.rows_left == 0


class _Dropped(Exception):
    """A dossier of the request about to go lost its claim: the request is rebuilt without
    it (nothing was sent). Internal to a batch, never reaches the outbox."""


@dataclasses.dataclass
class _Lease:
    """This delivery's hold on its dossiers: renewed before each request to the portal."""

    worker: str
    deadline: float  # time.monotonic() past which no request may still be running
    items: list[_Item]
    current: set[int] = dataclasses.field(default_factory=set)  # dossiers in the next request
    # the group's outbox messages: their lease (OUTBOX_LEASE_SECONDS, shorter than a delivery
    # may take) is renewed with the claims, so no other worker takes them while they go
    messages: list[OutboxMessage] = dataclasses.field(default_factory=list)

    def renew(self, longest: float) -> None:
        """Before a request that may take `longest` seconds: stop if it could outlast the
        delivery's limit; renew every claim still held to CLAIM from now; a dossier whose
        claim another worker took is dropped from the batch (ClaimLost), and the request is
        stopped if it carried that dossier's data."""
        if time.monotonic() + longest > self.deadline:
            raise OutOfTime("")
        outbox.renew(self.messages)
        held = {item.state.pk: item for item in self.items if item.live and item.state}
        if not held:
            return
        renewed = SyncState.objects.filter(pk__in=list(held), claimed_by=self.worker).update(
            claimed_until=timezone.now() + CLAIM
        )
        if renewed == len(held):
            return
        still = set(
            SyncState.objects.filter(pk__in=list(held), claimed_by=self.worker).values_list(
                "pk", flat=True
            )
        )
        lost = [item for pk, item in held.items() if pk not in still]
        for item in lost:
            item.failure = _claim_lost(item.dossier_id)
        if any(item.dossier_id in self.current for item in lost):
            raise _Dropped()


def _claim_lost(dossier_id: int) -> ClaimLost:
    return ClaimLost(f"hồ sơ {dossier_id}: tiến trình khác đã nhận gửi hồ sơ")


def _out_of_time(dossier_id: int) -> OutOfTime:
    return OutOfTime(
        f"hồ sơ {dossier_id}: hết thời gian của một lần gửi "
        f"({DELIVERY_LIMIT.total_seconds():g} giây)"
    )


def send(
    dossier_id: int,
    *,
    version: int = 0,
    refresh: bool = False,
    client: PortalClient | None = None,
) -> bool:
    """Send one dossier's current state if the portal holds an older one (or, with
    `refresh`, whatever it holds); True if sent. Raises what stopped it."""
    item = _Item(dossier_id, [], version=version, refresh=refresh)
    _send_batch([item], client)
    if item.failure is not None:
        raise item.failure
    return item.created is not None


def _send_batch(items: list[_Item], client: PortalClient | None = None) -> None:
    """Send up to BATCH dossiers together, each under its own claim: their records in one
    `DongBoHoSoMC` call (two when some are new and some are not; the ones the portal says
    exist go again as updates), then their new progress rows, at most ten a call of whole
    dossiers, each dossier's in order; a call refused as a whole goes again one dossier a
    call. Each item ends with `failure` set, or sent (`created` set), or found up to date;
    nothing is raised."""
    assert len(items) <= BATCH
    # unique per delivery: two threads of one process never share a claim
    worker = f"{outbox.worker_name()}:{items[0].dossier_id}:{secrets.token_hex(4)}"
    for item in items:
        try:
            item.state = _claim(item.dossier_id, worker)
        except Exception as exc:  # this dossier only; the claims taken are released below
            item.failure = exc
            continue
        if item.state is None:
            item.failure = Busy(f"hồ sơ {item.dossier_id} đang được gửi bởi tiến trình khác")
    lease = _Lease(
        worker,
        time.monotonic() + DELIVERY_LIMIT.total_seconds(),
        items,
        messages=[m for item in items for m in item.messages],
    )
    up_to_date: list[_Item] = []
    for item in items:
        if item.live and item.state and not item.refresh:
            current = queries.latest_version(item.dossier_id)
            if max(item.version, current) <= item.state.sent_version:
                log.info(
                    "dossier %s: the portal already holds version %s",
                    item.dossier_id,
                    item.state.sent_version,
                )
                up_to_date.append(item)
    sending = [item for item in items if item.live and item not in up_to_date]
    if sending:
        try:
            _exchange(sending, lease, client)
        except Exception as exc:  # a whole call failed: each dossier not finished fails with it
            for item in sending:
                if item.live and not item.finished:
                    item.failure = (
                        _out_of_time(item.dossier_id) if isinstance(exc, OutOfTime) else exc
                    )
        finished = [item for item in sending if item.finished]
        try:
            _record(finished, worker)
        except Exception as exc:  # nothing recorded: each is sent again (at least once)
            for item in finished:
                item.failure = exc
    for item in items:
        if item.state is None:
            continue
        if item.failure is None:
            _release(item.state, worker, "")
        else:  # losing the claim is another worker's turn, not a failure of the portal
            error = f"{type(item.failure).__name__}: {item.failure}"
            _release(item.state, worker, error, failed=not isinstance(item.failure, Busy))


def _exchange(items: list[_Item], lease: _Lease, client: PortalClient | None) -> None:
    # every request renews the claims first, or stops (no transaction is open)
    lease.items = items
    client = dataclasses.replace(client or PortalClient.from_settings(), before_request=lease.renew)
    lease.current = set()
    client.open_session()
    # each dossier is read after the login, just before its record is sent: the newest state
    for item in items:
        if not item.live:
            continue
        try:
            _read(item)
        except Exception as exc:  # this dossier only
            item.failure = exc
    ready = [item for item in items if item.live and item.record is not None]
    assert all(item.state for item in ready)
    creations = [item for item in ready if item.state and not item.state.created_at_portal]
    existing = _send_records(client, lease, creations, update=False)
    updates = [item for item in ready if item.state and item.state.created_at_portal]
    _send_records(client, lease, updates + existing, update=True)
    _send_progress(client, lease, [item for item in ready if item.created is not None])


def _refused(exc: PortalRejected, item: _Item) -> PortalRejected:
    """The portal's refusal of a call that carried this dossier's data alone, naming it."""
    if exc.record:
        return exc
    code = (item.dossier.code if item.dossier is not None else "") or str(item.dossier_id)
    return PortalRejected(exc.portal_message, code=exc.code, record=code)


def _read(item: _Item) -> None:
    assert item.state is not None
    item.current = queries.latest_version(item.dossier_id)
    dossier = Dossier.objects.get(pk=item.dossier_id)
    if dossier.state == Dossier.State.DRAFT:
        return
    facts = queries.dossier_facts(dossier)
    item.dossier = dossier
    item.record = fields.dossier_record(facts)
    through = item.state.progress_sent_through
    new_events = [e for e in facts.events if e.id > through]
    received_before = any(
        e.state == Dossier.State.RECEIVED and e.id <= through for e in facts.events
    )
    # one timeline line gives at most one row: each row knows its line, so a dossier whose
    # rows need several calls records how far it got after each (`_progress_call`)
    received = received_before
    item.rows, item.row_events = [], []
    for event in new_events:
        for row in fields.progress_rows(facts.code, [event], received_before=received):
            item.rows.append(row)
            item.row_events.append(event.id)
        received = received or event.state == Dossier.State.RECEIVED
    item.rows_left = len(item.rows)
    item.sent_through = max([e.id for e in facts.events], default=through)


def _send_records(
    client: PortalClient, lease: _Lease, items: list[_Item], *, update: bool
) -> list[_Item]:
    """One `DongBoHoSoMC` call of these dossiers' records (rebuilt without a dossier whose
    claim was lost before it went); each record's answer is that dossier's alone. Returns
    the dossiers the portal says it has already (a creation: send again as an update)."""
    while True:
        pending = [item for item in items if item.live]
        if not pending:
            return []
        lease.current = {item.dossier_id for item in pending}
        try:
            answers = client.send_records([item.record or {} for item in pending], update=update)
        except _Dropped:
            continue
        except PortalRejected as exc:
            if len(pending) == 1:
                pending[0].failure = _refused(exc, pending[0])
                return []
            # the call refused as a whole names no record: each goes alone, so only the
            # dossier whose own call is refused fails
            return [
                found
                for item in pending
                for found in _send_records(client, lease, [item], update=update)
            ]
        existing = []
        for item, answer in zip(pending, answers, strict=True):
            if answer.accepted:
                item.created = not update
            elif answer.exists:
                existing.append(item)
            else:
                item.failure = answer.rejection()
        return existing


def _send_progress(client: PortalClient, lease: _Lease, items: list[_Item]) -> None:
    """The new progress rows of the dossiers whose record went, in `CapNhatTienDoHoSoMC`
    calls of at most ten rows filled with whole dossiers, each dossier's rows in time order:
    a dossier is finished once its last row went, so a call failing later neither undoes it
    nor sends its rows again. Only a dossier with more than ten new rows needs several
    calls; what each of them sent is recorded at once (`_progress_call`). A call of several
    dossiers refused as a whole goes again one dossier a call: only the dossier whose own
    call is refused fails (`PortalRejected`, naming it)."""
    while True:
        pending = [item for item in items if item.live and item.rows_left]
        if not pending:
            return
        chunk: list[_Item] = []
        size = 0
        for item in pending:  # first fit, in the dossiers' order
            if not chunk or size + item.rows_left <= BATCH:
                chunk.append(item)
                size += item.rows_left
        try:
            _progress_call(client, lease, chunk)
        except _Dropped:
            continue
        except PortalRejected as exc:
            if len(chunk) == 1:
                chunk[0].failure = _refused(exc, chunk[0])
                continue
            for item in chunk:
                while item.live and item.rows_left:
                    try:
                        _progress_call(client, lease, [item])
                    except _Dropped:  # its claim was lost: ClaimLost is set
                        break
                    except PortalRejected as alone:
                        item.failure = _refused(alone, item)


def _progress_call(client: PortalClient, lease: _Lease, chunk: list[_Item]) -> None:
    """One `CapNhatTienDoHoSoMC` call of the next rows (at most ten) of these dossiers. A
    dossier left with rows to send (more than ten new ones) has `progress_sent_through`
    recorded under its claim now, so a later failure never sends these rows again."""
    lease.current = {item.dossier_id for item in chunk}
    taken = [(item, min(item.rows_left, BATCH)) for item in chunk]
    rows = []
    for item, count in taken:
        first = len(item.rows) - item.rows_left
        rows += item.rows[first : first + count]
    client.update_progress(rows)
    for item, count in taken:
        item.rows_left -= count
        if item.rows_left and item.state is not None:
            through = item.row_events[len(item.rows) - item.rows_left - 1]
            held = SyncState.objects.filter(pk=item.state.pk, claimed_by=lease.worker).update(
                progress_sent_through=through
            )
            if not held:  # another worker took the dossier: it sends from what it read
                item.failure = _claim_lost(item.dossier_id)


def _record(items: list[_Item], worker: str) -> None:
    """Record what the portal now holds of each finished dossier, in one transaction, for
    those whose claim this delivery still holds (another worker records what it sent)."""
    if not items:
        return
    with transaction.atomic():
        locked = {
            state.pk: state
            for state in SyncState.objects.select_for_update()
            .filter(pk__in=[item.state.pk for item in items if item.state], claimed_by=worker)
            .order_by("pk")
        }
        for item in items:
            assert item.state is not None and item.record is not None
            state = locked.get(item.state.pk)
            if state is None:  # the claim ran out and another worker took it: theirs to record
                item.failure = _claim_lost(item.dossier_id)
                continue
            before = audit.snapshot(state, AUDITED)
            state.sent_version = max(state.sent_version, item.current)
            state.progress_sent_through = max(state.progress_sent_through, item.sent_through)
            state.national_status = item.record["TrangThaiHoSo"]
            first_sync = not state.created_at_portal
            state.created_at_portal = True
            state.synced_at = timezone.now()
            state.save(update_fields=[*AUDITED, "synced_at"])
            audit.record(
                "dvcqg.synced",
                item.dossier,
                actor=None,
                changes={
                    **audit.diff(before, audit.snapshot(state, AUDITED)),
                    "created": item.created,
                    "progress_rows": len(item.rows),
                    "batch": len(items),
                },
            )
            if first_sync:  # the IOC counts dossiers on the portal (ioc/rollups.py, issue 16)
                from tinhso.ioc.rollups import dossier_changed as ioc_changed

                ioc_changed(item.dossier_id)


AUDITED = ["sent_version", "progress_sent_through", "national_status", "created_at_portal"]


def _dossier_of(message: OutboxMessage) -> int:
    return int(message.payload["dossier"])


@outbox.batch_handler(TOPIC, size=BATCH, key=_dossier_of)
def deliver(messages: list[OutboxMessage]) -> dict[int, Exception]:
    """Deliver sync messages, their dossiers ten at a time (the outbox groups them so:
    `size`, `key`); every message of a dossier ends as that dossier did."""
    failures: dict[int, Exception] = {}
    items: dict[int, _Item] = {}
    for message in messages:
        try:
            payload: dict[str, Any] = message.payload
            item = items.setdefault(_dossier_of(message), _Item(_dossier_of(message), []))
            item.version = max(item.version, int(payload.get("version", 0)))
            item.refresh = item.refresh or bool(payload.get("refresh", False))
        except (KeyError, TypeError, ValueError) as exc:  # malformed: parked by the outbox
            failures[message.pk] = KeyError(f"tin đồng bộ không hợp lệ: {exc}")
            continue
        item.messages.append(message)
    pending = list(items.values())
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        _send_batch(batch)
        for item in batch:
            if item.failure is not None:
                failures.update({m.pk: item.failure for m in item.messages})
    return failures
