"""Rollups kept as the data changes (docs/ioc.md, "Rollups").

After every change of a dossier, the action's transaction enqueues `ioc.dossier` (outbox).
The handler, in one transaction:

1. takes the dossier's fact row `FOR UPDATE` (inserting it first if missing): two deliveries
   about the same dossier run one after the other;
2. recomputes the fact from the dossier's *current* state (never from the message): so any
   order of delivery, any retry, gives the same result, and the last delivery after the last
   change is always right;
3. applies the difference (new contributions − old) to the counter rows, by upsert
   (`INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`), in the order of the bucket
   keys: two handlers touching the same counters lock them in the same order and cannot
   deadlock (they only queue; the fact lock comes first and is per dossier).

`rebuild()` recounts from scratch (or from a day on), and `recount()` computes the counters
from the dossiers without touching the stored ones, for the test that compares the two.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from tinhso.core import outbox
from tinhso.core.calendar import current_calendar
from tinhso.core.models import OutboxMessage
from tinhso.core.periods import Period
from tinhso.dossiers.clock import Verdict
from tinhso.dossiers.models import Dossier, DossierFile, DossierResult, Rating, SupplementRequest
from tinhso.ioc import index766
from tinhso.ioc.models import (
    DOSSIER_MEASURES,
    REPORT_MEASURES,
    DossierDay,
    DossierFact,
    ProcedureMonth,
    ReportDay,
    ReportFact,
    UnitDay,
    UnitMonth,
    UnitWeek,
)

log = logging.getLogger("tinhso.ioc")

TOPIC = "ioc.dossier"
REPORT_TOPIC = "ioc.report"
ONLINE_CHANNELS = (Dossier.Channel.WEB, Dossier.Channel.API)
WITH_RESULT = (Dossier.State.APPROVED, Dossier.State.RESULT_READY, Dossier.State.RETURNED)
ONLINE_GATEWAYS = ("vnpay", "paygov")
MICRO = 1_000_000
SCOPES = (("m", "month"), ("q", "quarter"), ("y", "year"))
Key = tuple[date, int, int, int, str]  # day, agency, commune, procedure, channel

# --- when a dossier changes --------------------------------------------------------------


def dossier_changed(dossier_id: int) -> None:
    """Queue the dossier's fact for recomputation; call inside the changing transaction."""
    outbox.enqueue(TOPIC, {"dossier": dossier_id})


@outbox.handler(TOPIC)
def _deliver(message: OutboxMessage) -> None:
    refresh(int(message.payload["dossier"]))


def refresh(dossier_id: int, *, now: datetime | None = None) -> None:
    """Recompute one dossier's fact and apply the difference to the counters."""
    with transaction.atomic():
        DossierFact.objects.get_or_create(
            dossier_id=dossier_id, defaults={"computed_at": timezone.now()}
        )
        fact = DossierFact.objects.select_for_update().get(dossier_id=dossier_id)
        new = next(iter(compute_facts([dossier_id], now=now)), None)
        old_measures = fact.measures or {}
        if new is None:  # the dossier is gone (a draft deleted): take it out
            _apply(_diff(old_measures, {}))
            fact.delete()
            return
        _apply(_diff(old_measures, new.measures))
        new.save()


# --- one dossier's fact --------------------------------------------------------------------


def _scope_end(kind: str, day: date, tz: Any) -> datetime:
    number = {"month": day.month, "quarter": (day.month - 1) // 3 + 1, "year": 0}[kind]
    return _period_end(kind, day.year, number, tz)


@lru_cache(maxsize=4096)
def _period_end(kind: str, year: int, number: int, tz: Any) -> datetime:
    return Period(kind, year, number).bounds(tz)[1]  # type: ignore[arg-type]


def _key_text(key: Key) -> str:
    return f"{key[0].isoformat()}|{key[1]}|{key[2]}|{key[3]}|{key[4]}"


def _key_of(text: str) -> Key:
    day, agency, commune, procedure, channel = text.split("|", 4)
    return (date.fromisoformat(day), int(agency), int(commune), int(procedure), channel)


FACT_FIELDS = (
    "pk",
    "state",
    "channel",
    "agency_id",
    "agency__commune_id",
    "version_id",
    "version__procedure_id",
    "submitted_at",
    "created_at",
    "received_at",
    "clock_start_at",
    "appointment_at",
    "finished_at",
    "returned_at",
)


def compute_facts(ids: Iterable[int], *, now: datetime | None = None) -> Iterator[DossierFact]:
    """The facts of these dossiers from their current state: eight queries per batch."""
    ids = list(ids)
    if not ids:
        return
    rows = list(
        Dossier.objects.filter(pk__in=ids).exclude(state=Dossier.State.DRAFT).values(*FACT_FIELDS)
    )
    yield from facts_of_rows(rows, Q(dossier_id__in=ids), now=now)


def fact_chunks(
    *,
    since: date | None = None,
    now: datetime | None = None,
    chunk: int = 5000,
    fees: dict[int, bool] | None = None,
) -> Iterator[list[DossierFact]]:
    """Every dossier's fact (or, with `since`, of those received or ended since that day),
    a chunk at a time: the next `chunk` dossiers by primary key after the last one (keyset,
    no OFFSET), and what their facts need by the same key range, in eight queries a chunk.
    The facts are computed by `facts_of_rows`, the function the live handler uses."""
    query = Dossier.objects.exclude(state=Dossier.State.DRAFT)
    if since is not None:
        query = query.filter(_since_filter(since))
    fees = {} if fees is None else fees
    last = 0
    while True:
        rows = list(query.filter(pk__gt=last).order_by("pk").values(*FACT_FIELDS)[:chunk])
        if not rows:
            return
        top = rows[-1]["pk"]
        yield list(
            facts_of_rows(rows, Q(dossier_id__gt=last, dossier_id__lte=top), now=now, fees=fees)
        )
        last = top


def _since_filter(since: date) -> Q:
    start = datetime.combine(since, datetime.min.time(), timezone.get_current_timezone())
    return (
        Q(received_at__gte=start)
        | Q(finished_at__gte=start)
        | Q(returned_at__gte=start)
        | Q(received_at__isnull=True, created_at__gte=start)
    )


def facts_of_rows(
    rows: list[dict[str, Any]],
    related: Q,
    *,
    now: datetime | None = None,
    fees: dict[int, bool] | None = None,
) -> Iterator[DossierFact]:
    """The facts of these dossier rows (`FACT_FIELDS`); `related` selects, by `dossier_id`,
    the supplement requests, results, ratings, files, payments and sync states to read (a
    list of ids, or a key range: rows of dossiers not in `rows` are read and ignored)."""
    if not rows:
        return
    now = now or timezone.now()
    calendar = current_calendar()
    tz = timezone.get_current_timezone()
    supplements: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for d, start, answered in (
        SupplementRequest.objects.filter(related, during_processing=True)
        .order_by()
        .values_list("dossier_id", "requested_at", "answered_at")
    ):
        supplements[d].append((start, answered))
    first_result = dict(
        DossierResult.objects.filter(related)
        .order_by()
        .values("dossier_id")
        .annotate(first=Min("issued_at"))
        .values_list("dossier_id", "first")
    )
    ratings = dict(Rating.objects.filter(related).order_by().values_list("dossier_id", "level"))
    files: dict[int, list[bool]] = {}
    for d, digitised, reused in _file_flags(related):
        flags = files.setdefault(d, [False, False])
        flags[0] |= digitised
        flags[1] |= reused
    paid = _paid_online(related)
    synced = _synced(related)
    fees = {} if fees is None else fees
    _fee_bearing(fees, {row["version_id"] for row in rows})
    no_files = (False, False)
    for row in rows:
        pk = row["pk"]
        digitised, reused = files.get(pk, no_files)
        yield _fact(
            row,
            calendar=calendar,
            tz=tz,
            now=now,
            supplements=supplements.get(pk, []),
            first_result=first_result.get(pk),
            rating=ratings.get(pk),
            digitised=digitised,
            reused=reused,
            paid_online=pk in paid,
            synced=pk in synced,
            fee_bearing=fees.get(row["version_id"], False),
        )


def _fee_bearing(known: dict[int, bool], versions: set[int]) -> None:
    """Whether each procedure version bears a fee (payments' rule), read once per version."""
    from tinhso.catalogue.models import ProcedureVersion
    from tinhso.payments.indicators import is_fee_bearing

    missing = versions - known.keys() - {None}
    if missing:
        for pk, fees in ProcedureVersion.objects.filter(pk__in=missing).values_list("pk", "fees"):
            known[pk] = is_fee_bearing(fees)


def _file_flags(related: Q) -> Iterator[tuple[int, bool, bool]]:
    """(dossier, digitised, reused) of the files that are either: reused = taken from an
    issued result or, where the data store records it, from the citizen's data store."""
    sources = [f for f in ("from_result", "from_stored") if _has_field(DossierFile, f)]
    flags = Q(digitised=True)
    for source in sources:
        flags |= Q(**{f"{source}__isnull": False})
    rows = (
        DossierFile.objects.filter(flags, related)
        .order_by()
        .values_list("dossier_id", "digitised", *(f"{source}_id" for source in sources))
    )
    for d, digitised, *links in rows:
        yield d, bool(digitised), any(link is not None for link in links)


def _has_field(model: Any, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def _paid_online(related: Q) -> set[int]:
    from tinhso.payments.models import Attempt, Charge

    charges = Charge.objects.filter(related).values("pk")
    return set(
        Attempt.objects.filter(
            charge_id__in=charges, state=Attempt.State.PAID, gateway__in=ONLINE_GATEWAYS
        )
        .order_by()
        .values_list("charge__dossier_id", flat=True)
    )


def _synced(related: Q) -> set[int]:
    from django.apps import apps

    if not apps.is_installed("tinhso.dvcqg"):
        return set()
    from tinhso.dvcqg.models import SyncState

    return set(
        SyncState.objects.filter(related, created_at_portal=True)
        .order_by()
        .values_list("dossier_id", flat=True)
    )


def _fact(
    row: dict[str, Any],
    *,
    calendar: Any,
    tz: Any,
    now: datetime,
    supplements: list[tuple[datetime, datetime | None]],
    first_result: datetime | None,
    rating: str | None,
    digitised: bool,
    reused: bool,
    paid_online: bool,
    synced: bool,
    fee_bearing: bool,
) -> DossierFact:
    state = row["state"]
    received_at = row["received_at"]
    counted = index766.counts_for_progress(state, received_at is not None)
    basis = received_at or row["submitted_at"] or row["created_at"]
    received_on = timezone.localtime(basis, tz).date()
    end_at = row["finished_at"] or row["returned_at"]
    agency, commune = row["agency_id"] or 0, row["agency__commune_id"] or 0
    procedure, channel = row["version__procedure_id"] or 0, row["channel"] or ""
    r: dict[str, int] = {}
    e: dict[str, int] = {}

    def add(into: dict[str, int], name: str, n: int = 1) -> None:
        if n:
            into[name] = into.get(name, 0) + n

    open_since = None
    requests_total = len(supplements)
    if received_at is not None:
        add(r, "received_all")
        add(r, "fee_received", fee_bearing)
        add(r, "fee_paid_online", fee_bearing and paid_online)
        add(r, "paid_online", paid_online)
    add(r, "withdrawn", state == Dossier.State.WITHDRAWN)
    add(r, "rejected", state == Dossier.State.REJECTED)
    if counted:
        add(r, "received")
        add(r, "synced", synced)
        add(r, "disliked", rating == Rating.Level.NOT_SATISFIED)
        add(r, "rated", rating is not None)
        add(r, "digitised", digitised)
        add(r, "reused", reused)
        add(r, "supplement_requested", bool(supplements))
        add(r, "in_progress", end_at is None)
        open_now = [s for s, a in supplements if a is None]
        open_since = min(open_now) if open_now else None
        # A dossier ended before its month's end, every supplement request before its end:
        # the three scopes and its end see the same inputs, so one verdict serves all four
        # (the electronic result still depends on each scope's end).
        settled = (
            end_at is not None
            and end_at < _scope_end("month", received_on, tz)
            and all(start < end_at for start, _ in supplements)
        )
        shared = None
        for prefix, kind in SCOPES:
            judged = _scope_end(kind, received_on, tz)  # future or past: a fixed moment
            if shared is None or not settled:
                shared = _judged(calendar, row, end_at, supplements, first_result, judged)
            on_time, ended, days, with_result, _result = shared
            result = with_result and first_result is not None and first_result < judged
            add(r, f"{prefix}_on_time", on_time)
            add(r, f"{prefix}_ended", ended)
            add(r, f"{prefix}_days", days)
            add(r, f"{prefix}_with_result", with_result)
            add(r, f"{prefix}_result", result)
        if end_at is not None:
            if settled and shared is not None and row["appointment_at"] is not None:
                verdict = _end_verdict_from(calendar, row, end_at, supplements, shared[0])
            else:
                verdict = _end_verdict(calendar, row, end_at, supplements)
            name = {
                Verdict.EARLY: "finished_early",
                Verdict.ON_TIME: "finished_on_time",
                Verdict.LATE: "finished_late",
            }[verdict]
            add(e, name)
            add(e, "refused", state == Dossier.State.REFUSED)
            add(e, "e_result", first_result is not None)
    measures: dict[str, dict[str, int]] = {}
    key = (received_on, agency, commune, procedure, channel)
    if r:
        measures[_key_text(key)] = r
    if e:
        ended_on = timezone.localtime(end_at, tz).date()
        end_key = _key_text((ended_on, agency, commune, procedure, channel))
        bucket = measures.setdefault(end_key, {})
        for name, n in e.items():
            bucket[name] = bucket.get(name, 0) + n
    return DossierFact(
        dossier_id=row["pk"],
        agency_id=agency,
        commune_id=commune,
        procedure_id=procedure,
        channel=channel,
        state=state,
        received_on=received_on,
        ended_on=timezone.localtime(end_at, tz).date() if end_at else None,
        counted=counted,
        received_at=received_at,
        appointment_at=row["appointment_at"],
        end_at=end_at,
        open_since=open_since,
        requests=requests_total,
        measures=measures,
        computed_at=now,
    )


def _judged(
    calendar: Any,
    row: dict[str, Any],
    end_at: datetime | None,
    supplements: list[tuple[datetime, datetime | None]],
    first_result: datetime | None,
    judged: datetime,
) -> tuple[bool, bool, int, bool, bool]:
    """(on time, ended, working days × 1e6, ended with a result, electronic result) as the
    scan of `queries.scan_index` judges them at `judged` (the period's end, or now)."""
    ended = end_at is not None and end_at < judged
    days = 0
    with_result = result = False
    if ended:
        begun = row["clock_start_at"] or row["received_at"]
        days = round(calendar.working_days_between(begun, end_at) * MICRO)
        if row["state"] in WITH_RESULT:
            with_result = True
            result = first_result is not None and first_result < judged
    if row["appointment_at"] is None:
        return False, ended, days, with_result, result
    requests = sum(1 for start, _ in supplements if start < judged)
    open_now = [s for s, answered in supplements if answered is None and s < judged]
    pauses = [(min(open_now), None)] if open_now else []
    verdict = index766.dossier_verdict(
        calendar,
        appointment=row["appointment_at"],
        end=end_at,
        period_end=judged,
        supplement_requests=requests,
        pauses=pauses,
    )
    return verdict is not Verdict.LATE, ended, days, with_result, result


def _end_verdict_from(
    calendar: Any,
    row: dict[str, Any],
    end_at: datetime,
    supplements: list[tuple[datetime, datetime | None]],
    on_time: bool,
) -> Verdict:
    """The end verdict when the shared one is known: late stays late; on time is early or on
    time by the day (`clock.verdict`'s split), computed only then."""
    if not on_time:
        return Verdict.LATE
    return _end_verdict(calendar, row, end_at, supplements)


def _end_verdict(
    calendar: Any,
    row: dict[str, Any],
    end_at: datetime,
    supplements: list[tuple[datetime, datetime | None]],
) -> Verdict:
    """Early, on time or late at the dossier's end (the dashboard's finished figures)."""
    if row["appointment_at"] is None:
        return Verdict.LATE
    requests = sum(1 for start, _ in supplements if start < end_at)
    return index766.dossier_verdict(
        calendar,
        appointment=row["appointment_at"],
        end=end_at,
        period_end=end_at + timedelta(days=36500),
        supplement_requests=requests,
    )


# --- counters --------------------------------------------------------------------------------


def _diff(
    old: dict[str, dict[str, int]], new: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for key in set(old) | set(new):
        a, b = old.get(key, {}), new.get(key, {})
        delta = {m: b.get(m, 0) - a.get(m, 0) for m in set(a) | set(b)}
        delta = {m: n for m, n in delta.items() if n}
        if delta:
            out[key] = delta
    return out


def _apply(delta: dict[str, dict[str, int]], *, presum: bool = True) -> None:
    """Add `delta` to the counters, bucket by bucket in key order (the fixed lock order),
    and (unless `presum` is false: the rebuild sums those tables itself) to the pre-summed
    counters."""
    if not delta:
        return
    table = connection.ops.quote_name(DossierDay._meta.db_table)
    columns = ", ".join(DOSSIER_MEASURES)
    updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in DOSSIER_MEASURES)
    sql = (
        f"INSERT INTO {table} (day, agency_id, commune_id, procedure_id, channel, {columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * (5 + len(DOSSIER_MEASURES)))}) "
        f"ON CONFLICT (day, agency_id, commune_id, procedure_id, channel) DO UPDATE SET {updates}"
    )
    rows: list[list[Any]] = [
        [*_key_of(text), *(delta[text].get(m, 0) for m in DOSSIER_MEASURES)]
        for text in sorted(delta)
    ]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:  # one round trip for many (the rebuild's corrections), still in key order
            cursor.executemany(sql, rows)
    # the pre-summed counters, from the same delta in the same transaction, each table in
    # key order after the day counters (the same lock order for every handler)
    if presum:
        for model, summed in presummed(delta).items():
            _upsert(model, summed)


# --- pre-summed counters (docs/ioc.md, "Pre-summed counters") --------------------------------

PresumKey = tuple[Any, ...]


def _month(day: date) -> date:
    return day.replace(day=1)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def presummed(buckets: dict[str, dict[str, int]]) -> dict[Any, dict[PresumKey, dict[str, int]]]:
    """The day buckets (`{"day|agency|commune|procedure|channel": {measure: n}}`, counters or a
    delta) summed into the coarser tables: `UnitDay` (no procedure), `UnitWeek` (the week
    from its Monday, no procedure), `UnitMonth` (month, no
    procedure) and `ProcedureMonth` (month × agency × procedure, online receptions)."""
    out: dict[Any, dict[PresumKey, dict[str, int]]] = {
        UnitDay: defaultdict(lambda: defaultdict(int)),
        UnitWeek: defaultdict(lambda: defaultdict(int)),
        UnitMonth: defaultdict(lambda: defaultdict(int)),
        ProcedureMonth: defaultdict(lambda: defaultdict(int)),
    }
    for text, measures in buckets.items():
        day, agency, commune, procedure, channel = _key_of(text)
        for model, key in (
            (UnitDay, (day, agency, commune, channel)),
            (UnitWeek, (_monday(day), agency, commune, channel)),
            (UnitMonth, (_month(day), agency, commune, channel)),
        ):
            bucket = out[model][key]
            for m, n in measures.items():
                bucket[m] += n
        online = measures.get("received", 0) if channel in ONLINE_CHANNELS else 0
        if online:
            out[ProcedureMonth][(_month(day), agency, procedure)]["online_received"] += online
    return {
        model: {k: {m: n for m, n in v.items() if n} for k, v in rows.items() if any(v.values())}
        for model, rows in out.items()
    }


def presum_fields(model: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(key columns, measure columns) of a pre-summed table."""
    if model is ProcedureMonth:
        return ("period", "agency_id", "procedure_id"), ("online_received",)
    return ("period", "agency_id", "commune_id", "channel"), DOSSIER_MEASURES


def _upsert(model: Any, rows: dict[PresumKey, dict[str, int]]) -> None:
    if not rows:
        return
    keys, measures = presum_fields(model)
    table = connection.ops.quote_name(model._meta.db_table)
    updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    sql = (
        f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(measures)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * (len(keys) + len(measures)))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )
    params = [[*key, *(rows[key].get(m, 0) for m in measures)] for key in sorted(rows)]
    with connection.cursor() as cursor:
        if len(params) == 1:
            cursor.execute(sql, params[0])
        else:
            cursor.executemany(sql, params)


def stored_presummed() -> dict[Any, dict[PresumKey, dict[str, int]]]:
    """The stored pre-summed counters, in `presummed`'s shape (zeros left out)."""
    out: dict[Any, dict[PresumKey, dict[str, int]]] = {}
    for model in (UnitDay, UnitWeek, UnitMonth, ProcedureMonth):
        keys, measures = presum_fields(model)
        rows: dict[PresumKey, dict[str, int]] = {}
        for values in model.objects.values(*keys, *measures):
            found = {m: values[m] for m in measures if values[m]}
            if found:
                rows[tuple(values[k] for k in keys)] = found
        out[model] = rows
    return out


def recount_presummed(now: datetime | None = None) -> dict[Any, dict[PresumKey, dict[str, int]]]:
    """The pre-summed counters computed afresh from the dossiers (nothing stored)."""
    return presummed({_key_text(k): v for k, v in recount(now=now).items()})


def recount(ids: Iterable[int] | None = None, *, now: datetime | None = None) -> dict[Key, dict]:
    """The counters computed afresh from the dossiers (nothing stored): {bucket: measures}."""
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fact in _all_facts(ids, now=now):
        for text, measures in fact.measures.items():
            bucket = totals[_key_of(text)]
            for m, n in measures.items():
                bucket[m] += n
    return {k: {m: n for m, n in v.items() if n} for k, v in totals.items() if any(v.values())}


def stored() -> dict[Key, dict]:
    """The stored counters, in `recount`'s shape (zero rows and zero measures left out)."""
    out: dict[Key, dict[str, int]] = {}
    for row in DossierDay.objects.values():
        values: dict[str, Any] = dict(row)
        key = (
            values["day"],
            values["agency_id"],
            values["commune_id"],
            values["procedure_id"],
            values["channel"],
        )
        measures = {m: values[m] for m in DOSSIER_MEASURES if values[m]}
        if measures:
            out[key] = measures
    return out


def _all_facts(
    ids: Iterable[int] | None, *, now: datetime | None, since: date | None = None
) -> Iterator[DossierFact]:
    if ids is not None:
        ids = list(ids)
        for i in range(0, len(ids), 2000):
            yield from compute_facts(ids[i : i + 2000], now=now)
        return
    for chunk in fact_chunks(since=since, now=now):
        yield from chunk


def rebuild(
    since: date | None = None, *, now: datetime | None = None, chunk: int | None = None
) -> int:
    """Recount the dossier rollups: all of them, or the buckets from `since` on (the facts
    of dossiers received or ended since then are recomputed; counters of earlier days are
    corrected by difference). Returns how many facts were written. Set-based, in keyset
    chunks: `ioc/rollups_rebuild.py` (docs/ioc.md, "Rebuild")."""
    from tinhso.ioc import rollups_rebuild

    return rollups_rebuild.rebuild(since, now=now, chunk=chunk)


# --- field reports ---------------------------------------------------------------------------


def report_changed(report_id: int) -> None:
    """Queue the field report's fact; call inside the changing transaction."""
    outbox.enqueue(REPORT_TOPIC, {"report": report_id})


@outbox.handler(REPORT_TOPIC)
def _deliver_report(message: OutboxMessage) -> None:
    refresh_report(int(message.payload["report"]))


OPEN_REPORT_STATES = ("received", "verified", "assigned", "in_progress")


def _report_measures(rows: Iterable[dict[str, Any]]) -> dict[int, dict[str, dict[str, int]]]:
    tz = timezone.get_current_timezone()
    out: dict[int, dict[str, dict[str, int]]] = {}
    for row in rows:
        base = (
            row["agency_id"] or 0,
            row["commune_id"] or 0,
            row["category_id"] or 0,
            row["state"],
        )
        day = timezone.localtime(row["received_at"], tz).date()
        measures: dict[str, dict[str, int]] = {}
        key = f"{day.isoformat()}|{base[0]}|{base[1]}|{base[2]}|{base[3]}"
        measures[key] = {"received": 1}
        if row["state"] in OPEN_REPORT_STATES:
            measures[key]["open"] = 1
        if row["resolved_at"] is not None:
            done = timezone.localtime(row["resolved_at"], tz).date()
            rkey = f"{done.isoformat()}|{base[0]}|{base[1]}|{base[2]}|{base[3]}"
            bucket = measures.setdefault(rkey, {})
            bucket["resolved"] = bucket.get("resolved", 0) + 1
            verdict = "resolved_on_time" if row["resolved_at"] <= row["due_at"] else "resolved_late"
            bucket[verdict] = bucket.get(verdict, 0) + 1
        out[row["pk"]] = measures
    return out


REPORT_FIELDS = ("pk", "agency_id", "commune_id", "category_id", "state", "received_at")


def _report_rows(ids: Iterable[int] | None = None) -> Any:
    from tinhso.feedback.models import Report

    query = Report.objects.all() if ids is None else Report.objects.filter(pk__in=list(ids))
    return query.values(*REPORT_FIELDS, "resolved_at", "due_at")


def _apply_reports(delta: dict[str, dict[str, int]]) -> None:
    if not delta:
        return
    table = connection.ops.quote_name(ReportDay._meta.db_table)
    columns = ", ".join(REPORT_MEASURES)
    updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in REPORT_MEASURES)
    sql = (
        f"INSERT INTO {table} (day, agency_id, commune_id, category_id, state, {columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * (5 + len(REPORT_MEASURES)))}) "
        f"ON CONFLICT (day, agency_id, commune_id, category_id, state) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        for text in sorted(delta):
            day, agency, commune, category, state = text.split("|", 4)
            values = [delta[text].get(m, 0) for m in REPORT_MEASURES]
            cursor.execute(
                sql,
                [date.fromisoformat(day), int(agency), int(commune), int(category), state, *values],
            )


def refresh_report(report_id: int) -> None:
    with transaction.atomic():
        ReportFact.objects.get_or_create(
            report_id=report_id, defaults={"computed_at": timezone.now()}
        )
        fact = ReportFact.objects.select_for_update().get(report_id=report_id)
        new = _report_measures(_report_rows([report_id])).get(report_id)
        _apply_reports(_diff(fact.measures or {}, new or {}))
        if new is None:
            fact.delete()
            return
        fact.measures = new
        fact.computed_at = timezone.now()
        fact.save()


def rebuild_reports() -> int:
    with transaction.atomic():
        ReportFact.objects.all().delete()
        ReportDay.objects.all().delete()
        computed = _report_measures(_report_rows())
        now = timezone.now()
        ReportFact.objects.bulk_create(
            ReportFact(report_id=pk, measures=m, computed_at=now) for pk, m in computed.items()
        )
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for m in computed.values():
            for text, measures in m.items():
                for name, n in measures.items():
                    totals[text][name] += n
        _apply_reports({k: dict(v) for k, v in totals.items()})
    return len(computed)
