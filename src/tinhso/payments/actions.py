"""Every change to the payment ledger, one named function each, owning its transaction.

Legal sources: Decree 45/2020/NĐ-CP art. 9 (fees paid online, shown before paying); Decree
118/2025/NĐ-CP (payment within the one-stop process, at the counter or online); Decree
123/2020/NĐ-CP and Decree 70/2025/NĐ-CP (electronic receipts); Law on Fees and Charges 2015
(amounts collected wrongly are given back).

Three sources report on one attempt and converge on one state (docs/payments.md): the
browser's return only shows where things stand; the gateway's callback (IPN) is
authoritative and idempotent; the periodic query is the safety net. `apply_outcome` is the
only way a gateway's word changes the ledger: it locks the attempt row, applies a verified
outcome once, and a payment it cannot accept (wrong amount, after expiry or cancellation, a
second payment of a paid charge) becomes a refund case for the finance officer, never a
silent drop. Paid is final. Side effects (receipt, the dossier's fee status, the citizen's
e-mail) are queued in the outbox in the transaction that marks the charge paid, so they
happen once, after commit.

Network calls (`gateway.query`, `gateway.refund`, and `gateway.start` for adapters that need
the network) are made outside every transaction. Lock order: an `Attempt` (the object), then
its `Charge`; a `ReceiptCounter` last.
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit, outbox
from tinhso.core.notify import notify
from tinhso.dossiers.models import Dossier
from tinhso.payments import errors, fees, gateways, permissions
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import (
    Attempt,
    Charge,
    Due,
    Event,
    Receipt,
    ReceiptCounter,
    Refund,
)

log = logging.getLogger("tinhso.payments")

PAID_TOPIC = "payments.paid"
QUERY_AFTER = timedelta(minutes=15)  # the IPN normally comes within seconds; then we ask
QUERY_UNTIL = timedelta(days=3)  # past this the gateway's query no longer answers reliably
EXPIRY_GRACE = timedelta(minutes=15)  # a bank may still confirm just after the page closed
RETURN_QUERY_EVERY = timedelta(minutes=1)  # reloads of the return page ask the gateway once
ONLINE_GATEWAYS = (Attempt.Gateway.VNPAY, Attempt.Gateway.PAYGOV)
COUNTER_METHODS = ("cash", "card")
TXN_REF_TRIES = 5  # 8 random hex digits a day: a clash is rare, several in a row are a fault

GatewayFor = Callable[[str], gateways.Gateway]


class Result(enum.StrEnum):
    """What `apply_outcome` did, which the IPN answers in VNPay's codes."""

    APPLIED = "applied"  # the state changed as the gateway said (IPN 00)
    ALREADY = "already"  # the same thing was applied before, or the state is final (02)
    NOT_FOUND = "not_found"  # no attempt with this reference (01)
    WRONG_AMOUNT = "wrong_amount"  # paid, but not what was asked: a refund case (04)
    REFUND_CASE = "refund_case"  # paid after expiry or cancellation, or paid twice (00)
    UNCHANGED = "unchanged"  # the gateway does not know yet (pending, unknown) (99)


@dataclass(frozen=True)
class Applied:
    result: Result
    attempt: Attempt | None


def _now() -> datetime:
    return timezone.now()


def _gateway(name: str | gateways.Gateway) -> gateways.Gateway:
    if not isinstance(name, str):
        return name
    if name not in ONLINE_GATEWAYS:
        raise PaymentError(
            errors.UNKNOWN_GATEWAY, fields={"gateway": errors.UNKNOWN_GATEWAY.message}
        )
    try:
        return gateways.gateway(name)
    except ImproperlyConfigured as exc:  # production without the merchant's settings
        log.error("payment gateway %s is not configured: %s", name, exc)
        raise PaymentError(errors.GATEWAY_NOT_CONFIGURED) from exc


def _channel(dossier: Dossier) -> str:
    return {
        Dossier.Channel.COUNTER: "counter",
        Dossier.Channel.POST: "post",
    }.get(dossier.channel, "online")  # type: ignore[call-overload]


def expiry_minutes() -> int:
    return int(getattr(settings, "PAYMENTS_EXPIRY_MINUTES", 15))


# --- charges ----------------------------------------------------------------------------------


def charge_for(dossier: Dossier, due: str) -> Charge | None:
    """The dossier's charge at `due` ("submission" or "before_result"), computed from its
    version's fee table and its e-form once and frozen; the same charge on every later call.
    None when nothing is owed then (no fee, or every line exempt)."""
    if due not in Due.values:
        raise PaymentError(errors.UNKNOWN_DUE, fields={"due": errors.UNKNOWN_DUE.message})
    existing = Charge.objects.filter(dossier=dossier, due=due).first()
    if existing is not None:
        return existing
    lines, total = _priced(dossier, due)
    if total == 0:
        return None
    try:
        with transaction.atomic():
            charge = _write_charge(dossier, due, lines, total)
    except IntegrityError:
        # Computed at the same moment by another request: theirs stands, with the same lines.
        return Charge.objects.get(dossier=dossier, due=due)
    return charge


def charge_new_dossier(dossier: Dossier, due: str) -> Charge | None:
    """`charge_for` for a dossier created in the caller's own, still open transaction (the
    API's submission): no other transaction can see the dossier, so it has no charge yet and
    none can be computed beside this one; no read first and no savepoint (the caller's
    transaction holds the charge with the dossier). PaymentError before anything is written,
    as `charge_for`."""
    if due not in Due.values:
        raise PaymentError(errors.UNKNOWN_DUE, fields={"due": errors.UNKNOWN_DUE.message})
    lines, total = _priced(dossier, due)
    return _write_charge(dossier, due, lines, total) if total else None


def _priced(dossier: Dossier, due: str) -> tuple[tuple[fees.ChargeLine, ...], int]:
    if dossier.state == Dossier.State.DRAFT:
        raise PaymentError(errors.NOT_SUBMITTED)
    computed = fees.compute(dossier.version.fees, dossier.form_data, channel=_channel(dossier))
    lines = computed.due(due)
    return lines, sum(line.amount for line in lines)


def _write_charge(
    dossier: Dossier, due: str, lines: tuple[fees.ChargeLine, ...], total: int
) -> Charge:
    charge = Charge.objects.create(
        dossier=dossier,
        due=due,
        lines=[line.as_dict() for line in lines],
        total=total,
    )
    audit.record(
        "payments.charge",
        charge,
        changes={"dossier": dossier.code, "due": due, "total": total},
    )
    return charge


# --- attempts -----------------------------------------------------------------------------------


def new_txn_ref(now: datetime) -> str:
    """A reference VNPay takes as is (letters and digits, unique within a day and here for
    ever through the unique index): the local date and 8 random hexadecimal digits."""
    return timezone.localtime(now).strftime("%y%m%d") + secrets.token_hex(4).upper()


def _create_attempt(now: datetime, *, prefix: str = "", **fields: Any) -> Attempt:
    """A new attempt under a fresh reference; a reference already taken (by chance, or by a
    request at the same moment) is drawn again, each try in a savepoint so that the clash
    leaves the caller's transaction usable."""
    for _try in range(TXN_REF_TRIES - 1):
        txn_ref = prefix + new_txn_ref(now)
        try:
            with transaction.atomic():
                return Attempt.objects.create(txn_ref=txn_ref, **fields)
        except IntegrityError:
            if not Attempt.objects.filter(txn_ref=txn_ref).exists():
                raise  # another constraint: not a clash a new reference would avoid
            log.warning("payment reference %s is taken; drawing another", txn_ref)
    return Attempt.objects.create(txn_ref=prefix + new_txn_ref(now), **fields)


def order_info(charge: Charge) -> str:
    """vnp_OrderInfo: no diacritics, only letters, digits, space and `.:_-`."""
    code = "".join(
        c for c in str(charge.dossier.code or charge.dossier_id) if c.isalnum() or c in ".-_"
    )
    return f"Thanh toan phi le phi ho so {code}"


def start_attempt(
    charge: Charge,
    gateway: str | gateways.Gateway,
    client_ip: str,
    return_url: str,
    *,
    now: datetime | None = None,
    expires_in: timedelta | None = None,
) -> Attempt:
    """A payment through `gateway` for the whole charge, pending with its signed URL, open for
    `expires_in` (TINHSO_PAYMENTS_EXPIRY_MINUTES by default). A citizen who comes back while
    an earlier attempt through the same gateway is still open gets that attempt again, so two
    tabs cannot pay twice."""
    gw = _gateway(gateway)
    now = now or _now()
    with transaction.atomic():
        locked = Charge.objects.select_for_update(no_key=True).get(pk=charge.pk)
        if locked.state == Charge.State.PAID:
            raise PaymentError(errors.ALREADY_PAID)
        if locked.state != Charge.State.OPEN:
            raise PaymentError(errors.NOTHING_DUE)
        reuse = (
            locked.attempts.filter(
                gateway=gw.name,
                state=Attempt.State.PENDING,
                expires_at__gt=now + timedelta(minutes=2),
                amount=locked.total,
            )
            .order_by("-created_at")
            .first()
        )
        if reuse is not None:
            return _resign(reuse, gw, return_url)
        attempt = _create_attempt(
            now,
            charge=locked,
            gateway=gw.name,
            amount=locked.total,
            client_ip=client_ip[:45],
            return_url=return_url[:500],
            created_at=now.replace(microsecond=0),
            expires_at=(now + (expires_in or timedelta(minutes=expiry_minutes()))).replace(
                microsecond=0
            ),
        )
        audit.record(
            "payments.attempt_created",
            attempt,
            changes={"charge": locked.pk, "gateway": gw.name, "amount": attempt.amount},
        )
    try:
        url = gw.start(
            txn_ref=attempt.txn_ref,
            amount=attempt.amount,
            order_info=order_info(locked),
            return_url=return_url,
            client_ip=client_ip,
            created_at=attempt.created_at,
            expires_at=attempt.expires_at,
        )
    except gateways.GatewayError as exc:
        _close(attempt, Attempt.State.FAILED, note=type(exc).__name__)
        raise
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update(no_key=True).get(pk=attempt.pk)
        if attempt.state == Attempt.State.CREATED:
            attempt.state = Attempt.State.PENDING
            attempt.payment_url = url
            attempt.save(update_fields=["state", "payment_url", "updated_at"])
            audit.record(
                "payments.attempt_started",
                attempt,
                changes={"state": [Attempt.State.CREATED, Attempt.State.PENDING]},
            )
    return attempt


def return_url() -> str:
    """The citizen's way back from the gateway for the configuration in force now
    (TINHSO_SITE_URL: its host or port may have changed since an attempt was started)."""
    return settings.SITE_URL.rstrip("/") + reverse("payments:vnpay_return")


def _signed_url(attempt: Attempt, gw: gateways.Gateway, back: str) -> str:
    return gw.start(
        txn_ref=attempt.txn_ref,
        amount=int(attempt.amount),
        order_info=order_info(attempt.charge),
        return_url=back,
        client_ip=attempt.client_ip,
        created_at=attempt.created_at,
        expires_at=attempt.expires_at,
    )


def _resign(attempt: Attempt, gw: gateways.Gateway, back: str) -> Attempt:
    """A pending VNPay attempt given again (the citizen clicks to continue paying) with its URL
    signed for the configuration in force now: the merchant, the secret, the gateway's address
    and the return address (`back`) may all have changed since it was started, and the old
    URL would send the citizen to a page that refuses it. Signing is local (no network), so
    it is done here, in the caller's transaction; the new URL and return address are kept,
    audited. Another gateway's URL is the one it gave (PayGov's INIT is a network call)."""
    if attempt.gateway != Attempt.Gateway.VNPAY:
        return attempt
    url = _signed_url(attempt, gw, back)
    if url == attempt.payment_url and back == attempt.return_url:
        return attempt
    attempt.payment_url, attempt.return_url = url, back[:500]
    attempt.save(update_fields=["payment_url", "return_url", "updated_at"])
    audit.record("payments.attempt_resigned", attempt, changes={"return_url": attempt.return_url})
    return attempt


def _close(attempt: Attempt, state: str, *, note: str = "") -> bool:
    """Move an attempt not yet settled (created or pending) to failed, expired or cancelled."""
    with transaction.atomic():
        locked = Attempt.objects.select_for_update(no_key=True).get(pk=attempt.pk)
        if locked.state not in (Attempt.State.CREATED, Attempt.State.PENDING):
            return False
        before = locked.state
        locked.state = state
        locked.save(update_fields=["state", "updated_at"])
        audit.record(
            f"payments.attempt_{state}",
            locked,
            changes={"state": [before, state], **({"note": note} if note else {})},
        )
    attempt.state = state
    return True


def expire_attempt(attempt: Attempt, *, note: str = "") -> bool:
    """Close an attempt the gateway never confirmed; a payment reported later becomes a
    refund case (`apply_outcome`)."""
    return _close(attempt, Attempt.State.EXPIRED, note=note)


def cancel_attempt(attempt: Attempt, *, note: str = "") -> bool:
    return _close(attempt, Attempt.State.CANCELLED, note=note)


# --- outcomes -----------------------------------------------------------------------------------


def _refund_case(attempt: Attempt, cause: str, amount: int, reason: str) -> bool:
    """Open the ledger's own refund case once per attempt and cause (in the caller's
    transaction); False when it was open already."""
    if Refund.objects.filter(attempt=attempt, cause=cause).exists():
        return False
    refund = Refund.objects.create(attempt=attempt, amount=amount, cause=cause, reason=reason)
    audit.record(
        "payments.refund_case",
        refund,
        changes={"attempt": attempt.txn_ref, "cause": cause, "amount": amount},
    )
    return True


def _mark_paid(attempt: Attempt, charge: Charge, outcome: gateways.Outcome, now: datetime) -> None:
    before = attempt.state
    attempt.state = Attempt.State.PAID
    attempt.transaction_no = outcome.transaction_no[:60]
    attempt.gateway_code = outcome.gateway_code[:20]
    attempt.paid_at = outcome.paid_at or now
    attempt.save(update_fields=["state", "transaction_no", "gateway_code", "paid_at", "updated_at"])
    charge.state = Charge.State.PAID
    charge.paid_at = attempt.paid_at
    charge.save(update_fields=["state", "paid_at"])
    audit.record(
        "payments.paid",
        attempt,
        changes={
            "state": [before, Attempt.State.PAID],
            "transaction_no": attempt.transaction_no,
            "amount": attempt.amount,
        },
    )
    outbox.enqueue(PAID_TOPIC, {"attempt": attempt.pk})
    # the operations centre's counters (ioc/rollups.py) count "paid online" per dossier;
    # without this they would wait for the dossier's next event (issue 16)
    from tinhso.ioc.rollups import dossier_changed as ioc_changed

    ioc_changed(charge.dossier_id)
    if settings.DVCQG_URL:  # the national portal sync (dvcqg/sync.py), in this transaction:
        # the record's payment flag and status changed, with no timeline line
        from tinhso.dvcqg.sync import dossier_changed

        dossier_changed(charge.dossier)


def _decide(attempt: Attempt, charge: Charge, outcome: gateways.Outcome, now: datetime) -> Result:
    state = attempt.state
    if outcome.status in ("pending", "unknown"):
        return Result.UNCHANGED
    if state == Attempt.State.PAID:
        return Result.ALREADY  # paid is final; a later "failed" changes nothing
    if outcome.status == "paid":
        if outcome.amount != attempt.amount:
            _refund_case(
                attempt,
                Refund.Cause.AMOUNT_MISMATCH,
                outcome.amount,
                _(
                    "Cổng báo đã thanh toán %(paid)s đồng cho giao dịch %(ref)s, khác số phải nộp "
                    "%(asked)s đồng."
                )
                % {"paid": outcome.amount, "ref": attempt.txn_ref, "asked": attempt.amount},
            )
            _settle_unpaid(attempt, Attempt.State.FAILED, outcome)
            return Result.WRONG_AMOUNT  # every repeat too: the gateway must not read it as done
        if state in (Attempt.State.EXPIRED, Attempt.State.CANCELLED):
            opened = _refund_case(
                attempt,
                Refund.Cause.LATE_PAYMENT,
                outcome.amount,
                _("Cổng báo đã thanh toán giao dịch %(ref)s sau khi giao dịch đã %(state)s.")
                % {"ref": attempt.txn_ref, "state": attempt.get_state_display()},
            )
            _record_gateway_fields(attempt, outcome)
            return Result.REFUND_CASE if opened else Result.ALREADY
        if charge.state == Charge.State.PAID:
            opened = _refund_case(
                attempt,
                Refund.Cause.DUPLICATE,
                outcome.amount,
                _("Khoản của giao dịch %(ref)s đã được nộp bằng giao dịch khác.")
                % {"ref": attempt.txn_ref},
            )
            _settle_unpaid(attempt, Attempt.State.FAILED, outcome)
            return Result.REFUND_CASE if opened else Result.ALREADY
        # created, pending, or failed earlier: the gateway's later, verified success wins
        # over an earlier failure report (a payment once marked failed is never left so).
        _mark_paid(attempt, charge, outcome, now)
        return Result.APPLIED
    target = Attempt.State.CANCELLED if outcome.status == "cancelled" else Attempt.State.FAILED
    if state in (Attempt.State.CREATED, Attempt.State.PENDING):
        _settle_unpaid(attempt, target, outcome)
        return Result.APPLIED
    return Result.ALREADY


def _record_gateway_fields(attempt: Attempt, outcome: gateways.Outcome) -> None:
    if outcome.transaction_no and not attempt.transaction_no:
        attempt.transaction_no = outcome.transaction_no[:60]
        attempt.gateway_code = outcome.gateway_code[:20]
        attempt.save(update_fields=["transaction_no", "gateway_code", "updated_at"])


def _settle_unpaid(attempt: Attempt, target: str, outcome: gateways.Outcome) -> None:
    _record_gateway_fields(attempt, outcome)
    if attempt.state not in (Attempt.State.CREATED, Attempt.State.PENDING):
        return
    before = attempt.state
    attempt.state = target
    attempt.gateway_code = outcome.gateway_code[:20]
    attempt.save(update_fields=["state", "gateway_code", "updated_at"])
    audit.record(
        f"payments.attempt_{target}",
        attempt,
        changes={"state": [before, target], "gateway_code": outcome.gateway_code},
    )


def _keep_event(
    attempt: Attempt | None, outcome: gateways.Outcome, source: str, result: Result, now: datetime
) -> None:
    Event.objects.create(
        attempt=attempt,
        txn_ref=outcome.txn_ref[:100],
        kind=source,
        status=outcome.status,
        amount=outcome.amount,
        gateway_code=outcome.gateway_code[:20],
        raw=dict(outcome.raw),
        verified=True,
        effect=result.value,
        received_at=now,
    )


_REPEAT_EVENT_FIELDS = (
    "attempt", "txn_ref", "kind", "status", "amount", "gateway_code", "raw", "verified",
    "effect", "signature", "received_at",
)  # fmt: skip


@functools.cache
def _repeat_event_sql(vendor: str) -> str:
    """`_keep_repeat_event`'s statement, built once per database vendor from the models."""
    event, attempt, q = Event._meta, Attempt._meta, connection.ops.quote_name
    columns = {f.name: q(str(f.column)) for f in event.concrete_fields}
    raw = "CAST(%s AS jsonb)" if vendor == "postgresql" else "%s"
    return (
        f"INSERT INTO {q(event.db_table)} "  # noqa: S608 (names from the models; values are parameters)
        f"({', '.join(columns[name] for name in _REPEAT_EVENT_FIELDS)}) "
        f"SELECT {q(str(attempt.pk.column))}, %s, %s, %s, %s, %s, {raw}, %s, %s, %s, %s "
        f"FROM {q(attempt.db_table)} WHERE {q('txn_ref')} = %s AND {q('gateway')} = %s "
        f"AND {q('state')} = %s RETURNING {columns['attempt']}"
    )


def _keep_repeat_event(
    outcome: gateways.Outcome, source: str, result: Result, now: datetime
) -> int | None:
    """Keep `outcome` as an event of its attempt if that attempt is paid already, in one
    statement (INSERT ... SELECT ... RETURNING): the id of the paid attempt, or None when
    there is no such attempt (not paid, not this gateway's, or no such reference), in which
    case nothing was written.

    The repeat path of a callback (a gateway retrying, 49 of 50 concurrent copies) is thus
    one round trip, the check and the record together: no SELECT before it, no transaction
    around it (one statement is atomic), no row lock. It writes what `_keep_event` writes
    (tests/payments/test_ipn_queries.py compares them)."""
    params: list[Any] = [
        outcome.txn_ref[:100],
        source,
        outcome.status,
        outcome.amount,
        outcome.gateway_code[:20],
        json.dumps(dict(outcome.raw)),
        True,
        result.value,
        "",
        connection.ops.adapt_datetimefield_value(now),
        outcome.txn_ref,
        outcome.gateway,
        Attempt.State.PAID,
    ]
    if not connection.features.can_return_columns_from_insert:  # SQLite before 3.35
        paid = Attempt.objects.filter(
            txn_ref=outcome.txn_ref, gateway=outcome.gateway, state=Attempt.State.PAID
        ).first()
        if paid is not None:
            _keep_event(paid, outcome, source, result, now)
        return None if paid is None else paid.pk
    with connection.cursor() as cursor:
        cursor.execute(_repeat_event_sql(connection.vendor), params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def apply_outcome(outcome: gateways.Outcome, source: str) -> Applied:
    """Apply one verified outcome (from a callback, a query, or a return's query) once.

    An attempt already paid is final: the outcome is kept as an event in one statement
    (`_keep_repeat_event`) and answered without a lock or a read before it; `Applied.attempt`
    is then None (the attempt is not loaded). Otherwise the attempt's row is locked first, so
    concurrent deliveries of the same callback queue here and each sees what the one before
    did: the first applies; the others find it paid, let go of the lock at once and keep
    their event as a repeat, so the queue does not wait on each one's commit.
    Every outcome is kept as an event, with what it did. An outcome about an attempt made
    through another gateway is refused: logged, nothing written (references are unique
    across gateways, so it is a fault or a forgery, not news about that attempt)."""
    now = _now()
    # Paid is final and _decide changes nothing on a paid attempt, so a repeat delivery
    # needs no lock: its event is kept and it is answered as the locked path would.
    repeat = Result.UNCHANGED if outcome.status in ("pending", "unknown") else Result.ALREADY
    if _keep_repeat_event(outcome, source, repeat, now) is not None:
        return Applied(repeat, None)
    result = repeat
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(no_key=True).filter(txn_ref=outcome.txn_ref).first()
        )
        paid_meanwhile = (
            attempt is not None
            and attempt.gateway == outcome.gateway
            and attempt.state == Attempt.State.PAID
        )
        if paid_meanwhile:
            # A concurrent copy paid it while this one waited for the lock. Let go of the
            # lock at once (a rollback: nothing written, no commit to flush while the next
            # copy in the queue waits) and keep the event below, lock-free, as any repeat.
            transaction.set_rollback(True)
        elif attempt is not None and attempt.gateway != outcome.gateway:
            log.error(
                "gateway %s reports on %s, an attempt through %s: refused",
                outcome.gateway,
                outcome.txn_ref,
                attempt.gateway,
            )
            return Applied(Result.NOT_FOUND, None)
        elif attempt is None:
            result = Result.NOT_FOUND
        else:
            charge = Charge.objects.select_for_update(no_key=True).get(pk=attempt.charge_id)
            result = _decide(attempt, charge, outcome, now)
        if not paid_meanwhile:
            _keep_event(attempt, outcome, source, result, now)
    if paid_meanwhile:
        _keep_event(attempt, outcome, source, repeat, now)
        return Applied(repeat, attempt)
    if result in (Result.WRONG_AMOUNT, Result.REFUND_CASE):
        log.warning("payment %s needs a refund: %s", outcome.txn_ref, result)
    elif result is Result.NOT_FOUND and outcome.status == "paid":
        # Money moved for a reference we never issued: kept as an event, and the settlement
        # reconciliation lists it (missing_in_ledger) for the finance officer.
        log.error("gateway reports a payment for unknown reference %s", outcome.txn_ref)
    return Applied(result, attempt)


def record_return(outcome: gateways.Outcome, *, signature: str = "") -> Attempt | None:
    """Keep what the browser brought back (verified) as an event, once per reference and
    signature however often the page is reloaded; it changes no state."""
    txn_ref, signature = outcome.txn_ref[:100], signature[:200].lower()
    attempt = Attempt.objects.filter(txn_ref=outcome.txn_ref).first()
    seen = Event.objects.filter(kind=Event.Kind.RETURN, txn_ref=txn_ref, signature=signature)
    if signature and seen.exists():
        return attempt
    try:
        with transaction.atomic():
            Event.objects.create(
                attempt=attempt,
                txn_ref=txn_ref,
                kind=Event.Kind.RETURN,
                status=outcome.status,
                amount=outcome.amount,
                gateway_code=outcome.gateway_code[:20],
                raw=dict(outcome.raw),
                verified=True,
                effect="display",
                signature=signature,
                received_at=_now(),
            )
    except IntegrityError:
        pass  # the same return, kept by a reload at the same moment
    return attempt


def claim_return_query(attempt: Attempt, *, now: datetime | None = None) -> bool:
    """Whether the return page may ask the gateway about `attempt` now: at most once per
    RETURN_QUERY_EVERY, claimed by one conditional update so that concurrent reloads (in
    any process) do not all ask. Bookkeeping, not a state of the payment: not audited."""
    now = now or _now()
    due = Q(return_queried_at__isnull=True) | Q(return_queried_at__lte=now - RETURN_QUERY_EVERY)
    return bool(Attempt.objects.filter(due, pk=attempt.pk).update(return_queried_at=now))


def confirm_by_query(
    attempt: Attempt, *, gateway: str | gateways.Gateway | None = None
) -> Applied | None:
    """Ask the gateway about `attempt` (outside any transaction) and apply its verified
    answer; None when the gateway cannot be reached now."""
    gw = _gateway(gateway or attempt.gateway)
    try:
        outcome = gw.query(
            txn_ref=attempt.txn_ref, created_at=attempt.created_at, client_ip=attempt.client_ip
        )
    except gateways.GatewayUnavailable:
        log.info("gateway %s unavailable for %s; asked again later", gw.name, attempt.txn_ref)
        return None
    except gateways.GatewayRefused as exc:
        log.warning("gateway %s refused the query for %s: %s", gw.name, attempt.txn_ref, exc.code)
        return None
    except gateways.GatewayError as exc:  # an answer that does not verify, or a new kind
        log.warning(
            "gateway %s gave no usable answer for %s: %s: %s",
            gw.name,
            attempt.txn_ref,
            type(exc).__name__,
            exc,
        )
        return None
    if outcome.txn_ref != attempt.txn_ref:
        log.error(
            "gateway %s answered about %s when asked about %s",
            gw.name,
            outcome.txn_ref,
            attempt.txn_ref,
        )
        return None
    return apply_outcome(outcome, Event.Kind.QUERY)


# --- the counter ----------------------------------------------------------------------------


def record_counter_payment(
    charge: Charge, *, officer: Any, method: str, receipt_no: str
) -> Attempt:
    """An officer at the one-stop desk took the charge in cash or by card (Decree 118/2025)."""
    dossier = charge.dossier
    permissions.enforce(permissions.taking_payment(officer, dossier))
    receipt_no = (receipt_no or "").strip()
    problems = {}
    if method not in COUNTER_METHODS:
        problems["method"] = errors.METHOD_INVALID.message
    if not receipt_no or len(receipt_no) > 60:
        problems["receipt_no"] = errors.RECEIPT_NO_REQUIRED.message
    if problems:
        code = errors.METHOD_INVALID if "method" in problems else errors.RECEIPT_NO_REQUIRED
        raise PaymentError(code, fields=problems)
    now = _now()
    with transaction.atomic():
        locked = Charge.objects.select_for_update(no_key=True).get(pk=charge.pk)
        if locked.state == Charge.State.PAID:
            raise PaymentError(errors.ALREADY_PAID)
        if locked.state != Charge.State.OPEN:
            raise PaymentError(errors.NOTHING_DUE)
        # The citizen may be on the gateway's page right now: cash taken then would be a
        # second payment (the first becoming a refund case). An attempt past its expiry no
        # longer holds the charge; one paid late is a refund case like any late payment.
        if locked.attempts.filter(
            state__in=(Attempt.State.CREATED, Attempt.State.PENDING), expires_at__gt=now
        ).exists():
            raise PaymentError(errors.ONLINE_PAYMENT_IN_PROGRESS)
        attempt = _create_attempt(
            now,
            prefix="Q",
            charge=locked,
            gateway=Attempt.Gateway.COUNTER,
            amount=locked.total,
            state=Attempt.State.PENDING,
            method=method,
            recorded_by=officer if getattr(officer, "pk", None) else None,
            created_at=now,
            expires_at=now,
        )
        outcome = gateways.Outcome(
            txn_ref=attempt.txn_ref,
            amount=attempt.amount,
            status="paid",
            gateway_code=method,
            transaction_no=receipt_no,
            paid_at=now,
            raw={"method": method, "receipt_no": receipt_no},
            gateway=Attempt.Gateway.COUNTER,
        )
        Event.objects.create(
            attempt=attempt,
            txn_ref=attempt.txn_ref,
            kind=Event.Kind.COUNTER,
            status="paid",
            amount=attempt.amount,
            gateway_code=method,
            raw=dict(outcome.raw),
            verified=True,
            effect=Result.APPLIED.value,
            received_at=now,
        )
        _mark_paid(attempt, locked, outcome, now)
    return attempt


# --- the side effects of a paid charge (run by the outbox handler) ---------------------------


def issue_receipt(attempt: Attempt, *, now: datetime | None = None) -> Receipt:
    """The charge's electronic receipt, numbered in the configured series and the year it is
    issued; issued once (the charge holds one receipt; the counter is taken last).

    The year is the issue date's, not the payment's: a payment at 23:59 on 31 December whose
    receipt is issued after midnight would otherwise take a number in a series already
    closed, after receipts issued later in the new year's."""
    now = now or _now()
    existing = Receipt.objects.filter(charge_id=attempt.charge_id).first()
    if existing is not None:
        return existing
    series = str(getattr(settings, "PAYMENTS_RECEIPT_SERIES", "BL-TS"))[:20]
    year = timezone.localtime(now).year
    ReceiptCounter.objects.get_or_create(series=series, year=year)
    with transaction.atomic():
        counter = ReceiptCounter.objects.select_for_update().get(series=series, year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        dossier = attempt.charge.dossier
        receipt = Receipt.objects.create(
            charge_id=attempt.charge_id,
            attempt=attempt,
            series=series,
            year=year,
            number=counter.last,
            amount=attempt.amount,
            payer_name=dossier.applicant_name[:200],
            issued_at=now,
        )
        audit.record(
            "payments.receipt",
            receipt,
            changes={"number": receipt.label, "amount": receipt.amount, "dossier": dossier.code},
        )
    return receipt


def mark_dossier_paid(dossier: Dossier) -> None:
    """The dossier's fee status once none of its charges is still open.

    The dossiers app owns the dossier; this is the one field the ledger sets, by a conditional
    update that only moves "unpaid" to "paid", audited. (Its own action would be better: see
    docs/payments.md.)"""
    if dossier.charges.filter(state=Charge.State.OPEN).exists():
        return
    with transaction.atomic():
        moved = Dossier.objects.filter(pk=dossier.pk, fee_status=Dossier.FeeStatus.UNPAID).update(
            fee_status=Dossier.FeeStatus.PAID
        )
        if moved:
            audit.record(
                "payments.dossier_paid",
                dossier,
                changes={"fee_status": [Dossier.FeeStatus.UNPAID, Dossier.FeeStatus.PAID]},
            )


def tell_payer(attempt: Attempt, receipt: Receipt) -> None:
    """One e-mail to the applicant (in the caller's transaction, so once per paid charge)."""
    dossier = attempt.charge.dossier
    if not dossier.applicant_email:
        return
    subject = _("Đã nhận phí, lệ phí hồ sơ %(code)s") % {"code": dossier.code}
    body = _(
        "Kính gửi Ông/Bà %(name)s,\n\nHệ thống đã nhận %(amount)s đồng phí, lệ phí của hồ sơ "
        "%(code)s (mã giao dịch %(ref)s). Biên lai điện tử: %(receipt)s.\n\nXem hồ sơ tại %(site)s"
    ) % {
        "name": dossier.applicant_name,
        "amount": f"{attempt.amount:,}".replace(",", "."),
        "code": dossier.code,
        "ref": attempt.txn_ref,
        "receipt": receipt.label,
        "site": settings.SITE_URL.rstrip("/") + "/ho-so-cua-toi/",
    }
    notify("email", dossier.applicant_email, subject, body)


# --- refunds --------------------------------------------------------------------------------


def refundable(attempt: Attempt) -> int:
    """What may still be given back for a paid attempt (so no refund is made twice)."""
    taken = (
        attempt.refunds.exclude(state=Refund.State.REJECTED).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(int(attempt.amount) - int(taken), 0)


def request_refund(attempt: Attempt, *, amount: int, reason: str, actor: Any) -> Refund:
    """A finance officer asks to give back `amount` of a paid attempt (a refused dossier, a
    fee collected wrongly)."""
    permissions.enforce(permissions.handling_refunds(actor, attempt.charge.dossier))
    reason = (reason or "").strip()
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise PaymentError(errors.AMOUNT_INVALID, fields={"amount": errors.AMOUNT_INVALID.message})
    if not reason:
        raise PaymentError(
            errors.REASON_REQUIRED, fields={"reason": errors.REASON_REQUIRED.message}
        )
    with transaction.atomic():
        locked = Attempt.objects.select_for_update(no_key=True).get(pk=attempt.pk)
        if locked.state != Attempt.State.PAID:
            raise PaymentError(errors.NOT_PAID)
        left = refundable(locked)
        if amount > left:
            raise PaymentError(errors.REFUND_TOO_LARGE, left=left)
        refund = Refund.objects.create(
            attempt=locked,
            amount=amount,
            cause=Refund.Cause.REQUESTED,
            reason=reason[:2000],
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            "payments.refund_requested",
            refund,
            actor=actor,
            changes={"attempt": locked.txn_ref, "amount": amount, "reason": refund.reason},
        )
    return refund


def refund_refused_dossier(dossier: Dossier) -> list[Refund]:
    """A dossier refused or rejected after it was paid: one refund case per paid attempt, for
    what is still refundable, opened once however often it is called (the dossiers app calls
    it in the transaction that refuses)."""
    opened = []
    attempts = Attempt.objects.select_for_update(no_key=True).filter(
        charge__dossier=dossier, state=Attempt.State.PAID
    )
    with transaction.atomic():
        for attempt in attempts.order_by("pk"):
            left = refundable(attempt)
            if left and _refund_case(
                attempt,
                Refund.Cause.DOSSIER_REFUSED,
                left,
                _("Hồ sơ %(code)s bị từ chối sau khi đã nộp phí, lệ phí.") % {"code": dossier.code},
            ):
                opened.append(
                    Refund.objects.get(attempt=attempt, cause=Refund.Cause.DOSSIER_REFUSED)
                )
    return opened


def paid_amount(attempt: Attempt) -> int:
    """What the payer actually paid through `attempt`: the amount asked once it is paid, else
    the amount of the gateway's verified "paid" report (an amount mismatch, a late or a
    second payment, which left the attempt unpaid)."""
    if attempt.state == Attempt.State.PAID:
        return int(attempt.amount)
    reported = (
        attempt.events.filter(verified=True, status="paid", amount__isnull=False)
        .exclude(kind=Event.Kind.RETURN)
        .order_by("-received_at", "-pk")
        .values_list("amount", flat=True)
        .first()
    )
    return int(reported) if reported is not None else int(attempt.amount)


def submit_refund(
    refund: Refund, *, actor: Any, gateway: str | gateways.Gateway | None = None
) -> Refund:
    """Send a requested refund to the gateway and record its answer; at the counter the
    officer hands the money back, so it is refunded at once.

    The refund is claimed first (requested → submitting, under its row lock, audited and
    committed), then sent outside any transaction, then its answer recorded. A second call,
    in this process or another, finds it claimed and sends nothing: money goes out once. An
    answer that says nothing (timeout, an unverifiable reply) leaves it submitting, to be
    settled from the gateway's records, never sent again."""
    permissions.enforce(permissions.handling_refunds(actor, refund.attempt.charge.dossier))
    at_counter = refund.attempt.gateway == Attempt.Gateway.COUNTER
    # Resolved before the claim: a gateway that is not configured must not leave it claimed.
    gw = None if at_counter else _gateway(gateway or refund.attempt.gateway)
    with transaction.atomic():
        locked = (
            Refund.objects.select_for_update(no_key=True)
            .select_related("attempt")
            .get(pk=refund.pk)
        )
        if locked.state != Refund.State.REQUESTED:
            raise PaymentError(errors.REFUND_NOT_OPEN)
        if gw is None:
            _move_refund(locked, Refund.State.REFUNDED, "", actor)
            return locked
        _move_refund(locked, Refund.State.SUBMITTING, "", actor)
    attempt = locked.attempt
    try:
        answer = gw.refund(
            txn_ref=attempt.txn_ref,
            amount=int(locked.amount),
            created_at=attempt.created_at,
            transaction_no=attempt.transaction_no,
            requested_by=str(getattr(actor, "username", "") or "tinhso")[:100],
            client_ip=attempt.client_ip or "127.0.0.1",
            full=int(locked.amount) == paid_amount(attempt),
        )
    except gateways.GatewayRefused as exc:
        # Refused before it was processed (a malformed or unauthorised request): nothing
        # went out, so it may be sent again once the cause is fixed.
        with transaction.atomic():
            again = Refund.objects.select_for_update(no_key=True).get(pk=locked.pk)
            if again.state == Refund.State.SUBMITTING:
                _move_refund(again, Refund.State.REQUESTED, exc.code, actor)
        raise
    except gateways.GatewayError as exc:
        log.warning(
            "refund %s of %s: no answer from %s (%s); left submitting, not sent again",
            locked.pk,
            attempt.txn_ref,
            gw.name,
            type(exc).__name__,
        )
        return locked
    with transaction.atomic():
        locked = Refund.objects.select_for_update(no_key=True).get(pk=locked.pk)
        if locked.state == Refund.State.SUBMITTING:
            _move_refund(locked, answer.status, answer.gateway_code, actor)
    return locked


def _move_refund(refund: Refund, state: str, code: str, actor: Any) -> None:
    before = refund.state
    refund.state = state
    refund.gateway_code = code[:20]
    refund.save(update_fields=["state", "gateway_code", "updated_at"])
    audit.record(
        "payments.refund_" + state,
        refund,
        actor=actor,
        changes={"state": [before, state], "gateway_code": code},
    )


# --- reconciliation -------------------------------------------------------------------------


@dataclass
class PendingReport:
    asked: int = 0
    applied: int = 0
    expired: int = 0
    unavailable: int = 0
    failed: int = 0  # the attempt could not be asked about or settled this time (logged)
    results: dict[str, str] = field(default_factory=dict)  # txn_ref → what happened


def reconcile_pending(
    *, now: datetime | None = None, gateway_for: GatewayFor | None = None
) -> PendingReport:
    """The safety net under the callback: ask the gateway about every attempt still pending
    15 minutes to 3 days after it started and apply the answer; close those the gateway
    does not know or has not settled well after their expiry, and those past 3 days."""
    now = now or _now()
    report = PendingReport()
    gateway_for = gateway_for or gateways.gateway
    stale = Attempt.objects.filter(
        state__in=(Attempt.State.CREATED, Attempt.State.PENDING),
        gateway__in=ONLINE_GATEWAYS,
        created_at__lt=now - QUERY_UNTIL,
    )
    for attempt in stale:
        if expire_attempt(attempt, note="not confirmed within 3 days"):
            report.expired += 1
            report.results[attempt.txn_ref] = "expired"
    window = Attempt.objects.filter(
        state=Attempt.State.PENDING,
        gateway__in=ONLINE_GATEWAYS,
        created_at__lte=now - QUERY_AFTER,
        created_at__gte=now - QUERY_UNTIL,
    ).order_by("created_at")
    cache: dict[str, gateways.Gateway] = {}
    for attempt in window:
        report.asked += 1
        try:
            gw = cache.get(attempt.gateway) or cache.setdefault(
                attempt.gateway, gateway_for(attempt.gateway)
            )
            applied = confirm_by_query(attempt, gateway=gw)
        except (gateways.GatewayError, PaymentError, ImproperlyConfigured) as exc:
            # One attempt the gateway or the ledger cannot settle now must not stop the
            # others from being asked about; it is asked again on the next run.
            log.exception("reconciling %s failed: %s", attempt.txn_ref, type(exc).__name__)
            report.failed += 1
            report.results[attempt.txn_ref] = "error"
            continue
        if applied is None:
            report.unavailable += 1
            report.results[attempt.txn_ref] = "unavailable"
            continue
        unsettled = applied.result is Result.UNCHANGED and now >= attempt.expires_at + EXPIRY_GRACE
        if unsettled and expire_attempt(
            attempt, note="gateway has no settled payment after expiry"
        ):
            report.expired += 1
            report.results[attempt.txn_ref] = "expired"
            continue
        if applied.result is not Result.UNCHANGED:
            report.applied += 1
        report.results[attempt.txn_ref] = applied.result.value
    stuck = Attempt.objects.filter(
        state=Attempt.State.CREATED, gateway__in=ONLINE_GATEWAYS, expires_at__lt=now
    )
    for attempt in stuck:  # the gateway's page was never reached: nothing to ask about
        if expire_attempt(attempt, note="never started at the gateway"):
            report.expired += 1
    return report


REFUND_ASK_AFTER = timedelta(minutes=15)  # a refund being sent right now is left alone


@dataclass
class RefundReport:
    asked: int = 0
    refunded: int = 0
    rejected: int = 0
    unchanged: int = 0  # still in progress at the gateway, or the answer said nothing
    unavailable: int = 0
    ambiguous: int = 0  # more than one refund of the attempt open: the query cannot tell
    results: dict[str, str] = field(default_factory=dict)  # refund id → what happened


def reconcile_refunds(
    *, now: datetime | None = None, gateway_for: GatewayFor | None = None
) -> RefundReport:
    """Ask the gateway about refunds sent and not settled: `submitted` ones (the gateway took
    them, in progress) and `submitting` ones whose answer never came, 15 minutes after their
    last change. VNPay's QueryDR on the paid transaction reports its refund (vnpay.
    refund_state); a refund it reports done becomes refunded, one it reports refused
    rejected, each audited with the gateway's code, and the answer kept as an event of the
    attempt. A `submitting` refund the gateway reports in progress becomes submitted. An
    answer that says nothing leaves the refund as it is (never sent again: it is asked about
    next time). Only VNPay takes refunds (PayGov's are settled outside tinhso)."""
    from tinhso.payments import vnpay

    now = now or _now()
    report = RefundReport()
    gateway_for = gateway_for or gateways.gateway
    open_states = (Refund.State.SUBMITTED, Refund.State.SUBMITTING)
    refunds = (
        Refund.objects.filter(
            state__in=open_states,
            attempt__gateway=Attempt.Gateway.VNPAY,
            updated_at__lte=now - REFUND_ASK_AFTER,
        )
        .select_related("attempt")
        .order_by("updated_at", "pk")
    )
    gw: gateways.Gateway | None = None
    for refund in refunds:
        attempt = refund.attempt
        report.asked += 1
        if attempt.refunds.filter(state__in=open_states).count() > 1:
            # QueryDR reports one state per transaction: with two refunds open it cannot
            # say which one it is about. A finance officer settles them from VNPay's portal.
            log.warning("refunds of %s: more than one open, not settled by query", attempt.txn_ref)
            report.ambiguous += 1
            report.results[str(refund.pk)] = "ambiguous"
            continue
        try:
            gw = gw or gateway_for(attempt.gateway)
            outcome = gw.query(
                txn_ref=attempt.txn_ref, created_at=attempt.created_at, client_ip=attempt.client_ip
            )
        except (gateways.GatewayError, ImproperlyConfigured) as exc:
            log.warning("refund %s of %s: no usable answer (%s)", refund.pk, attempt.txn_ref, exc)
            report.unavailable += 1
            report.results[str(refund.pk)] = "unavailable"
            continue
        if outcome.txn_ref != attempt.txn_ref:
            report.unavailable += 1
            report.results[str(refund.pk)] = "unavailable"
            continue
        said = vnpay.refund_state(outcome.raw)
        with transaction.atomic():
            locked = Refund.objects.select_for_update(no_key=True).get(pk=refund.pk)
            moved = said is not None and locked.state in open_states and said != locked.state
            if moved:
                assert said is not None
                _move_refund(locked, said, outcome.gateway_code, None)
            Event.objects.create(
                attempt=attempt,
                txn_ref=attempt.txn_ref[:100],
                kind=Event.Kind.QUERY,
                status=outcome.status,
                amount=outcome.amount,
                gateway_code=outcome.gateway_code[:20],
                raw=dict(outcome.raw),
                verified=True,
                effect=f"refund_{said}" if moved else "unchanged",
                received_at=now,
            )
        if moved and said == Refund.State.REFUNDED:
            report.refunded += 1
        elif moved and said == Refund.State.REJECTED:
            report.rejected += 1
        else:
            report.unchanged += 1
        report.results[str(refund.pk)] = locked.state
    return report


@dataclass(frozen=True)
class Difference:
    """One line of the settlement report a finance officer goes through."""

    kind: str  # missing_in_ledger | missing_in_file | amount_differs | not_paid_in_ledger
    #            | duplicate_in_file
    txn_ref: str
    ledger_amount: int | None
    file_amount: int | None
    ledger_state: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "txn_ref": self.txn_ref,
            "ledger_amount": self.ledger_amount,
            "file_amount": self.file_amount,
            "ledger_state": self.ledger_state,
            "note": self.note,
        }


_REF_COLUMNS = ("txn_ref", "vnp_txnref", "mathamchieu", "ma_tham_chieu")
_AMOUNT_COLUMNS = ("amount", "vnp_amount", "sotien", "so_tien")
_STATUS_COLUMNS = ("status", "trang_thai")


def _column(header: Iterable[str], names: tuple[str, ...]) -> str | None:
    for name in header:
        if name.strip().lower() in names:
            return name
    return None


def _settlement_rows(text: str) -> list[tuple[str, int, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    ref_col, amount_col = _column(header, _REF_COLUMNS), _column(header, _AMOUNT_COLUMNS)
    status_col = _column(header, _STATUS_COLUMNS)
    if ref_col is None or amount_col is None:
        raise PaymentError(
            errors.SETTLEMENT_INVALID,
            why=_("cần cột txn_ref và amount"),
            fields={"file": _("cần cột txn_ref và amount")},
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        ref = (row.get(ref_col) or "").strip()
        raw_amount = (row.get(amount_col) or "").strip().replace(".", "").replace(",", "")
        if not ref:
            continue
        if not (raw_amount.isascii() and raw_amount.isdecimal()):
            why = _("dòng %(n)s: số tiền “%(v)s” không phải số nguyên đồng") % {
                "n": number,
                "v": row.get(amount_col),
            }
            raise PaymentError(errors.SETTLEMENT_INVALID, why=why, fields={"file": why})
        status = (row.get(status_col) or "paid").strip().lower() if status_col else "paid"
        rows.append((ref, int(raw_amount), status))
    return rows


def reconcile_settlement(day: date, text: str, *, actor: Any = None) -> list[Difference]:
    """Compare the ledger's online payments of `day` (local time) with the gateway's
    settlement file (CSV with `txn_ref` and `amount` in đồng, optionally `status`) and list
    every difference; the comparison is audited, the ledger is not changed."""
    rows = _settlement_rows(text)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    end = start + timedelta(days=1)
    differences: list[Difference] = []
    seen: dict[str, int] = {}
    listed = {ref for ref, _amount, status in rows if status in ("paid", "00", "success")}
    attempts = {a.txn_ref: a for a in Attempt.objects.filter(txn_ref__in={r for r, _a, _s in rows})}
    for ref, amount, status in rows:
        if status not in ("paid", "00", "success"):
            continue
        seen[ref] = seen.get(ref, 0) + 1
        if seen[ref] == 2:
            differences.append(Difference("duplicate_in_file", ref, None, amount, "", ""))
            continue
        if seen[ref] > 2:
            continue
        attempt = attempts.get(ref)
        if attempt is None:
            differences.append(Difference("missing_in_ledger", ref, None, amount, ""))
            continue
        cases = ", ".join(
            f"{r.get_cause_display()} ({r.get_state_display()})" for r in attempt.refunds.all()
        )
        if attempt.state != Attempt.State.PAID:
            differences.append(
                Difference(
                    "not_paid_in_ledger", ref, int(attempt.amount), amount, attempt.state, cases
                )
            )
        elif int(attempt.amount) != amount:
            differences.append(
                Difference("amount_differs", ref, int(attempt.amount), amount, attempt.state, cases)
            )
    paid_that_day = Attempt.objects.filter(
        state=Attempt.State.PAID,
        gateway__in=ONLINE_GATEWAYS,
        paid_at__gte=start,
        paid_at__lt=end,
    ).exclude(txn_ref__in=listed)
    for attempt in paid_that_day.order_by("paid_at"):
        differences.append(
            Difference("missing_in_file", attempt.txn_ref, int(attempt.amount), None, attempt.state)
        )
    with transaction.atomic():
        audit.record(
            "payments.settlement_reconciled",
            None,
            actor=actor,
            object_type="payments.settlement",
            object_id=day.isoformat(),
            changes={
                "rows": len(rows),
                "differences": len(differences),
                "kinds": sorted({d.kind for d in differences}),
            },
        )
    return differences


def attempts_listing(state: str | None = None) -> list[Attempt]:
    """Attempts with their dossier, newest first (the command's listing)."""
    qs = Attempt.objects.select_related("charge__dossier").order_by("-created_at", "-pk")
    if state:
        qs = qs.filter(state=state)
    return list(qs)


def current_payment_url(attempt: Attempt) -> str:
    """The signed gateway URL of a pending attempt for the configuration in force now (the
    merchant code, secret, gateway address or this site's own address may have changed since
    it was started): VNPay's is signed again from what the attempt holds, with the return
    address of the site as configured now (`return_url()`); another gateway's is the one it
    gave. Nothing is written (the command only reads)."""
    if attempt.gateway != Attempt.Gateway.VNPAY:
        return attempt.payment_url
    return _signed_url(attempt, _gateway(attempt.gateway), return_url())


def attempt_row(attempt: Attempt) -> dict[str, Any]:
    """One attempt as `tinhso payments list --json` prints it."""
    row: dict[str, Any] = {
        "dossier_code": attempt.charge.dossier.code or "",
        "txn_ref": attempt.txn_ref,
        "amount": int(attempt.amount),
        "state": attempt.state,
        "created_at": attempt.created_at.isoformat(),
    }
    if attempt.state == Attempt.State.PENDING:
        row["payment_url"] = current_payment_url(attempt)
    return row
