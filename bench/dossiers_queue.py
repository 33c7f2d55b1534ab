"""Back-office benchmarks: an officer's work queue over many dossiers, and receptions per second.

1. Queue: `tinhso.dossiers.queries.queue(officer, "don-vi")` (the officer's agencies + state
   "received", ordered by due time, a page of 50 with its step, agency and assignee loaded),
   and the overdue queue, on random pages 1-5 as the queue page asks for them (offset); the
   keyset pages of `queries.queue_page` on random pages 2-41; the same for an official of two
   agencies. BENCH_QUEUE_ROUNDS times each (default 300): p50 and p99. Baseline in the same
   run: loading one dossier by primary key. The dossiers are spread over 30 agencies and all
   back-office states, inserted with COPY; EXPLAIN of the queue query is printed to show the
   composite index `dossier_queue (current_agency, state, due_at, id)`.
2. Receptions: counter intake (`actions.intake`: citizen account, dossier code under a row
   lock, one 40 KB PDF component, reception, route step, audit, outbox) followed by the Mẫu 01
   receipt PDF (WeasyPrint), one after another, BENCH_RECEPTIONS times (default 30): the first
   print carries the secret just issued, so it is laid out; then the reprint (no secret: made
   once and stored, `receipt.pdf(keep=True)`) and the same reprint laid out again with the
   store emptied, interleaved with WeasyPrint's floor in the same run: a one-paragraph page in
   the same fonts with the same (per-thread) font configuration. Before the receptions the
   process is warmed as a gunicorn worker is (`tinhso.gunicorn_conf.warm_worker`; off with
   BENCH_RECEIPT_WARM=0).

The last lines are one table: metric | goal | measured | baseline | ratio | met.

PostgreSQL only (the issue's figure is for PostgreSQL): BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tinhso_bench_dossiers_queue; the database is recreated.
Size: 100,000 dossiers by default (BENCH_DOSSIERS=n for another); `--full` (or BENCH_FULL=1)
loads 1,000,000.
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
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import emit

ROOT = Path(__file__).resolve().parent.parent
FULL = "--full" in sys.argv or os.environ.get("BENCH_FULL") == "1"
DOSSIERS = 1_000_000 if FULL else int(os.environ.get("BENCH_DOSSIERS", "100000"))
ROUNDS = int(os.environ.get("BENCH_QUEUE_ROUNDS", "300"))
RECEPTIONS = int(os.environ.get("BENCH_RECEPTIONS", "200" if FULL else "30"))
URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tinhso_bench_dossiers_queue"
)
AGENCIES = 30
STATES = [
    ("received", 60),
    ("returned", 15),
    ("result_ready", 8),
    ("supplement_requested", 5),
    ("submitted", 5),
    ("approved", 4),
    ("rejected", 3),
]


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(ordered)})"


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def recreate(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


def pdf_bytes(size: int = 40_000) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    tail = b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    filler = b"%" + b"x" * 78 + b"\n"
    return head + filler * ((size - len(head) - len(tail)) // len(filler)) + tail


def world() -> dict[str, Any]:
    from decimal import Decimal

    from django.utils import timezone

    from tinhso.catalogue.models import ComponentRequirement, Field, Procedure, ProcedureVersion
    from tinhso.dossiers.models import ProcessingRoute, RouteStep
    from tinhso.people import actions as people
    from tinhso.places.models import Agency, Province

    province = Province.objects.create(
        code=66, name="Đắk Lắk", division_type="tỉnh", codename="dak_lak"
    )
    committee = Agency.objects.create(
        code="000.00.00.H66",
        name="UBND tỉnh",
        short_name="UBND",
        level="province",
        province=province,
    )
    centre = Agency.objects.create(
        code="000.00.01.H66",
        name="Trung tâm Phục vụ hành chính công",
        short_name="TTPVHCC",
        level="service_centre",
        parent=committee,
        province=province,
    )
    agencies = [
        Agency.objects.create(
            code=f"000.00.{n + 2:02d}.H66",
            name=f"Sở số {n}",
            short_name=f"S{n}",
            level="department",
            parent=committee,
            province=province,
        )
        for n in range(AGENCIES)
    ]
    field = Field.objects.create(code="BENCH", name="Bench")
    procedure = Procedure.objects.create(
        code="9.999999",
        name="Thủ tục đo hiệu năng",
        field=field,
        agency=agencies[0],
        levels=["province"],
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        state="published",
        published_at=timezone.now(),
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        processing_days=Decimal(10),
        online_type="full",
        channels=["online", "counter", "post"],
        fees=[],
        eform_schema={"type": "object", "properties": {}},
        eform_layout={},
    )
    procedure.current_version = version
    procedure.save()
    component = ComponentRequirement.objects.create(
        version=version, position=1, code="TK", name="Tờ khai", originals=1, required=True
    )
    route = ProcessingRoute.objects.create(procedure=procedure, number=1)
    RouteStep.objects.create(
        route=route, position=1, name="Thẩm định", role="specialist", share_percent=Decimal(70)
    )
    RouteStep.objects.create(
        route=route, position=2, name="Phê duyệt", role="leader", share_percent=Decimal(30)
    )
    desk = people.create_official(
        username="tiepnhan",
        full_name="Trần Thị Bình",
        email="t@example.com",
        password=None,
        actor=None,
    )
    people.grant_role(desk, centre, "receiving_officer", actor=None)
    officer = people.create_official(
        username="chuyenvien",
        full_name="Lê Văn Cường",
        email="c@example.com",
        password=None,
        actor=None,
    )
    people.grant_role(officer, agencies[0], "specialist", actor=None)
    owner = people.create_official(
        username="owner", full_name="Chủ hồ sơ", email="o@example.com", password=None, actor=None
    )
    return {
        "agencies": agencies,
        "version": version,
        "component": component,
        "desk": desk,
        "officer": officer,
        "owner": owner,
    }


def load(count: int, data: dict[str, Any]) -> float:
    """COPY `count` dossiers in; returns the seconds it took."""
    from django.db import connection
    from django.utils import timezone

    from tinhso.dossiers.codes import secret_digest

    agencies = data["agencies"]
    version, owner = data["version"], data["owner"]
    rng = random.Random(66)
    weights = [w for _, w in STATES]
    names = [s for s, _ in STATES]
    now = timezone.now()
    columns = (
        "code, lookup_secret_hash, version_id, agency_id, owner_id, applicant_name, "
        "applicant_phone, applicant_email, applicant_address, form_data, form_complete, delivery, "
        "delivery_address, channel, state, fee_total, fee_status, submitted_at, appointment_at, "
        "received_at, current_agency_id, due_at, step_due_at, decision_reason, created_at, "
        "updated_at, applicant_personal_id, filer_name, filing, on_behalf_relation"
    )
    secret = secret_digest("ABCDEFGHJK")  # one digest for all: look-ups are not measured here
    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY dossiers_dossier ({columns}) FROM STDIN") as copy:
            for i in range(count):
                agency = agencies[rng.randrange(len(agencies))]
                state = rng.choices(names, weights)[0]
                due = now + timedelta(minutes=rng.randint(-30 * 24 * 60, 30 * 24 * 60))
                submitted = due - timedelta(days=14)
                copy.write_row(
                    (
                        f"{agency.code}-B-{i:07d}",
                        secret,
                        version.pk,
                        agency.pk,
                        owner.pk,
                        f"Người nộp {i}",
                        "",
                        "",
                        "",
                        "{}",
                        True,
                        "counter",
                        "",
                        "web",
                        state,
                        0,
                        "none",
                        submitted,
                        due,
                        submitted if state != "submitted" else None,
                        agency.pk if state != "submitted" else None,
                        due if state != "submitted" else None,
                        due if state != "submitted" else None,
                        "",
                        submitted,
                        submitted,
                        f"066195{i:06d}",
                        "",
                        "self",
                        "",
                    )
                )
        cursor.execute("ANALYZE dossiers_dossier")
    return time.perf_counter() - start


def p50_p99(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


ROWS: list[tuple[str, str, float, float, bool]] = []


def row(metric: str, goal: str, measured: float, baseline: float, met: bool) -> None:
    ROWS.append((metric, goal, measured, baseline, met))


def table() -> None:
    print()
    print("| metric | goal | measured | baseline in the same run | ratio | met |")
    print("|---|---|---|---|---|---|")
    for metric, goal, measured, baseline, met in ROWS:
        ratio = measured / baseline if baseline else float("nan")
        print(
            f"| {metric} | {goal} | {measured:.1f} ms | {baseline:.1f} ms | {ratio:.1f}x | "
            f"{'yes' if met else 'no'} |"
        )
        emit(
            "dossiers_queue",
            "PostgreSQL",
            metric if "receipt" in metric else f"{metric} ({DOSSIERS:,} dossiers)",
            goal,
            f"{measured:.1f} ms",
            f"{baseline:.1f} ms "
            f"({'WeasyPrint floor' if 'receipt' in metric else 'by primary key'})",
            ratio,
            met,
        )


def bench_queue(data: dict[str, Any]) -> None:
    from django.db import connection

    from tinhso.dossiers import queries
    from tinhso.dossiers.models import Dossier
    from tinhso.people import actions as people

    officer = data["officer"]
    rng = random.Random(7)
    total = Dossier.objects.count()
    top = Dossier.objects.order_by("-pk").values_list("pk", flat=True).first() or 1

    def page_of(name: str, who: Any = officer) -> Callable[[], object]:
        def run() -> object:  # as the queue page asks for it (views_office.queue)
            page = rng.randint(1, 5)
            rows = queries.queue(who, name).select_related(
                "version", "current_step", "current_agency", "assignee"
            )[(page - 1) * 50 : page * 50]
            return list(rows)

        return run

    def tokens(name: str, who: Any, pages: int) -> list[str]:
        found, after = [], ""
        for _ in range(pages):
            after = queries.queue_page(who, name, after=after).after or ""
            found.append(after)
        return found

    def keyset_of(name: str, who: Any, starts: list[str]) -> Callable[[], object]:
        def run() -> object:
            return queries.queue_page(who, name, after=rng.choice(starts)).rows

        return run

    def unprepared(name: str, who: Any = officer) -> Callable[[], object]:
        def run() -> object:  # the same page read without a prepared statement (before)
            from django.db.models import QuerySet

            page = rng.randint(1, 5)
            rows = queries.queue(who, name).select_related(
                "version", "current_step", "current_agency", "assignee"
            )
            rows.__class__ = QuerySet
            return list(rows[(page - 1) * 50 : page * 50])

        return run

    def by_pk() -> object:
        return Dossier.objects.filter(pk=rng.randint(1, top)).first()

    unit = queries.queue(officer, "don-vi")
    print(f"dossiers: {total:,}; the officer's unit queue holds {unit.count():,}")
    sql, params = unit[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print("plan:", " | ".join(line.strip() for line in plan if "Index" in line or "Sort" in line))
    # an official of two departments (a head of two units, a relief officer)
    two = people.create_official(
        username="haidonvi",
        full_name="Hai Đơn Vị",
        email="h@example.com",
        password=None,
        actor=None,
    )
    for agency in data["agencies"][:2]:
        people.grant_role(two, agency, "specialist", actor=None)
    deep = tokens("don-vi", officer, 40)  # pages 2-41 of the unit's queue
    deep_two = tokens("don-vi", two, 40)
    runs = {
        "unit": page_of("don-vi"),
        "overdue": page_of("qua-han"),
        "keyset": keyset_of("don-vi", officer, deep),
        "two": page_of("don-vi", two),
        "keyset two": keyset_of("don-vi", two, deep_two),
        "unit unprepared": unprepared("don-vi"),
        "pk": by_pk,
    }
    for fn in runs.values():  # warm up
        timed(fn, 10)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(ROUNDS):  # interleaved, so the machine's load weighs on each the same
        for name, fn in runs.items():
            samples[name] += timed(fn, 1)
    got = {name: p50_p99(taken) for name, taken in samples.items()}
    base50, base99 = got["pk"]
    print(
        "  unit queue, pages 1-5, statement prepared (now): p50 {:.1f} ms, p99 {:.1f} ms; "
        "not prepared (before): p50 {:.1f} ms, p99 {:.1f} ms".format(
            *got["unit"], *got["unit unprepared"]
        )
    )
    labels = {
        "unit": "unit queue, pages 1-5 (offset, as the page asks)",
        "overdue": "overdue queue, pages 1-5",
        "keyset": "unit queue by keyset, pages 2-41",
        "two": "official of 2 agencies, pages 1-5 (offset)",
        "keyset two": "official of 2 agencies by keyset, pages 2-41",
    }
    for name, label in labels.items():
        p50, p99 = got[name]
        row(f"{label}: p50", "≤ 15 ms", p50, base50, p50 <= 15)
        row(f"{label}: p99", "≤ 50 ms", p99, base99, p99 <= 50)


def bench_receptions(data: dict[str, Any]) -> None:
    from weasyprint import HTML

    from tinhso.core.context import acting_as
    from tinhso.core.fonts import font_configuration
    from tinhso.dossiers import actions, forms_pdf, receipt

    version, component, desk = data["version"], data["component"], data["desk"]
    content = pdf_bytes()
    counter = iter(range(1, 1_000_000))

    first: list[float] = []

    def receive() -> object:
        n = next(counter)
        dossier = actions.intake(
            version,
            officer=desk,
            channel="counter",
            personal_id=f"0661950{n:05d}",
            full_name=f"Nguyễn Văn Số {n}",
            form={},
            components=[actions.PaperComponent(component.pk, "to-khai.pdf", content, True)],
            delivery="counter",
        )
        start = time.perf_counter()  # the first print: it carries the secret, laid out
        made = forms_pdf.receipt(dossier, desk)
        first.append(time.perf_counter() - start)
        return made

    # WeasyPrint's floor: one paragraph in the receipt's fonts, same font configuration
    minimal = (
        "<html lang=\"vi\"><body style=\"font-family: 'DejaVu Serif', 'Noto Serif', serif\">"
        "<p>Giấy tiếp nhận hồ sơ và hẹn trả kết quả.</p></body></html>"
    )

    def bare() -> object:
        return HTML(string=minimal).write_pdf(font_config=font_configuration())

    def laid_out(dossier: Any) -> object:  # a reprint with the store emptied: layout alone
        receipt._stored.clear()
        return forms_pdf.receipt(dossier, desk)

    if os.environ.get("BENCH_RECEIPT_WARM", "1") == "1":
        # as the web server's worker does before it serves (tinhso.gunicorn_conf): a Mẫu 01
        # laid out with the thread's font configuration, then the start-up objects frozen out
        # of the garbage collector; BENCH_RECEIPT_WARM=0 measures a process without it
        from tinhso.gunicorn_conf import warm_worker

        warm_worker(1)
    with acting_as(desk, channel="command"):
        receive()  # warm up (fonts, templates)
        first.clear()
        samples = timed(receive, RECEPTIONS)
        from tinhso.dossiers.models import Dossier

        last = Dossier.objects.filter(channel="counter").order_by("-pk")[0]
        # interleaved, so the machine's load weighs on each the same
        pdf_only, layout_only, floor = [], [], []
        for _ in range(RECEPTIONS):
            pdf_only += timed(lambda: forms_pdf.receipt(last, desk), 1)
            layout_only += timed(lambda: laid_out(last), 1)
            floor += timed(bare, 1)
        # the previous design, for the record: a FontConfiguration made per PDF
        fresh = timed(lambda: HTML(string=minimal).write_pdf(), max(5, RECEPTIONS // 3))
    rate = len(samples) / sum(samples)
    print(f"  receptions incl. receipt PDF: {rate:6.1f}/s   {ms(samples)}")
    print(f"  receipt PDF, first print:     {ms(first)}")
    print(f"  receipt PDF, reprint:         {ms(pdf_only)}")
    print(f"  receipt PDF, laid out again:  {ms(layout_only)}")
    print(f"  minimal page, warm fonts:     {ms(floor)}")
    print(f"  minimal page, fonts per PDF:  {ms(fresh)}")
    f50, f99 = p50_p99(floor)
    for label, got in (
        ("first print, laid out (carries the secret)", first),
        ("reprint, produced once and stored", pdf_only),
        ("reprint laid out again (store emptied)", layout_only),
    ):
        p50, p99 = p50_p99(got)
        row(f"receipt PDF (Mẫu 01), {label}: p50", "≤ 150 ms", p50, f50, p50 <= 150)
        row(f"receipt PDF (Mẫu 01), {label}: p99", "≤ 150 ms", p99, f99, p99 <= 150)


def main() -> None:
    recreate(URL)
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    os.environ.setdefault("TINHSO_SECRET_KEY", "bench-only-not-secret")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        json.dumps(
            {
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "dossiers": DOSSIERS,
                "rounds": ROUNDS,
                "receptions": RECEPTIONS,
            }
        )
    )
    data = world()
    seconds = load(DOSSIERS, data)
    print(f"loaded {DOSSIERS:,} dossiers with COPY in {seconds:.1f} s")
    bench_queue(data)
    bench_receptions(data)
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    table()


if __name__ == "__main__":
    main()
