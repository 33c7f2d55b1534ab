"""Open311 benchmark: POST requests.json per second, and GET requests.json with a date range
over BENCH_REPORTS field reports (p50, p99).

The issue's size is 1,000,000 reports on PostgreSQL: set BENCH_REPORTS=1000000 (or
BENCH_FULL=1). The default, 50,000, finishes in a few minutes on 2 cores.

Figures, in the same run, on each database:
- ``POST requests.json``: the whole request through Django's handler and middleware (api_key
  check, rate-limit counter, parsing, the audited `submit_report` with routing, deadline on
  the working calendar and the reporter's notification in the outbox), BENCH_POSTS times;
  baseline: `submit_report` called directly, the same number of times;
- ``GET requests.json?start_date&end_date``: random 7-day and 1-day windows over two years of
  reports (up to 1,000 per answer, newest first), BENCH_ROUNDS times each; baseline: GET
  ``requests/{id}.json`` for random ids.

Reports for the GET part are bulk-inserted (not through the action: a million audited
submissions would take hours and measure the audit chain, which `bench/run.py` already does).
Runs on a throw-away SQLite database (BENCH_SKIP_SQLITE=1 skips it), and on PostgreSQL as well
when BENCH_DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/tinhso_bench_feedback;
the database is recreated).
Requests go through `django.test.Client` in the same process (no network, no web server).
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness import emit, recreate_database

ROOT = Path(__file__).resolve().parent.parent
FULL = os.environ.get("BENCH_FULL") == "1"
REPORTS = int(os.environ.get("BENCH_REPORTS", "1000000" if FULL else "50000"))
POSTS = int(os.environ.get("BENCH_POSTS", "300"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
BATCH = 10_000


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms"


def range_params(
    rng: random.Random, now: datetime, days: float, page_size: int = 0
) -> dict[str, str]:
    """A random `days`-day window of Open311's `requests.json` within the two years of reports;
    with `page_size`, a keyset page from the middle of it (`after` a report there, issue 12)."""
    from tinhso.feedback.queries import published

    start = now - timedelta(days=rng.uniform(days, 720))
    params = {
        "start_date": start.isoformat(timespec="seconds"),
        "end_date": (start + timedelta(days=days)).isoformat(timespec="seconds"),
    }
    if page_size:
        after = (
            published()
            .filter(received_at__lte=start + timedelta(days=days / 2))
            .order_by("-received_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        params["page_size"] = str(page_size)
        if after:
            params["after"] = str(after)
    return params


def timed_ranges(client, rounds: int, make_params) -> tuple[list[float], list[int]]:  # type: ignore[no-untyped-def]
    """GET requests.json `rounds` times, each with `make_params()`: the seconds of each answer
    and the reports in it."""
    samples, sizes = [], []
    for _ in range(rounds):
        params = make_params()
        t = time.perf_counter()
        response = client.get("/open311/v2/requests.json", params)
        samples.append(time.perf_counter() - t)
        assert response.status_code == 200, response.content[:300]
        sizes.append(response.content.count(b'"service_request_id"'))
    return samples, sizes


def timed_by_id(client, rounds: int, rng: random.Random, ids: list[int]) -> list[float]:  # type: ignore[no-untyped-def]
    """GET requests/{id}.json `rounds` times for random `ids`: the baseline's seconds."""
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        response = client.get(f"/open311/v2/requests/{rng.choice(ids)}.json")
        samples.append(time.perf_counter() - t)
        assert response.status_code == 200
    return samples


def setup_places():  # type: ignore[no-untyped-def]
    from tinhso.feedback import actions
    from tinhso.feedback.models import Category
    from tinhso.places.models import Agency, Commune, Province

    province = Province.objects.create(
        code=66, name="Đắk Lắk", division_type="tỉnh", codename="dak_lak"
    )
    committee = Agency.objects.create(
        code="000.00.00.H66",
        name="Ủy ban nhân dân tỉnh Đắk Lắk",
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=province,
    )
    sxd = Agency.objects.create(
        code="000.00.07.H66",
        name="Sở Xây dựng tỉnh Đắk Lắk",
        short_name="SXD",
        level=Agency.Level.DEPARTMENT,
        parent=committee,
        province=province,
    )
    communes = [
        Commune.objects.create(
            code=24100 + i,
            name=f"Xã {i}",
            division_type="xã",
            codename=f"xa_{i}",
            province=province,
        )
        for i in range(10)
    ]
    categories = [
        Category.objects.create(code="giao-thong", name="Hư hỏng đường", deadline_days=5),
        Category.objects.create(code="chieu-sang", name="Đèn chiếu sáng", deadline_days=3),
    ]
    for category in categories:
        actions.set_route(category, None, sxd, actor=None)
    return communes, categories, sxd


def populate(count: int, categories, communes, agency) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection, transaction
    from django.utils import timezone

    from tinhso.feedback.models import Report

    now = timezone.now()
    span = 730 * 86400
    rng = random.Random(7)
    states = ["received", "in_progress", "resolved", "resolved", "resolved", "rejected"]
    made = 0
    while made < count:
        rows = []
        for i in range(made, min(count, made + BATCH)):
            at = now - timedelta(seconds=rng.randrange(span))
            rows.append(
                Report(
                    category=categories[i % 2],
                    description=f"Phản ánh số {i}: ổ gà, đèn hỏng, rác tồn đọng.",
                    lat=12 + rng.random(),
                    long=108 + rng.random(),
                    address=f"Số {i % 300} đường Lê Duẩn",
                    commune=communes[i % len(communes)],
                    agency=agency,
                    state=states[i % len(states)],
                    consents_to_publish=i % 10 != 0,
                    token=f"{i:032x}",
                    received_at=at,
                    updated_at=at,
                    due_at=at + timedelta(days=7),
                    public_note="Đã tiếp nhận phản ánh.",
                )
            )
        with transaction.atomic():
            Report.objects.bulk_create(rows)
        made += len(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE feedback_report")


def child(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tinhso.feedback import actions
    from tinhso.feedback.models import Report
    from tinhso.people import clients

    settings.ALLOWED_HOSTS = ["*"]
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0)
    communes, categories, agency = setup_places()
    # the highest limit a client may have; the bench posts far fewer a minute
    _, key = clients.issue(
        "bench", scopes=["open311.post"], actor=None, requests_per_minute=100_000
    )
    client = Client()
    rng = random.Random(11)

    def post_form() -> dict[str, str]:
        return {
            "api_key": key,
            "service_code": "giao-thong",
            "lat": f"{12 + rng.random():.6f}",
            "long": f"{108 + rng.random():.6f}",
            "description": "Ổ gà lớn giữa đường.",
            "email": "an@example.com",
        }

    print(f"\n{connection.vendor}:")
    response = client.post("/open311/v2/requests.json", post_form())
    assert response.status_code == 201, response.content
    started = time.perf_counter()
    for _ in range(POSTS):
        client.post("/open311/v2/requests.json", post_form())
    post_rate = POSTS / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(POSTS):
        actions.submit_report(
            actions.NewReport(
                category=categories[0],
                description="Ổ gà lớn giữa đường.",
                lat=None,
                long=None,
                address="Lê Duẩn",
                reporter_email="an@example.com",
            )
        )
    direct_rate = POSTS / (time.perf_counter() - started)
    print(f"  POST requests.json                          {post_rate:7.1f} /s")
    print(f"  baseline: submit_report called directly     {direct_rate:7.1f} /s")

    started = time.perf_counter()
    populate(REPORTS, categories, communes, agency)
    total = Report.objects.count()
    print(
        f"  {total:,} reports (bulk-loaded in {time.perf_counter() - started:.0f} s); "
        f"{ROUNDS} rounds per figure"
    )
    from django.utils import timezone

    now = timezone.now()

    def window(days: int) -> list[float]:
        samples, sizes = timed_ranges(client, ROUNDS, lambda: range_params(rng, now, days))
        print(
            f"    ({days}-day windows: median {statistics.median(sizes):.0f} requests per answer)"
        )
        return samples

    from tinhso.feedback.queries import published

    ids = list(published().values_list("pk", flat=True)[:5000])

    def single() -> list[float]:
        return timed_by_id(client, ROUNDS, rng, ids)

    def keyset(page_size: int) -> list[float]:
        """A page deep inside a 7-day range: `after` a report in its middle (issue 12)."""
        return timed_ranges(client, ROUNDS, lambda: range_params(rng, now, 7, page_size))[0]

    window(7)  # warm-up
    week = window(7)
    day = window(1)
    deep = keyset(100)
    one = single()
    print(f"  GET requests.json, 7-day range               {ms(week)}")
    print(f"  GET requests.json, 1-day range               {ms(day)}")
    print(f"  GET requests.json, 7-day, keyset page of 100 {ms(deep)}")
    print(f"  baseline: GET requests/{{id}}.json            {ms(one)}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    base = statistics.median(one) * 1e3
    print(f"\n  issue 12, {connection.vendor}, {total:,} reports, load average {load}")
    print("  | metric | goal | measured | baseline (by id, p50) | ratio | met |")
    print("  |---|---|---|---|---|---|")
    for name, samples, goal in (
        ("requests.json 7-day range p50 ms", week, 20.0),
        ("requests.json 7-day, keyset page of 100, p50 ms", deep, None),
        ("requests.json 1-day range p50 ms", day, None),
    ):
        value = statistics.median(samples) * 1e3
        met = "-" if goal is None else ("yes" if value <= goal else "no")
        shown = "-" if goal is None else f"<= {goal:g}"
        print(f"  | {name} | {shown} | {value:.1f} | {base:.1f} | {value / base:.2f} | {met} |")
        emit(
            "feedback",
            connection.vendor,
            f"Open311 {name}, {total:,} reports",
            shown,
            f"{value:.1f}",
            f"{base:.1f} (GET requests/{{id}}.json p50)",
            value / base,
            None if goal is None else value <= goal,
        )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {REPORTS:,} reports, {POSTS} POSTs, {ROUNDS} rounds"
    )
    with tempfile.TemporaryDirectory() as tmp:
        urls = (
            [] if os.environ.get("BENCH_SKIP_SQLITE") == "1" else [f"sqlite:///{tmp}/bench.sqlite3"]
        )
        if os.environ.get("BENCH_DATABASE_URL"):
            urls.append(os.environ["BENCH_DATABASE_URL"])
        for url in urls:
            if url.startswith("postgres"):
                recreate_database(url)
            subprocess.run(
                [sys.executable, __file__, "--child", url],
                check=True,
                env={**os.environ, "TINHSO_VAR_DIR": tmp, "PYTHONPATH": str(ROOT / "src")},
            )


if __name__ == "__main__":
    main()
