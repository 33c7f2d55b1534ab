"""Rebuilding the operations centre's rollups in bulk: `tinhso ioc rebuild [--from DATE]`
(docs/ioc.md, "Rebuild"). Legal source of what is counted: Decision 766/QĐ-TTg (23/6/2022),
through `ioc/index766.py`; this module only decides how the counting is batched.

Set-based, so that a province can recount ten million dossiers in minutes, not hours:

1. the dossiers are read in keyset chunks (`rollups.fact_chunks`: the next few thousand by
   primary key, with their supplement requests, results, ratings, files, payments and sync
   states by the same key range: eight queries a chunk, whatever its size);
2. each fact is computed by `rollups.facts_of_rows`, the very function the live outbox
   handler uses, so the classification rules exist once;
3. the facts are written in bulk (PostgreSQL: `COPY`; elsewhere `bulk_create`);
4. the day counters are summed from the stored facts in the database, by one
   `INSERT … SELECT … GROUP BY` over the facts' buckets (PostgreSQL); elsewhere in Python.

`--from DATE` recomputes only the facts of dossiers received or ended since that day,
corrects what they add to earlier days by difference (one batched upsert in key order), and
recounts the counters from that day on from the facts that reach them.

While the platform writes: the rebuild is one transaction that first locks the fact and
counter tables `EXCLUSIVE` (PostgreSQL). Reads (the IOC pages, the API) go on and see the old
rollups until the rebuild commits, then the new ones, never a half-rebuilt state. Citizens'
and officers' actions go on too: they only enqueue `ioc.dossier` in the outbox. The outbox
handler that applies those messages waits on the lock until the rebuild commits, then
recomputes the dossier's fact from its state at that moment and applies the difference: so a
change made while the rebuild ran, before or after the rebuild read that dossier, is right
after the handler runs. Both take the fact table before the counters, so they cannot
deadlock. The cost: `ioc.dossier` deliveries (and whatever one outbox worker has queued
behind them) wait for the length of the rebuild.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.dossiers.models import Dossier
from tinhso.ioc import rollups, rollups_worker
from tinhso.ioc.models import (
    DOSSIER_MEASURES,
    DossierDay,
    DossierFact,
    ProcedureMonth,
    UnitDay,
    UnitMonth,
    UnitWeek,
)
from tinhso.ioc.rollups import ONLINE_CHANNELS, presum_fields

log = logging.getLogger("tinhso.ioc")

# dossiers per chunk: the eight queries' cost is spread over this many facts, and one
# chunk's rows, facts and COPY text (a few MB) are all the rebuild holds in memory
CHUNK = int(os.environ.get("TINHSO_IOC_REBUILD_CHUNK", "5000"))
# processes computing facts for a full rebuild on PostgreSQL (the facts are pure Python and
# CPU-bound; the database work is the parent's); 1 = in this process
WORKERS_VARIABLE = "TINHSO_IOC_REBUILD_WORKERS"


def _workers() -> int:
    value = os.environ.get(WORKERS_VARIABLE, "")
    return int(value) if value else min(os.cpu_count() or 1, 8)


def rebuild(
    since: date | None = None, *, now: datetime | None = None, chunk: int | None = None
) -> int:
    """Recount the dossier rollups, all of them or from `since` on; the facts written."""
    chunk = chunk or CHUNK
    now = now or timezone.now()
    fees: dict[int, bool] = {}  # procedure version → fee-bearing, read once per rebuild
    written = 0
    started = time.perf_counter()
    # workers read in their own connections: they cannot see what a caller's open
    # transaction (a test's, a script's) has not committed, so then the facts are computed here
    workers = 1 if connection.in_atomic_block else _workers()
    with transaction.atomic():
        _lock()
        if since is None:
            _execute(f"DELETE FROM {_table(DossierFact)}")  # noqa: S608 (our table name)
            _execute(f"DELETE FROM {_table(DossierDay)}")  # noqa: S608
            for model in PRESUMMED:
                _execute(f"DELETE FROM {_table(model)}")  # noqa: S608
            if workers > 1 and connection.vendor == "postgresql":
                written = _compute_in_workers(workers, now=now, chunk=chunk)
            else:
                for facts in rollups.fact_chunks(now=now, chunk=chunk, fees=fees):
                    _write_facts(facts)
                    written += len(facts)
            counted = time.perf_counter()
            _count_days(None)
            _count_presummed(None)
            log.info(
                "rebuild: %d facts in %.1f s, counters summed in %.1f s",
                written,
                counted - started,
                time.perf_counter() - counted,
            )
            return written
        cut = since.isoformat()
        before: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for facts in rollups.fact_chunks(since=since, now=now, chunk=chunk, fees=fees):
            ids = [fact.dossier_id for fact in facts]
            old = dict(
                DossierFact.objects.filter(dossier_id__in=ids).values_list("dossier_id", "measures")
            )
            for fact in facts:
                delta = rollups._diff(old.get(fact.dossier_id) or {}, fact.measures)
                for text, measures in delta.items():
                    if text < cut:  # what it adds to a day before `since`, by difference
                        for m, n in measures.items():
                            before[text][m] += n
            DossierFact.objects.filter(dossier_id__in=ids).delete()
            _write_facts(facts)
            written += len(facts)
        DossierDay.objects.filter(day__gte=since).delete()
        _count_days(since)
        rollups._apply(
            {
                text: {m: n for m, n in measures.items() if n}
                for text, measures in before.items()
                if any(measures.values())
            }
        )
        # the corrections above reached the pre-summed tables too (by difference, for the
        # periods before `since`'s); the periods from `since`'s on are summed again
        _count_presummed(since)
    return written


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _execute(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


PRESUMMED = (UnitDay, UnitWeek, UnitMonth, ProcedureMonth)


def _lock() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: one writer at a time already
    # EXCLUSIVE lets plain reads through and stops every writer, including a handler's
    # `SELECT … FOR UPDATE` of its fact: handlers wait for the rebuild instead of racing it
    tables = ", ".join(_table(m) for m in (DossierFact, DossierDay, *PRESUMMED))
    _execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
    # the counters' GROUP BY over millions of buckets: hash it in memory, not on disk
    _execute("SET LOCAL work_mem = '256MB'")


# --- facts -----------------------------------------------------------------------------------


def _ranges(chunk: int) -> Iterator[tuple[int, int]]:
    """Key ranges (after, up to] of `chunk` non-draft dossiers each, by keyset: each
    boundary is one index-only step of `chunk` keys past the last."""
    table = _table(Dossier)
    sql = (
        f"SELECT id FROM {table} WHERE id > %s AND state <> %s "  # noqa: S608
        "ORDER BY id OFFSET %s LIMIT 1"
    )
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, Dossier.State.DRAFT, chunk - 1])
            found = cursor.fetchone()
            if found is None:
                cursor.execute(f"SELECT max(id) FROM {table} WHERE id > %s", [last])  # noqa: S608
                top = cursor.fetchone()[0]
                if top is not None:
                    yield last, top
                return
        yield last, found[0]
        last = found[0]


def _compute_in_workers(workers: int, *, now: datetime, chunk: int) -> int:
    """Facts computed by `workers` processes, chunk by chunk, written here by COPY in the
    rebuild's transaction (the workers only read the dossiers, in their own connections)."""
    import multiprocessing

    written = 0
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared socket
    name = connection.settings_dict["NAME"]
    with context.Pool(workers, initializer=rollups_worker.init, initargs=(name,)) as pool:
        jobs = ((after, upto, now) for after, upto in _ranges(chunk))
        for count, text in pool.imap(rollups_worker.compute_range, jobs):
            _copy_facts(text)
            written += count
    return written


FACT_COLUMNS = list(DossierFact._meta.concrete_fields)


def _write_facts(facts: list[DossierFact]) -> None:
    if not facts:
        return
    if connection.vendor != "postgresql":
        DossierFact.objects.bulk_create(facts, batch_size=500)
        return
    _copy_facts(copy_text(facts))


def copy_text(facts: list[DossierFact]) -> str:
    attnames = [f.attname for f in FACT_COLUMNS]
    return "".join(
        "\t".join(_copy_value(getattr(fact, a)) for a in attnames) + "\n" for fact in facts
    )


def _copy_facts(text: str) -> None:
    if not text:
        return
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in FACT_COLUMNS)
    sql = f"COPY {_table(DossierFact)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(text)


def _copy_value(value: Any) -> str:
    """One field in COPY's text format (NULL is \\N; backslash, tab and newlines escaped)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):  # dates and aware datetimes: ISO 8601 with the offset
        return value.isoformat()
    if isinstance(value, dict):
        value = json.dumps(value, separators=(",", ":"))
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


# --- counters --------------------------------------------------------------------------------


def _count_days(since: date | None) -> None:
    """The counters (of every day, or from `since` on) summed from the stored facts."""
    if connection.vendor == "postgresql":
        _count_days_sql(since)
    else:
        _count_days_python(since)


def _count_days_sql(since: date | None) -> None:
    facts, days = _table(DossierFact), _table(DossierDay)
    columns = ", ".join(DOSSIER_MEASURES)
    sums = ", ".join(f"sum(r.{m})::bigint AS {m}" for m in DOSSIER_MEASURES)
    totals = ", ".join(f"coalesce({m}, 0)" for m in DOSSIER_MEASURES)
    where, params = "", []
    if since is not None:
        where = (
            "WHERE (f.received_on >= %s OR f.ended_on >= %s) "
            "AND split_part(b.key, '|', 1)::date >= %s"
        )
        params = [since, since, since]
    # a fact's buckets are `{"day|agency|commune|procedure|channel": {measure: n}}`;
    # jsonb_populate_record reads each bucket's measures into the counter row's columns
    sql = (
        f"INSERT INTO {days} (day, agency_id, commune_id, procedure_id, channel, {columns}) "  # noqa: S608
        f"SELECT split_part(key, '|', 1)::date, split_part(key, '|', 2)::bigint, "
        f"split_part(key, '|', 3)::bigint, split_part(key, '|', 4)::bigint, "
        f"substring(key from '^(?:[^|]*[|]){{4}}(.*)$'), {totals} FROM ("
        f"SELECT b.key, {sums} FROM {facts} f "
        f"CROSS JOIN LATERAL jsonb_each(f.measures) AS b(key, value) "
        f"CROSS JOIN LATERAL jsonb_populate_record(NULL::{days}, b.value) AS r "
        f"{where} GROUP BY b.key) t"
    )
    _execute(sql, params)


def _count_days_python(since: date | None) -> None:
    cut = since.isoformat() if since else ""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reaching = DossierFact.objects.all()
    if since is not None:
        reaching = reaching.filter(Q(received_on__gte=since) | Q(ended_on__gte=since))
    for measures in reaching.values_list("measures", flat=True).iterator(chunk_size=5000):
        for text, bucket in measures.items():
            if text >= cut:
                for m, n in bucket.items():
                    totals[text][m] += n
    rollups._apply({k: dict(v) for k, v in totals.items()}, presum=False)


def _count_presummed(since: date | None) -> None:
    """The pre-summed tables (all, or their periods from `since`'s on) summed again from the
    day counters: a few hundred rows a month, whatever the number of dossiers."""
    starts = {
        UnitDay: since,
        UnitWeek: since and since - timedelta(days=since.weekday()),
        UnitMonth: since and since.replace(day=1),
        ProcedureMonth: since and since.replace(day=1),
    }
    for model in PRESUMMED:
        start = starts[model]
        if start is not None:
            model.objects.filter(period__gte=start).delete()
    if connection.vendor != "postgresql":
        cut = min((s for s in starts.values() if s is not None), default=None)
        days = DossierDay.objects.all() if cut is None else DossierDay.objects.filter(day__gte=cut)
        buckets: dict[str, dict[str, int]] = {}
        row: dict[str, Any]
        for row in days.values().iterator(chunk_size=5000):  # type: ignore[assignment]
            key = (row["day"], row["agency_id"], row["commune_id"], row["procedure_id"])
            text = rollups._key_text((*key, row["channel"]))
            buckets[text] = {m: row[m] for m in DOSSIER_MEASURES if row[m]}
        for model, rows in rollups.presummed(buckets).items():
            start = starts[model]
            rollups._upsert(
                model, {k: v for k, v in rows.items() if start is None or k[0] >= start}
            )
        return
    day_table = _table(DossierDay)
    online = ", ".join(f"'{c}'" for c in ONLINE_CHANNELS)
    for model, period in (
        (UnitDay, "day"),
        (UnitWeek, "date_trunc('week', day)::date"),  # ISO weeks: from Monday
        (UnitMonth, "date_trunc('month', day)::date"),
        (ProcedureMonth, "date_trunc('month', day)::date"),
    ):
        keys, measures = presum_fields(model)
        start = starts[model]
        where, params = ("WHERE day >= %s", [start]) if start is not None else ("", [])
        if model is ProcedureMonth:
            select = f"{period}, agency_id, procedure_id, sum(received)::bigint"
            where = f"{where} {'AND' if where else 'WHERE'} channel IN ({online}) AND received > 0"
            group = f"{period}, agency_id, procedure_id"
        else:
            sums = ", ".join(f"sum({m})::bigint" for m in measures)
            select = f"{period}, agency_id, commune_id, channel, {sums}"
            group = f"{period}, agency_id, commune_id, channel"
        _execute(
            f"INSERT INTO {_table(model)} ({', '.join(keys)}, {', '.join(measures)}) "  # noqa: S608
            f"SELECT {select} FROM {day_table} {where} GROUP BY {group}",
            params,
        )
