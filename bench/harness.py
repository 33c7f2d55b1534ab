"""What every benchmark shares: a PostgreSQL database of its own, recreated for each run."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from urllib.parse import urlsplit


def recreate_database(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (never one without 'bench' in its
    name, so a mistyped BENCH_DATABASE_URL cannot wipe a real database)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit("BENCH_DATABASE_URL must name a database with 'bench' in its name")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- issue 12's one table: every benchmark appends its rows here; bench/table.py prints them ---
ROWS_FILE = Path(
    os.environ.get(
        "BENCH_ROWS", str(Path(__file__).resolve().parent.parent / "var/bench/rows.jsonl")
    )
)
QUICK = os.environ.get("BENCH_QUICK") == "1"


def emit(
    bench: str,
    database: str,
    metric: str,
    goal: str,
    measured: str,
    baseline: str,
    ratio: float | None,
    met: bool | None,
) -> None:
    """Append one row of the table as a JSON line (with the load average when measured, the
    machine, and whether the run was quick); `met` None means the row has no goal."""
    ROWS_FILE.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "bench": bench,
        "database": database,
        "metric": metric,
        "goal": goal,
        "measured": measured,
        "baseline": baseline,
        "ratio": ratio,
        "met": met,
        "load": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "quick": QUICK,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with ROWS_FILE.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


# --- CPU from /proc, for benchmarks that name the floor of a row by what each request cost ---


def cpu_ticks(pid: int) -> int:
    """User + system CPU of one process, in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def child_pids(pid: int) -> list[int]:
    """The direct children of `pid` (a gunicorn master's workers)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def postgres_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the database of `url` (local server only;
    none for SQLite, whose work is in the application's own processes)."""
    if not url.startswith("postgres"):
        return []
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [parts.path.lstrip("/")]
        ).fetchall()
    return [int(pid) for (pid,) in rows]
