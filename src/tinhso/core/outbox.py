"""Reliable side effects: the transactional outbox.

An action calls `enqueue()` inside its transaction, so the message exists if and only if the
change committed. Workers take due messages with a lease, run the topic's handler and mark
them delivered; a worker that dies mid-way leaves its lease to expire and another worker takes
the message again. Delivery is therefore at least once, and handlers make it exactly once in
effect: `idempotent()` records each message a handler has processed in the same transaction
as its effect. Failures retry with exponential backoff; a message that keeps failing, or fails
permanently, is parked for administrators (admin: "hàng đợi gửi đi").
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, JSONField, Value, When
from django.utils import timezone

from tinhso.core.models import OutboxMessage, ProcessedMessage

log = logging.getLogger("tinhso.outbox")

Handler = Callable[[OutboxMessage], None]
HANDLERS: dict[str, Handler] = {}
# A topic may also take its messages several at a time (the national portal takes ten
# dossiers a call): the function gets a list and returns the failures by message id.
BatchHandler = Callable[[list[OutboxMessage]], dict[int, Exception]]
BATCH_HANDLERS: dict[str, tuple[BatchHandler, int, Callable[[OutboxMessage], Any]]] = {}
# Payload fields of a topic that carry personal data or secrets (an address, a message with
# a look-up secret or a one-time code): erased once the message is delivered, and never shown
# in the admin. Decree 13/2023 Art. 3: data kept no longer than its purpose needs.
PERSONAL: dict[str, frozenset[str]] = {}
ERASED = "[đã xoá sau khi gửi]"

BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=2)


class RetryableError(Exception):
    """The delivery may succeed later (timeout, 5xx, connection refused)."""


class Contended(RetryableError):
    """Another worker holds what the message needs (the national sync's claim on a dossier):
    retried after the first backoff, and not counted as an attempt, since nothing failed."""


class PermanentError(Exception):
    """Retrying cannot help (rejected recipient, 4xx, malformed message): park at once."""


def handler(topic: str, *, personal: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of `topic`; `personal` names the payload
    fields to erase after delivery and to hide from administrators."""

    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        if personal:
            PERSONAL[topic] = frozenset(personal)
        return fn

    return register


def batch_handler(
    topic: str, *, size: int, key: Callable[[OutboxMessage], Any], personal: tuple[str, ...] = ()
) -> Callable[[BatchHandler], BatchHandler]:
    """Register a function that delivers several messages of `topic` at once. `run_once`
    hands it the messages it claimed, in claim order, in groups holding at most `size`
    distinct `key`s, all messages of one key in the same group (the sync's key is the
    dossier, so one group is one portal call of at most ten dossiers). It returns the
    exception of each message that failed, by id; the others succeeded. A delivery of one
    message (`deliver`) calls it with that message alone."""

    def register(fn: BatchHandler) -> BatchHandler:
        def single(message: OutboxMessage) -> None:
            failure = fn([message]).get(message.pk)
            if failure is not None:
                raise failure

        single.__name__ = getattr(fn, "__name__", topic)
        handler(topic, personal=personal)(single)
        BATCH_HANDLERS[topic] = (fn, size, key)
        return fn

    return register


def idempotent(name: str) -> Callable[[Handler], Handler]:
    """Make a handler's database effect happen once per message, however often it is called.

    The effect and the ledger row commit together; a second delivery finds the row and does
    nothing. External effects (an e-mail) cannot share the transaction: they get the message id
    as their own idempotency key instead (the e-mail's Message-ID).
    """

    def wrap(fn: Handler) -> Handler:
        def run(message: OutboxMessage) -> None:
            try:
                with transaction.atomic():
                    if ProcessedMessage.objects.filter(
                        handler=name, message_id=message.pk
                    ).exists():
                        log.info("%s: message %s already processed", name, message.pk)
                        return
                    fn(message)
                    ProcessedMessage.objects.create(handler=name, message_id=message.pk)
            except IntegrityError:
                # A concurrent delivery of the same message won the race; its effect stands.
                log.info("%s: message %s processed concurrently", name, message.pk)

        run.__name__ = getattr(fn, "__name__", name)
        return run

    return wrap


# The messages `batched()` holds back, in the order they were enqueued (None: not batching).
_PENDING: contextvars.ContextVar[list[OutboxMessage] | None] = contextvars.ContextVar(
    "outbox_pending", default=None
)


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Write the messages enqueued inside the block with one INSERT at its end, inside the
    caller's transaction (the API's submission queues two; each was a round trip). Inside
    the block `enqueue` returns the message unsaved (its id comes with the INSERT), and the
    table does not hold it yet; if the block raises, nothing is written. A nested block
    leaves the writing to the outer one."""
    if _PENDING.get() is not None:
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox.batched() needs the action's transaction")
    pending: list[OutboxMessage] = []
    token = _PENDING.set(pending)
    try:
        yield
    finally:
        _PENDING.reset(token)
    if pending:
        OutboxMessage.objects.bulk_create(pending)


def enqueue(
    topic: str, payload: dict[str, Any], *, delay: timedelta | None = None
) -> OutboxMessage:
    """Put a message in the outbox. Call it inside the action's transaction."""
    if topic not in HANDLERS:
        raise LookupError(f"no outbox handler for topic {topic!r}")
    now = timezone.now()
    message = OutboxMessage(
        topic=topic, payload=payload, available_at=now + (delay or timedelta(0)), created_at=now
    )
    pending = _PENDING.get()
    if pending is None:
        message.save(force_insert=True)
    else:
        pending.append(message)
    if settings.BROKER_URL:
        transaction.on_commit(_kick_celery)
    return message


def _kick_celery() -> None:
    from tinhso.core.tasks import deliver_outbox

    try:
        deliver_outbox.delay()
    except Exception:  # the periodic sweep delivers it anyway; the broker may be restarting
        log.warning("could not notify the broker; the next sweep will deliver", exc_info=True)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim(worker: str, *, limit: int = 20, lease: timedelta | None = None) -> list[OutboxMessage]:
    """Take up to `limit` due messages for `worker`, holding each for the lease time.

    One statement whatever `limit` is: an UPDATE of the due rows chosen by a sub-select (with
    `FOR UPDATE SKIP LOCKED` where the database has it, so concurrent workers take disjoint
    batches without waiting) that returns the rows it leased. SQLite serialises writers, so the
    plain sub-select is already exclusive there.
    """
    lease = lease or timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    now = timezone.now()
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(str(f.column)) for f in OutboxMessage._meta.concrete_fields
    )
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    # Written out because the ORM has no UPDATE … RETURNING; every value is a parameter, the
    # names come from the model.
    sql = (
        f"UPDATE {table} SET attempts = attempts + 1, locked_until = %s, locked_by = %s "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {table} WHERE state = %s AND available_at <= %s "
        f"AND (locked_until IS NULL OR locked_until <= %s) "
        f"ORDER BY available_at, id LIMIT %s{skip_locked}) "
        f"RETURNING {columns}"
    )
    moment = connection.ops.adapt_datetimefield_value
    params = [
        moment(now + lease),
        worker,
        OutboxMessage.State.PENDING,
        moment(now),
        moment(now),
        limit,
    ]
    messages = list(OutboxMessage.objects.raw(sql, params))
    # RETURNING gives no order: deliver oldest first, as they became due.
    messages.sort(key=lambda m: (m.available_at, m.pk))
    return messages


def renew(messages: list[OutboxMessage], lease: timedelta | None = None) -> set[int]:
    """Extend the lease of those of `messages` their worker (`locked_by`) still holds, by
    `lease` from now: a handler slower than the lease calls it as it goes, so no other worker
    takes its messages meanwhile. Returns the ids still held."""
    lease = lease or timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    until = timezone.now() + lease
    held: set[int] = set()
    by_worker: dict[str, list[int]] = {}
    for message in messages:
        if message.locked_by:
            by_worker.setdefault(message.locked_by, []).append(message.pk)
    for worker, ids in by_worker.items():
        mine = OutboxMessage.objects.filter(pk__in=ids, locked_by=worker)
        if mine.update(locked_until=until) == len(ids):
            held.update(ids)
        else:  # some were taken by another worker: which ones are still ours
            held.update(mine.values_list("pk", flat=True))
    return held


def without_personal_data(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with the topic's personal fields replaced by a marker."""
    hidden = PERSONAL.get(topic, frozenset())
    return {key: ERASED if key in hidden else value for key, value in payload.items()}


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min ... capped at 2 h, with ±20% jitter so retries spread out."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return delay * random.uniform(0.8, 1.2)


def deliver(message: OutboxMessage, worker: str) -> bool:
    """Run the handler; record the outcome if this worker still holds the message."""
    if handle(message, worker):
        acknowledge([message], worker)
        return True
    return False


def handle(message: OutboxMessage, worker: str) -> bool:
    """Run the handler. A failure is recorded at once (its retry time is its own); a success
    is left for `acknowledge`, which records a batch of them in one statement."""
    try:
        HANDLERS[message.topic](message)
    except Exception as exc:
        _failed(message, worker, exc)
        return False
    return True


def handle_batch(topic: str, messages: list[OutboxMessage], worker: str) -> list[OutboxMessage]:
    """Run the topic's batch handler on `messages`; record each failure as `handle` does and
    return the messages that succeeded, for `acknowledge`."""
    fn = BATCH_HANDLERS[topic][0]
    try:
        failures = fn(messages)
    except Exception as exc:  # the handler itself broke: every message of the group failed
        failures = {m.pk: exc for m in messages}
    for message in messages:
        if message.pk in failures:
            _failed(message, worker, failures[message.pk])
    return [m for m in messages if m.pk not in failures]


def _groups(messages: list[OutboxMessage]) -> list[tuple[str, list[OutboxMessage]]]:
    """The batch topics' messages in groups of at most `size` keys, a key's messages
    together, in the order their keys first appear."""
    by_topic: dict[str, dict[Any, list[OutboxMessage]]] = {}
    for message in messages:
        try:
            k = BATCH_HANDLERS[message.topic][2](message)
        except Exception:  # a malformed payload: its own group, where the handler fails it
            k = ("message", message.pk)
        by_topic.setdefault(message.topic, {}).setdefault(k, []).append(message)
    groups = []
    for topic, keyed in by_topic.items():
        size = BATCH_HANDLERS[topic][1]
        chunks = list(keyed.values())
        for start in range(0, len(chunks), size):
            groups.append((topic, [m for chunk in chunks[start : start + size] for m in chunk]))
    return groups


def _failed(message: OutboxMessage, worker: str, exc: Exception) -> None:
    permanent = isinstance(exc, PermanentError | LookupError | KeyError)
    contended = isinstance(exc, Contended) and not permanent
    parked = permanent or (not contended and message.attempts >= settings.OUTBOX_MAX_ATTEMPTS)
    # the claim counted this try; a contended one is given back
    attempts = max(message.attempts - 1, 0) if contended else message.attempts
    log.warning(
        "outbox %s (%s) attempt %s failed%s: %s",
        message.pk,
        message.topic,
        message.attempts,
        ", parked" if parked else "",
        exc,
    )
    OutboxMessage.objects.filter(pk=message.pk, locked_by=worker).update(
        state=OutboxMessage.State.PARKED if parked else OutboxMessage.State.PENDING,
        attempts=attempts,
        available_at=timezone.now() + backoff(attempts),
        locked_until=None,
        locked_by="",
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )


def acknowledge(messages: list[OutboxMessage], worker: str) -> int:
    """Mark delivered, in one UPDATE, those of `messages` this worker still holds (a message
    whose lease ran out and was taken by another worker is that worker's to record); erase
    their personal payload fields. Returns how many rows were marked."""
    if not messages:
        return 0
    erased = [m for m in messages if PERSONAL.get(m.topic)]
    payload: Any = F("payload")
    if erased:
        payload = Case(
            *[
                When(
                    pk=m.pk,
                    then=Value(without_personal_data(m.topic, m.payload), output_field=JSONField()),
                )
                for m in erased
            ],
            default=F("payload"),
            output_field=JSONField(),
        )
    return OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], locked_by=worker).update(
        state=OutboxMessage.State.DELIVERED,
        payload=payload,
        delivered_at=timezone.now(),
        locked_until=None,
        locked_by="",
        last_error="",
    )


def run_once(worker: str | None = None, *, limit: int = 20) -> int:
    """Deliver what is due now; return how many messages were taken.

    One statement claims the batch and one acknowledges its successes (failures are written
    one by one). A worker that dies in between leaves its lease to expire and the batch is
    delivered again: at least once, as before, with handlers idempotent. Successes are also
    acknowledged once half the lease has gone, so slow handlers do not let it run out, and
    the messages still waiting have their lease renewed then (one left taken meanwhile by
    another worker is that worker's). A topic with a batch handler gets its messages in
    groups (`batch_handler`), one call each.
    """
    worker = worker or worker_name()
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    messages = claim(worker, limit=limit, lease=lease)
    done: list[OutboxMessage] = []
    flush_at = time.monotonic() + lease.total_seconds() / 2
    # topics with a batch handler go in groups (the national portal's ten dossiers a call)
    work: list[tuple[str, list[OutboxMessage]]] = [
        ("", [m]) for m in messages if m.topic not in BATCH_HANDLERS
    ]
    work += _groups([m for m in messages if m.topic in BATCH_HANDLERS])
    renew_at = time.monotonic() + lease.total_seconds() / 2
    for index, (topic, group) in enumerate(work):
        if time.monotonic() >= renew_at:  # the groups before were slow: keep the rest held
            held = renew([m for _, waiting in work[index:] for m in waiting], lease)
            renew_at = time.monotonic() + lease.total_seconds() / 2
            group = [m for m in group if m.pk in held]
            if not group:
                continue
        if topic:
            done += handle_batch(topic, group, worker)
        elif handle(group[0], worker):
            done.append(group[0])
        if done and time.monotonic() >= flush_at:
            acknowledge(done, worker)
            done = []
            flush_at = time.monotonic() + lease.total_seconds() / 2
    acknowledge(done, worker)
    return len(messages)


def run_forever(stop: threading.Event, *, poll_seconds: float = 2.0) -> None:
    """The embedded worker: poll the outbox until `stop` is set."""
    worker = worker_name()
    log.info("outbox worker %s started", worker)
    from tinhso.core import periodic

    while not stop.is_set():
        try:
            periodic.run_due()
            taken = run_once(worker)
        except Exception:
            log.exception("outbox sweep failed; retrying")
            taken = 0
        finally:
            connection.close_if_unusable_or_obsolete()
        if not taken:
            stop.wait(poll_seconds)
    log.info("outbox worker %s stopped", worker)


def retry_parked(message: OutboxMessage, *, actor: Any) -> None:
    """An administrator sends a parked message again."""
    from tinhso.core import audit

    with transaction.atomic():
        before = {"state": message.state, "attempts": message.attempts}
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.PENDING,
            attempts=0,
            available_at=timezone.now(),
            locked_until=None,
            locked_by="",
        )
        message.refresh_from_db()
        audit.record(
            "outbox.retry",
            message,
            actor=actor,
            changes=audit.diff(before, {"state": message.state, "attempts": message.attempts}),
        )
