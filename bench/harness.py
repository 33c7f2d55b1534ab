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
