"""What every benchmark shares: a PostgreSQL database of its own, recreated for each run."""

from __future__ import annotations

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
