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
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

from harness import QUICK, emit, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DOSSIERS = int(os.environ.get("BENCH_IOC_DOSSIERS", "200000" if QUICK else "10000000"))
ROUNDS = int(os.environ.get("BENCH_IOC_ROUNDS", "40" if QUICK else "100"))
GOAL_MS = 50.0
AGENCIES, COMMUNES, PROCEDURES = 60, 40, 200


def populate() -> dict[str, str]:
    from django.db import connection
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
    exprs = {
        "code": "'B-' || g",
        "agency_id": f"(ARRAY{agency_ids})[1 + (g % {len(agency_ids)})]",
        "version_id": f"(ARRAY{version_ids})[1 + ((g / 7) % {len(version_ids)})]",
        "channel": "(ARRAY['web','counter','api','counter'])[1 + (g % 4)]",
        "state": "CASE WHEN g % 10 = 0 THEN 'received' ELSE 'returned' END",
        "received_at": "r",
        "submitted_at": "r",
        "appointment_at": "r + interval '5 days'",
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
        f"- ((g %% 9) * interval '1 hour') AS r FROM generate_series(1, %s) g) s "
        f"CROSS JOIN (SELECT * FROM dossiers_dossier WHERE code = 'TEMPLATE') t"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [DOSSIERS])
        cursor.execute("DELETE FROM dossiers_dossier WHERE code = 'TEMPLATE'")
        cursor.execute("ANALYZE dossiers_dossier")
    print(f"{DOSSIERS:,} dossiers written in {time.perf_counter() - start:.1f} s")
    return {
        "province": "66",
        "agency": agencies[-1].code,
        "commune": str(agencies[1].commune.code),
    }


def p95(fn, rounds: int) -> float:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return samples[min(len(samples) - 1, int(len(samples) * 0.95))] * 1e3


def child(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tinhso.core.periods import parse
    from tinhso.ioc import dashboard, queries, rollups

    call_command("migrate", verbosity=0)
    units = populate()
    start = time.perf_counter()
    written = rollups.rebuild()
    took = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ioc_dossierday")
        cursor.execute("ANALYZE ioc_dossierfact")
        cursor.execute("SELECT count(*) FROM ioc_dossierday")
        counters = cursor.fetchone()[0]
    print(
        f"rollups rebuilt: {written:,} facts, {counters:,} counter rows, {took:.1f} s "
        f"({written / took:,.0f} dossiers/s)"
    )
    today = timezone.localdate()
    month = parse(f"{today.year}-{today.month:02d}")
    last_month = parse(f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}")

    def overview(unit):
        now = timezone.now()
        dashboard.glance(unit, today, date.fromordinal(today.toordinal() + 1))
        dashboard.glance(unit, month.start, month.end)
        dashboard.overdue_and_due_today(unit, now)
        queries.unit_index(unit, month, now=now)
        dashboard.trend(unit, "week", 12, today)
        dashboard.trend(unit, "month", 12, today)
        dashboard.ranking(list(unit.agencies), month)

    def full_scan():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(finished_at) FROM dossiers_dossier")
            cursor.fetchone()

    scan_ms = p95(full_scan, 5)
    print(f"full scan of the dossiers table: p95 {scan_ms:.1f} ms")
    for kind, code in units.items():
        unit = queries.resolve_unit(code)
        index_ms = p95(lambda unit=unit: queries.unit_index(unit, last_month), ROUNDS)
        current_ms = p95(lambda unit=unit: queries.unit_index(unit, month), ROUNDS)
        over_ms = p95(lambda unit=unit: overview(unit), max(ROUNDS // 4, 5))
        scanned_ms = p95(lambda unit=unit: queries.scan_index(unit, last_month), 3)
        print(
            f"{kind} {code}: 766 index last month p95 {index_ms:.1f} ms, this month "
            f"{current_ms:.1f} ms, overview {over_ms:.1f} ms; first slice's scan "
            f"{scanned_ms:.1f} ms"
        )
        for metric, value in (
            (f"IOC 766 index, {kind}, closed month, p95", index_ms),
            (f"IOC 766 index, {kind}, current month, p95", current_ms),
            (f"IOC overview, {kind}, p95", over_ms),
        ):
            emit(
                "ioc_index",
                connection.vendor,
                f"{metric} ({DOSSIERS:,} dossiers)",
                f"< {GOAL_MS:.0f} ms",
                f"{value:.1f} ms",
                f"full table scan {scan_ms:.0f} ms; scan_index {scanned_ms:.0f} ms",
                round(value / scan_ms, 3) if scan_ms else None,
                value < GOAL_MS,
            )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        print("bench/ioc_index.py: PostgreSQL only; set BENCH_DATABASE_URL (skipped)")
        return
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
