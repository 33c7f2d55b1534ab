"""Foundation benchmarks: the legal clock, the audit chain, the outbox.

Each figure is printed next to a baseline measured in the same run on the same machine:
- add_working_time vs. a naive day-by-day loop that only skips weekends and holidays;
- an audited write (row + chained audit record) vs. the same row written without audit;
- outbox delivery (claim, handler, acknowledge) vs. plain insert + update of the same rows.

Runs on a throw-away SQLite database under a temporary folder, and also on PostgreSQL when
BENCH_DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/tinhso_bench).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness import emit

ROOT = Path(__file__).resolve().parent.parent


def percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {p50 * 1e6:8.1f} µs  p99 {p99 * 1e6:8.1f} µs"


def bench_calendar() -> None:
    from tinhso.core.workdays import VIETNAM, statutory_calendar

    cal = statutory_calendar()
    starts = [datetime(2026, 1, 5, 9, tzinfo=VIETNAM) + timedelta(hours=7 * i) for i in range(2000)]

    def naive(start: datetime, days: int) -> datetime:
        day, left = start, days
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5 and day.date() not in cal.days_off:
                left -= 1
        return day

    for label, fn in (
        ("add_working_time(days=15)", lambda s: cal.add_working_time(s, days=15)),
        ("baseline: naive day loop, 15", lambda s: naive(s, 15)),
    ):
        samples = []
        for start in starts:
            t0 = time.perf_counter()
            fn(start)
            samples.append(time.perf_counter() - t0)
        print(f"  {label:34s} {percentiles(samples)}")


def bench_database(url: str) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from tinhso.core import audit, outbox
    from tinhso.core.models import CalendarChange, OutboxMessage
    from tinhso.people.models import User

    print(f"  database: {connection.vendor}")
    CalendarChange.objects.all().delete()  # a previous run's rows
    OutboxMessage.objects.all().delete()
    actor = User.objects.create(username=f"bench{time.time_ns()}", kind="official")
    n = 500
    base = datetime(2030, 1, 1).date()

    t0 = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            CalendarChange.objects.create(date=base + timedelta(days=i), kind="day_off", reason="b")
    plain = n / (time.perf_counter() - t0)
    CalendarChange.objects.all().delete()

    t0 = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            change = CalendarChange.objects.create(
                date=base + timedelta(days=i), kind="day_off", reason="b"
            )
            audit.record("bench.write", change, actor=actor, changes={"kind": [None, "day_off"]})
    audited = n / (time.perf_counter() - t0)
    print(f"  {'write without audit (baseline)':34s} {plain:8.0f} /s")
    print(f"  {'write + audit record':34s} {audited:8.0f} /s  ({audited / plain:.2f}x)")
    if connection.vendor == "postgresql":
        bench_concurrent_writes(actor, clients=8, n=800)

    t0 = time.perf_counter()
    sealed = 0
    while batch := audit.seal().records:
        sealed += batch
    print(
        f"  {'seal into the signed chain':34s} {sealed / (time.perf_counter() - t0):8.0f} records/s"
    )

    t0 = time.perf_counter()
    verified = audit.verify()
    print(f"  {'audit verify':34s} {verified.checked / (time.perf_counter() - t0):8.0f} records/s")

    @outbox.handler("bench.noop")
    def noop(message: OutboxMessage) -> None:
        return None

    m = 2000
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(
            [OutboxMessage(topic="bench.noop", payload={"i": i}) for i in range(m)]
        )
    t0 = time.perf_counter()
    while outbox.run_once("bench", limit=50):
        pass
    delivered = m / (time.perf_counter() - t0)

    with transaction.atomic():
        rows = OutboxMessage.objects.bulk_create(
            [OutboxMessage(topic="bench.base", payload={"i": i}) for i in range(m)]
        )
    t0 = time.perf_counter()
    for row in rows:
        OutboxMessage.objects.filter(pk=row.pk).update(
            state="delivered", delivered_at=timezone.now()
        )
    baseline = m / (time.perf_counter() - t0)
    print(f"  {'baseline: one UPDATE per row':34s} {baseline:8.0f} /s")
    print(
        f"  {'outbox delivery (claim+ack)':34s} {delivered:8.0f} /s  ({delivered / baseline:.2f}x)"
    )
    # Issue 12's row: batches of 50 claimed in one statement and acknowledged in one.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    met = "yes" if delivered >= 250 else "no"
    print(f"\n  issue 12, {connection.vendor}, load average {load}")
    print("  | metric | goal | measured | baseline | ratio | met |")
    print("  |---|---|---|---|---|---|")
    print(
        f"  | outbox delivery, one worker, msg/s | >= 250 | {delivered:.0f} | "
        f"{baseline:.0f} (one UPDATE per row) | {delivered / baseline:.2f} | {met} |"
    )
    emit(
        "run",
        connection.vendor,
        "outbox delivery, one worker, msg/s",
        ">= 250",
        f"{delivered:.0f}",
        f"{baseline:.0f} (one UPDATE per row)",
        delivered / baseline,
        delivered >= 250,
    )


def bench_concurrent_writes(actor: object, *, clients: int, n: int) -> None:
    """The same two writes from `clients` threads, a connection each (issue 11: writers must
    not queue behind one another for the audit trail)."""
    import threading

    from django.db import connections, transaction

    from tinhso.core import audit
    from tinhso.core.models import CalendarChange

    base = datetime(2040, 1, 1).date()

    def run(with_audit: bool) -> float:
        CalendarChange.objects.filter(date__gte=base).delete()
        start = threading.Barrier(clients + 1)

        def writer(k: int) -> None:
            try:
                start.wait()
                for i in range(k, n, clients):
                    with transaction.atomic():
                        change = CalendarChange.objects.create(
                            date=base + timedelta(days=i), kind="day_off", reason="b"
                        )
                        if with_audit:
                            audit.record("bench.write", change, actor=actor, changes={"i": i})
            finally:
                connections.close_all()

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        return n / (time.perf_counter() - t0)

    plain, audited = run(False), run(True)
    label = f"{clients} writers: without audit"
    print(f"  {label:34s} {plain:8.0f} /s")
    label = f"{clients} writers: write + audit"
    print(f"  {label:34s} {audited:8.0f} /s  ({audited / plain:.2f}x)")


def ensure_postgres_database(url: str) -> None:
    """Create the benchmark database on the server if it is not there yet."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = url[: -len(name)] + "postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def child(url: str) -> None:
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    bench_database(url)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TINHSO_VAR_DIR"] = tmp
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
        sys.path.insert(0, str(ROOT / "src"))
        import django

        django.setup()
        print("legal clock")
        bench_calendar()
        urls = [f"sqlite:///{tmp}/bench.sqlite3"]
        if os.environ.get("BENCH_DATABASE_URL"):
            urls.append(os.environ["BENCH_DATABASE_URL"])
        for url in urls:
            print("audit and outbox")
            subprocess.run(
                [sys.executable, __file__, "--child", url],
                check=True,
                env={**os.environ, "TINHSO_VAR_DIR": tmp},
            )


if __name__ == "__main__":
    main()
