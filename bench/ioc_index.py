"""Issue 16's benchmark: the operations centre's overview and the Decision 766 index read from
the rollups, p95 for the province, an agency and a commune (goal < 50 ms), against the first
slice's scan of the period's dossiers (`queries.scan_index`) and a full scan of the dossiers
table (`SELECT count(*)`), in the same run.

PostgreSQL only (BENCH_DATABASE_URL, a database with 'bench' in its name; recreated). The
dossiers are written by SQL from one template dossier made through the ORM (a province, 60
agencies of which 40 are communes' committees, 200 procedures, two years of receptions, a
tenth late, a tenth still open), then the rollups are built by `rollups.rebuild()`, the code
the platform runs. BENCH_IOC_DOSSIERS (default 10,000,000; BENCH_QUICK=1: 200,000) sets the
size; at 10M the rebuild is the long part (measured rate printed), the reads are not.

The same table also carries issue 12's indexed dossier paths, measured at each size beside
the IOC's reads (its "time at 10M over time at 1M ≤ 1.5"): an officer's unit queue
(`dossiers.queries.queue`, pages 1-5 as the queue page asks, and `queue_page`'s keyset pages)
and the public look-up's one read (`queries._read_public`, the prepared statement a right
secret costs), against one dossier by primary key.

BENCH_IOC_REUSE=1 measures the reads again on a database an earlier run left (no rebuild,
no rows written; migrations applied): a changed read path measured on the same rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from harness import QUICK, emit, recreate_database

ROOT = Path(__file__).resolve().parent.parent
# one size, or several ("1000000,10000000"): the table is grown from one to the next in the
# same run, the rollups rebuilt and every read measured at each size, and the ratio of the
# largest to the smallest reported (issue 16: time at 10M over time at 1M ≤ 1.5)
SIZES = [
    int(n)
    for n in os.environ.get("BENCH_IOC_DOSSIERS", "200000" if QUICK else "10000000").split(",")
]
DOSSIERS = SIZES[-1]
ROUNDS = int(os.environ.get("BENCH_IOC_ROUNDS", "40" if QUICK else "100"))
GOAL_MS = 50.0
RATIO_GOAL = 1.5
REBUILD_GOAL = 10_000  # dossiers per second
# BENCH_IOC_DEADLINE=06:50 (UTC, today): do not grow to a size whose rebuild and reads,
# projected from the last size's, would end after it (a shared machine's time box)
_deadline = os.environ.get("BENCH_IOC_DEADLINE", "")
DEADLINE = (
    datetime.now(UTC)
    .replace(hour=int(_deadline[:2]), minute=int(_deadline[3:5]), second=0)
    .timestamp()
    if _deadline
    else 0.0
)
AGENCIES, COMMUNES, PROCEDURES = 60, 40, 200
REUSE = os.environ.get("BENCH_IOC_REUSE") == "1"
# BENCH_IOC_SCAN=0 leaves out the first slice's scan (tens of seconds a unit at 10M), for
# re-measuring the reads; the full-table scan baseline stays
SCAN = os.environ.get("BENCH_IOC_SCAN", "1") == "1"
QUEUE_ROUNDS = int(os.environ.get("BENCH_IOC_QUEUE_ROUNDS", "300"))


def populate(size: int) -> tuple[dict[str, str], str]:
    from django.utils import timezone

    from tinhso.catalogue.models import Field, Procedure, ProcedureVersion
    from tinhso.dossiers.models import Dossier
    from tinhso.people.models import User
    from tinhso.places.models import Agency, Commune, Province

    province, _ = Province.objects.get_or_create(
        code=66, defaults={"name": "Đắk Lắk", "division_type": "tỉnh", "codename": "dak_lak"}
    )
    committee = Agency.objects.create(
        code="000.00.99.H66", name="UBND tỉnh (thử)", level="province", province=province
    )
    agencies = [committee]
    for i in range(COMMUNES):
        commune, _ = Commune.objects.get_or_create(
            code=94000 + i,
            defaults={
                "province": province,
                "name": f"Xã {i}",
                "division_type": "xã",
                "codename": f"xa_{i}",
            },
        )
        agencies.append(
            Agency.objects.create(
                code=f"000.{i:02d}.98.H66",
                name=f"UBND xã {i}",
                level="commune",
                province=province,
                commune=commune,
                parent=committee,
            )
        )
    for i in range(AGENCIES - COMMUNES - 1):
        agencies.append(
            Agency.objects.create(
                code=f"000.97.{i + 1:02d}.H66",
                name=f"Sở {i}",
                level="department",
                province=province,
                parent=committee,
            )
        )
    field = Field.objects.create(code="G-B", name="Thử")
    versions = []
    for i in range(PROCEDURES):
        procedure = Procedure.objects.create(
            code=f"B{i}",
            name=f"Thủ tục {i}",
            field=field,
            agency=agencies[i % len(agencies)],
            levels=["department"],
        )
        versions.append(
            ProcedureVersion.objects.create(
                procedure=procedure,
                number=1,
                state="published",
                published_at=datetime(2024, 1, 1, tzinfo=timezone.get_current_timezone()),
                name=procedure.name,
                online_type="full" if i % 2 else "none",
                channels=["online", "counter"],
                fees=[],
            )
        )
    owner = User.objects.create(username="dan")
    now = timezone.now()
    Dossier.objects.create(  # the template the SQL copies
        code="TEMPLATE",
        version=versions[0],
        agency=agencies[1],
        owner=owner,
        applicant_name="Nguyễn Văn An",
        form_data={},
        channel="web",
        state="returned",
        submitted_at=now,
        received_at=now,
        appointment_at=now,
        finished_at=now,
    )
    columns = [f.column for f in Dossier._meta.concrete_fields if f.column != "id"]
    agency_ids = [a.pk for a in agencies[1:]]
    version_ids = [v.pk for v in versions]
    # day offset over two years ending today; a tenth late, a tenth open
    # Counter buckets repeat as a province's do: a commune's committee receives the
    # commune-level procedures (the first half), a department its own few (five each), and
    # receptions crowd on the common ones (procedure k of a list with weight ∝ 1/√k: the
    # square of a uniform draw), not every procedure equally at every agency.
    draw = f"floor({PROCEDURES // 2} * power(((g::bigint * 7919) % 1009) / 1009.0, 2))::int"
    exprs = {
        "code": "'B-' || g",
        "agency_id": f"(ARRAY{agency_ids})[1 + (g % {len(agency_ids)})]",
        "version_id": f"CASE WHEN g % {len(agency_ids)} < {COMMUNES} "
        f"THEN (ARRAY{version_ids})[1 + {draw}] "
        f"ELSE (ARRAY{version_ids})[1 + {PROCEDURES // 2} + "
        f"(((g % {len(agency_ids)}) - {COMMUNES}) * 5 + {draw} % 5) % {PROCEDURES // 2}] END",
        "channel": "(ARRAY['web','counter','api','counter'])[1 + (g % 4)]",
        "state": "CASE WHEN g % 10 = 0 THEN 'received' ELSE 'returned' END",
        "received_at": "r",
        "submitted_at": "r",
        "appointment_at": "r + interval '5 days'",
        "current_agency_id": f"(ARRAY{agency_ids})[1 + (g % {len(agency_ids)})]",
        "due_at": "r + interval '5 days'",
        "finished_at": "CASE WHEN g % 10 = 0 THEN NULL WHEN g % 10 = 1 "
        "THEN r + interval '8 days' ELSE r + interval '2 days' END",
        "returned_at": "CASE WHEN g % 10 = 0 THEN NULL ELSE r + interval '3 days' END",
        "lookup_secret_hash": "''",
    }
    select = ", ".join(exprs.get(c, c) for c in columns).replace("%", "%%")
    # names and expressions are ours; the size is a parameter
    sql = (
        f"INSERT INTO dossiers_dossier ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {select} FROM (SELECT g, now() - ((g %% 730) * interval '1 day') "
        f"- ((g %% 9) * interval '1 hour') AS r FROM generate_series(%s, %s) g) s "
        f"CROSS JOIN (SELECT * FROM dossiers_dossier WHERE code = 'TEMPLATE') t"
    )
    # the template stays, as a draft (no rollup counts a draft), for growing the table later
    Dossier.objects.filter(code="TEMPLATE").update(state="draft")
    grow(sql, 0, size)
    from tinhso.people import actions as people

    officer = people.create_official(
        username="chuyenvien",
        full_name="Lê Văn Cường",
        email="c@example.com",
        password=None,
        actor=None,
    )
    people.grant_role(officer, agencies[-1], "specialist", actor=None)
    units = {
        "province": "66",
        "agency": agencies[-1].code,
        "commune": str(agencies[1].commune.code),
    }
    return units, sql


GROWN: list[float] = []


def grow(sql: str, have: int, size: int) -> float:
    """Add the dossiers numbered have+1 … size (the same expressions as the first ones)."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [have + 1, size])
        cursor.execute("ANALYZE dossiers_dossier")
    took = time.perf_counter() - start
    print(f"dossiers {have + 1:,}-{size:,} written in {took:.1f} s")
    GROWN.append(took)
    return took


def timings(fn, rounds: int, warm: int) -> list[float]:
    """`rounds` calls of `fn` after `warm` unmeasured ones: their times in ms, sorted."""
    for _ in range(warm):
        fn()
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    return sorted(samples)


def quantile(samples: list[float], share: float) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * share))]


def p95(fn, rounds: int, warm: int = 3) -> float:
    return quantile(timings(fn, rounds, warm), 0.95)


def child(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if REUSE:
        from tinhso.dossiers.models import Dossier

        have = Dossier.objects.exclude(code="TEMPLATE").count()
        units = {"province": "66", "agency": "000.97.19.H66", "commune": "94000"}
        print(f"reads again on the {have:,} dossiers an earlier run left")
        measure(have, units, rebuild=False)
        return
    units, sql = populate(SIZES[0])
    have = SIZES[0]
    at: dict[int, dict[str, float]] = {}
    for size in SIZES:
        if size > have:
            if DEADLINE and at:
                # the next size's rebuild and reads, from the last ones, scaled by the size
                prev = at[have]
                projected = (prev["rebuild"] + prev["grown"]) * size / have + prev["reads"]
                left = DEADLINE - time.time()
                if projected > left:
                    print(
                        f"not growing to {size:,}: projected {projected / 60:.0f} min, "
                        f"{left / 60:.0f} min left before BENCH_IOC_DEADLINE"
                    )
                    break
            grown = grow(sql, have, size)
            have = size
        else:
            grown = GROWN[0]
        at[size] = measure(size, units)
        at[size]["grown"] = grown
    first, last = SIZES[0], have
    if last != first:
        for metric, value in at[last].items():
            if metric in ("rebuild", "full table scan", "grown", "reads"):
                continue
            ratio = value / at[first][metric] if at[first][metric] else None
            print(f"{metric}: {last:,} / {first:,} = {ratio:.2f}")
            emit(
                "ioc_index",
                connection.vendor,
                f"{metric}, time at {last:,} over time at {first:,}",
                f"≤ {RATIO_GOAL}",
                f"{ratio:.2f}" if ratio is not None else "n/a",
                f"{at[first][metric]:.1f} ms at {first:,}; {value:.1f} ms at {last:,}",
                round(ratio, 3) if ratio is not None else None,
                ratio is not None and ratio <= RATIO_GOAL,
            )


def measure(size: int, units: dict[str, str], *, rebuild: bool = True) -> dict[str, float]:
    """Rebuild the rollups at this size, then p95 of every read; {metric: ms}."""
    out: dict[str, float] = {"rebuild": 0.0}
    if rebuild:
        out["rebuild"] = build(size)
    reads_from = time.perf_counter()
    out.update(dossier_paths(size))
    out.update(ioc_reads(size, units))
    out["reads"] = time.perf_counter() - reads_from
    return out


def percentiles(fn, rounds: int, warm: int = 5) -> tuple[float, float]:
    samples = timings(fn, rounds, warm)
    return quantile(samples, 0.5), quantile(samples, 0.99)


def dossier_paths(size: int) -> dict[str, float]:
    """Issue 12's indexed dossier paths on this table: the unit queue and the look-up's read."""
    import random

    from django.db import connection

    from tinhso.dossiers import queries
    from tinhso.dossiers.models import Dossier
    from tinhso.people.models import User

    officer = User.objects.get(username="chuyenvien")
    rng = random.Random(12)

    def queue_page() -> object:  # as the queue page asks for it (views_office.queue)
        page = rng.randint(1, 5)
        rows = queries.queue(officer, "don-vi").select_related(*queries.QUEUE_RELATED)
        return list(rows[(page - 1) * 50 : page * 50])

    starts, after = [], ""
    for _ in range(40):
        after = queries.queue_page(officer, "don-vi", after=after).after or ""
        starts.append(after)

    def keyset() -> object:
        return queries.queue_page(officer, "don-vi", after=rng.choice(starts)).rows

    def look_up() -> object:
        code = f"B-{rng.randint(1, size)}"
        read = queries._read_public(code, "203.0.113.9", code, guessable=True)
        assert read is not None, code
        return read

    def by_pk() -> object:
        return Dossier.objects.filter(pk=rng.randint(2, size)).first()

    held = queries.queue(officer, "don-vi").count()
    out: dict[str, float] = {}
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    pk50, _ = percentiles(by_pk, QUEUE_ROUNDS)
    for name, fn, goal50, goal99 in (
        ("unit queue, pages 1-5", queue_page, 15.0, 50.0),
        ("unit queue, keyset pages 2-41", keyset, 15.0, 50.0),
        ("look-up's read (code + failures, one query)", look_up, None, None),
    ):
        p50, p99 = percentiles(fn, QUEUE_ROUNDS)
        out[f"{name}, p50"], out[f"{name}, p99"] = p50, p99
        print(
            f"{name} at {size:,} ({held:,} in the queue): p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
            f"by key p50 {pk50:.2f} ms (load {load})"
        )
        for which, value, goal in (("p50", p50, goal50), ("p99", p99, goal99)):
            emit(
                "ioc_index",
                connection.vendor,
                f"{name}, {which} ({size:,} dossiers)",
                f"≤ {goal:.0f} ms" if goal else "-",
                f"{value:.2f} ms",
                f"one dossier by key p50 {pk50:.2f} ms",
                round(value / pk50, 3) if pk50 else None,
                value <= goal if goal else None,
            )
    return out


def build(size: int) -> float:
    """rollups.rebuild() on the whole table, timed; the seconds it took."""
    from django.db import connection

    from tinhso.ioc import rollups

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    import resource

    start = time.perf_counter()
    cpu = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    written = rollups.rebuild()
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu + after.ru_utime + after.ru_stime
    cpu -= children.ru_utime + children.ru_stime
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ioc_dossierday")
        cursor.execute("ANALYZE ioc_dossierfact")
        cursor.execute("SELECT count(*) FROM ioc_dossierday")
        counters = cursor.fetchone()[0]
    rate = written / took
    print(
        f"rollups rebuilt at {size:,}: {written:,} facts, {counters:,} counter rows, "
        f"{took:.1f} s ({rate:,.0f} dossiers/s; CPU of this process and its workers "
        f"{cpu:.1f} s = {cpu / written * 1e6:.0f} µs a dossier; load average before: {load})"
    )
    emit(
        "ioc_index",
        connection.vendor,
        f"IOC rollups rebuild, dossiers/s ({size:,} dossiers)",
        f"≥ {REBUILD_GOAL:,}/s",
        f"{rate:,.0f}/s",
        f"{took:.0f} s for {written:,} facts, {counters:,} counter rows; Python CPU "
        f"{cpu / written * 1e6:.0f} µs a dossier; load {load}",
        None,
        rate >= REBUILD_GOAL,
    )
    return took


def ioc_reads(size: int, units: dict[str, str]) -> dict[str, float]:
    """p95 of the IOC's reads for the province, an agency and a commune; {metric: ms}."""
    from django.db import connection
    from django.utils import timezone

    from tinhso.core.periods import parse
    from tinhso.ioc import dashboard, queries

    out: dict[str, float] = {}
    # As autovacuum leaves a live table (it is off on this machine's server): the visibility
    # map set, so the count of the open dossiers due ahead is the index-only scan of
    # `ioc_fact_open_due` it is on a platform (a table just written by COPY has none yet:
    # every index entry would visit its row), and statistics on the pre-summed tables the
    # rebuild filled (never analysed otherwise: the weeks were read by the wrong index)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) ioc_dossierfact, ioc_unitday, ioc_unitweek, ioc_unitmonth, "
            "ioc_proceduremonth"
        )
    print(f"rollup tables vacuumed and analysed in {time.perf_counter() - started:.1f} s")
    today = timezone.localdate()
    month = parse(f"{today.year}-{today.month:02d}")
    last_month = parse(f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}")

    def overview(unit):
        # the page's figures (ioc/views.py overview calls the same): glances of today and
        # the month, overdue and due today, the month's 766 index, twelve weeks and months,
        # the rankings of the agencies and (a province) the communes
        dashboard.overview(unit, month, timezone.now())

    def full_scan():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(finished_at) FROM dossiers_dossier")
            cursor.fetchone()

    scan_ms = p95(full_scan, 5)
    out["full table scan"] = scan_ms
    print(f"full scan of the dossiers table at {size:,}: p95 {scan_ms:.1f} ms")
    for kind, code in units.items():
        unit = queries.resolve_unit(code)
        index_ms = p95(lambda unit=unit: queries.unit_index(unit, last_month), ROUNDS)
        current_ms = p95(lambda unit=unit: queries.unit_index(unit, month), ROUNDS)
        over_ms = p95(lambda unit=unit: overview(unit), max(ROUNDS // 4, 5))
        # the first slice's scan walks the month's dossiers in Python: seconds at 1M
        scanned_ms = (
            p95(lambda unit=unit: queries.scan_index(unit, last_month), 2, warm=1)
            if SCAN
            else float("nan")
        )
        print(
            f"{kind} {code}: 766 index last month p95 {index_ms:.1f} ms, this month "
            f"{current_ms:.1f} ms, overview {over_ms:.1f} ms; first slice's scan "
            f"{scanned_ms:.1f} ms (load {', '.join(f'{x:.1f}' for x in os.getloadavg())})"
        )
        for metric, value in (
            (f"IOC 766 index, {kind}, closed month, p95", index_ms),
            (f"IOC 766 index, {kind}, current month, p95", current_ms),
            (f"IOC overview, {kind}, p95", over_ms),
        ):
            out[metric] = value
            emit(
                "ioc_index",
                connection.vendor,
                f"{metric} ({size:,} dossiers)",
                f"< {GOAL_MS:.0f} ms",
                f"{value:.1f} ms",
                f"full table scan {scan_ms:.0f} ms; scan_index {scanned_ms:.0f} ms",
                round(value / scan_ms, 3) if scan_ms else None,
                value < GOAL_MS,
            )
    return out


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        print("bench/ioc_index.py: PostgreSQL only; set BENCH_DATABASE_URL (skipped)")
        return
    if not REUSE:
        recreate_database(url)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, __file__, "--child", url],
            check=True,
            env={**os.environ, "TINHSO_VAR_DIR": tmp, "PYTHONPATH": str(ROOT / "src")},
        )


if __name__ == "__main__":
    main()
