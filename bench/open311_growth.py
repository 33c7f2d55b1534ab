"""Open311 `GET requests.json` as the reports grow from 1,000,000 to 10,000,000 (issue 12).

The issue asks how each indexed path grows from 1 M to 10 M rows (time at 10 M over time at
1 M: goal ≤ 1.5). `bench/feedback.py` measures the answer at one size with the ORM's bulk
insert, which would take most of an hour for 10 M; here each size's reports are written by
PostgreSQL itself (`INSERT … SELECT … FROM generate_series`), copied from one report made
through the ORM so every column keeps the model's defaults, spread over two years, ten
communes, two categories and the bench's mix of states (one in ten not consenting to
publication), as `bench/feedback.py` spreads them.

Then the reads, in one process per size and pass, the sizes alternated (1 M, 10 M, 1 M, 10 M)
so both see the same machine: random 7-day and 1-day windows (the goal row is the 7-day p50,
≤ 20 ms), a keyset page of 100 in the middle of a week, and the baseline, one report by id.
Each answer is checked (200, and a week's answer is the 1,000 newest of the window: the same
cap at both sizes).

PostgreSQL only: `BENCH_DATABASE_URL` names the server (its database name is replaced by one
per size, `tinhso_bench_open311_<size>`). `BENCH_GROWTH_SIZES` (default "1000000,10000000"),
`BENCH_GROWTH_ROUNDS` (default 300 per figure and pass), `BENCH_GROWTH_PASSES` (default 2),
`BENCH_GROWTH_REUSE=1` reads databases an earlier run built (rebuilt if the count differs);
`BENCH_GROWTH_PASSES=0` only builds them.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from harness import recreate_database

ROOT = Path(__file__).resolve().parent.parent
SIZES = [int(s) for s in os.environ.get("BENCH_GROWTH_SIZES", "1000000,10000000").split(",")]
ROUNDS = int(os.environ.get("BENCH_GROWTH_ROUNDS", "300"))
PASSES = int(os.environ.get("BENCH_GROWTH_PASSES", "2"))
REUSE = os.environ.get("BENCH_GROWTH_REUSE") == "1"
SPAN_DAYS = 730
# the bench's states, in its proportions (bench/feedback.py)
STATES = ["received", "in_progress", "resolved", "resolved", "resolved", "rejected"]


def database_url(server: str, size: int) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/tinhso_bench_open311_{size}"))


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()


def count(url: str) -> int:
    """The reports already in `url`'s database, or -1 when it cannot be read."""
    probe = subprocess.run(
        ["psql", "-Atc", "SELECT count(*) FROM feedback_report", url],
        capture_output=True,
        text=True,
    )
    return int(probe.stdout) if probe.returncode == 0 and probe.stdout.strip().isdigit() else -1


def build(url: str, size: int) -> None:
    setup(url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from feedback import setup_places  # bench/feedback.py
    from tinhso.feedback.models import Report

    call_command("migrate", verbosity=0)
    communes, categories, agency = setup_places()
    now = timezone.now()
    template = Report.objects.create(
        category=categories[0],
        description="mẫu",
        commune=communes[0],
        agency=agency,
        state="received",
        token="template",  # noqa: S106 (the report's public code, no password)
        received_at=now,
        updated_at=now,
        due_at=now,
        public_note="Đã tiếp nhận phản ánh.",
    )
    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    states = "ARRAY[" + ",".join(f"'{s}'" for s in STATES) + "]"
    commune_ids = "ARRAY[" + ",".join(str(c.pk) for c in communes) + "]::bigint[]"
    category_ids = "ARRAY[" + ",".join(str(c.pk) for c in categories) + "]::bigint[]"
    # each generated column as an expression of g; every other column as the template has it
    received = f"%(now)s - make_interval(secs => abs(hashint8(g::bigint)) %% {SPAN_DAYS * 86400})"
    generated = {
        "category_id": f"({category_ids})[1 + g %% 2]",
        "description": "'Phản ánh số ' || g || ': ổ gà, đèn hỏng, rác tồn đọng.'",
        "lat": "12 + (abs(hashint8(g::bigint + 1)) %% 1000000) / 1000000.0",
        "long": "108 + (abs(hashint8(g::bigint + 2)) %% 1000000) / 1000000.0",
        "address": "'Số ' || (g %% 300) || ' đường Lê Duẩn'",
        "commune_id": f"({commune_ids})[1 + g %% {len(communes)}]",
        "state": f"({states})[1 + g %% {len(STATES)}]",
        "consents_to_publish": "g %% 10 <> 0",
        "token": "lpad(to_hex(g), 32, '0')",
        "received_at": received,
        "updated_at": received,
        "due_at": f"{received} + interval '7 days'",
    }
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = ", ".join(
        generated.get(f.column, "t." + connection.ops.quote_name(f.column)) for f in fields
    )
    started = time.perf_counter()
    batch = 1_000_000
    with connection.cursor() as cursor:
        for low in range(0, size, batch):
            cursor.execute(
                # the SQL is made of the model's own column names and this file's expressions
                f"INSERT INTO feedback_report ({columns}) SELECT {values} "  # noqa: S608
                "FROM feedback_report t, generate_series(%(low)s, %(high)s) g "
                "WHERE t.id = %(template)s",
                {
                    "now": now,
                    "low": low + 1,
                    "high": min(size, low + batch),
                    "template": template.pk,
                },
            )
            print(f"  {min(size, low + batch):,} written, {time.perf_counter() - started:.0f} s")
        cursor.execute("DELETE FROM feedback_report WHERE id = %s", [template.pk])
        cursor.execute("VACUUM ANALYZE feedback_report")
    print(f"  {size:,} reports in {time.perf_counter() - started:.0f} s (with the indexes)")


def reads(url: str, seed: int) -> None:
    setup(url)
    import logging

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from feedback import range_params, timed_by_id, timed_ranges  # bench/feedback.py
    from tinhso.feedback.queries import published

    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("django.request").setLevel(logging.ERROR)
    client = Client()
    rng = random.Random(seed)
    newest = published().order_by("-received_at").values_list("received_at", flat=True).first()
    now = newest or timezone.now()

    def figure(days: int, page_size: int = 0) -> list[float]:
        return timed_ranges(client, ROUNDS, lambda: range_params(rng, now, days, page_size))[0]

    ids = [row[0] for row in published().order_by("?").values_list("pk")[:2000]]

    def single() -> list[float]:
        return timed_by_id(client, ROUNDS, rng, ids)

    figure(7)  # warm-up: plans, prepared statements, the buffer cache
    week_sizes = client.get(
        "/open311/v2/requests.json",
        {
            "start_date": (now - timedelta(days=300)).isoformat(timespec="seconds"),
            "end_date": (now - timedelta(days=293)).isoformat(timespec="seconds"),
        },
    ).content.count(b'"service_request_id"')
    figures = {
        "week": figure(7),
        "day": figure(1),
        "keyset": figure(7, page_size=100),
        "by id": single(),
    }
    total = published().count()
    print(
        json.dumps(
            {
                "published": total,
                "week answer": week_sizes,
                "load": os.getloadavg()[0],
                "vendor": connection.vendor,
                **{k: sorted(v) for k, v in figures.items()},
            }
        )
    )


def pct(samples: list[float], q: float) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * q))] * 1e3


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "--build":
        build(sys.argv[2], int(sys.argv[3]))
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "--reads":
        reads(sys.argv[2], int(sys.argv[3]))
        return
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        print("open311_growth: PostgreSQL only; set BENCH_DATABASE_URL")
        return
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'bench'}"}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; sizes {SIZES}, {ROUNDS} rounds, {PASSES} passes"
    )
    for size in SIZES:
        url = database_url(server, size)
        if REUSE and count(url) == size:
            print(f"{size:,}: reusing {url}")
            continue
        recreate_database(url)
        print(f"{size:,}: building")
        subprocess.run([sys.executable, __file__, "--build", url, str(size)], check=True, env=env)
    if PASSES == 0:  # build only: the reads later, on a quiet machine, with BENCH_GROWTH_REUSE=1
        return
    results: dict[int, list[dict]] = {size: [] for size in SIZES}
    for p in range(PASSES):
        for size in SIZES:
            out = subprocess.run(
                [sys.executable, __file__, "--reads", database_url(server, size), str(p)],
                check=True,
                env=env,
                capture_output=True,
                text=True,
            ).stdout
            results[size].append(json.loads(out.strip().splitlines()[-1]))
            got = results[size][-1]
            print(
                f"  pass {p + 1}, {size:,}: week p50 {pct(got['week'], 0.5):.1f} ms, "
                f"load {got['load']:.1f}"
            )
    small, large = SIZES[0], SIZES[-1]
    print(f"\nOpen311 requests.json, PostgreSQL, {small:,} and {large:,} reports")
    print("| figure | goal | " + " | ".join(f"{s:,}" for s in SIZES) + " | ratio of means |")
    print("|---|---|" + "---|" * len(SIZES) + "---|")
    for key, name, goal in (
        ("week", "7-day range, p50", "≤ 20 ms"),
        ("week", "7-day range, p99", ""),
        ("day", "1-day range, p50", ""),
        ("keyset", "7-day keyset page of 100, p50", ""),
        ("by id", "baseline: one report by id, p50", ""),
    ):
        q = 0.99 if "p99" in name else 0.5
        cells, means = [], []
        for size in SIZES:
            values = [pct(r[key], q) for r in results[size]]
            means.append(statistics.fmean(values))
            cells.append(", ".join(f"{v:.1f}" for v in values) + " ms")
        print(f"| {name} | {goal} | " + " | ".join(cells) + f" | {means[-1] / means[0]:.2f} |")
    for size in SIZES:
        r = results[size][0]
        print(f"{size:,}: {r['published']:,} published; a week's answer {r['week answer']} reports")
    print(
        "load average (1 min) per pass: "
        + ", ".join(f"{r['load']:.1f}" for size in SIZES for r in results[size])
    )


if __name__ == "__main__":
    main()
