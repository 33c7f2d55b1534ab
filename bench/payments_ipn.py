"""Payments benchmark (issue 13): VNPay IPN callbacks per second under duplicate delivery.

BENCH_IPN_ATTEMPTS pending payment attempts (default 100; 20 with BENCH_QUICK=1), each owing
200,000 đồng, are paid by a correctly signed IPN (GET /payments/vnpay/ipn, signed with
tinhso.payments.vnpay under the demo merchant) delivered 50 times at once: 50 client threads,
one keep-alive connection each, meet at a barrier and send the same callback, attempt after
attempt. Server: gunicorn, 2 workers x 4 threads (gthread), as the other HTTP benchmarks.

Baseline in the same run: the same 50-at-once deliveries of the same query strings to a bare
Django JSON view (`bench/bare/` in bench/dossiers_wsgi.py: same server, middleware, settings).

Afterwards the outbox is delivered (receipts are issued there) and the ledger counted: each
attempt must have answered "00" once and "02" 49 times, be paid once, hold one receipt and
one `payments.paid` audit record, and keep 50 callback events. Any excess is a duplicate.

Each phase's CPU per request is printed too (the load generator, the gunicorn workers, the
PostgreSQL processes serving the benchmark's database, read from /proc), with how many of the
cores the three kept busy: the floor of the row on a shared machine (docs/benchmarks.md, IPN).

Goal: >= 500 callbacks/s, 0 duplicates. PostgreSQL only (SQLite runs one write transaction
at a time: there is no concurrent delivery to measure); BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tinhso_bench_payments_ipn, recreated for each run.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from harness import QUICK, child_pids, cpu_ticks, emit, postgres_backends, recreate_database

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
ATTEMPTS = int(os.environ.get("BENCH_IPN_ATTEMPTS", "20" if QUICK else "100"))
DUPLICATES = 50
FEE = 200_000
URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tinhso_bench_payments_ipn"
)


# --- in a child process with Django -------------------------------------------------------
def setup(out: Path) -> None:
    """The ledger: ATTEMPTS submitted dossiers, their charges, a pending VNPay attempt each;
    writes the signed IPN query string of each attempt."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from tinhso.catalogue.models import Field, Procedure, ProcedureVersion
    from tinhso.core.context import acting_as
    from tinhso.dossiers.models import Dossier
    from tinhso.payments import actions, vnpay
    from tinhso.people import actions as people
    from tinhso.places.models import Agency, Province

    call_command("migrate", verbosity=0)
    province = Province.objects.create(
        code=66, name="Đắk Lắk", division_type="tỉnh", codename="dak_lak"
    )
    agency = Agency.objects.create(
        code="000.00.03.H66",
        name="Sở Tư pháp tỉnh Đắk Lắk",
        short_name="STP",
        level=Agency.Level.DEPARTMENT,
        province=province,
    )
    field = Field.objects.create(code="G15-TP09", name="Lý lịch tư pháp")
    procedure = Procedure.objects.create(
        code="2.000488", name="Cấp Phiếu lý lịch tư pháp", field=field, agency=agency
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        state=ProcedureVersion.State.PUBLISHED,
        published_at=timezone.now(),
        name=procedure.name,
        processing_days=10,
        online_type=ProcedureVersion.OnlineType.FULL,
        channels=["online", "counter", "post"],
        fees=[
            {
                "kind": "phi",
                "code": "LLTP",
                "name": "Phí cung cấp thông tin lý lịch tư pháp",
                "amount": FEE,
                "due": "submission",
            }
        ],
        eform_schema={"type": "object", "properties": {}},
    )
    procedure.current_version = version
    procedure.save()
    citizen = people.register_citizen(
        full_name="Nguyễn Văn An",
        personal_id="066090000001",
        password=None,
        phone="0912000001",
        email="an@example.com",
    )
    now = timezone.now()
    Dossier.objects.bulk_create(
        Dossier(
            code=f"000.00.03.H66-261205-{i:04d}",
            version=version,
            agency=agency,
            owner=citizen,
            applicant_name="Nguyễn Văn An",
            applicant_email="an@example.com",
            form_data={},
            state=Dossier.State.SUBMITTED,
            submitted_at=now,
            fee_total=FEE,
            fee_status=Dossier.FeeStatus.UNPAID,
        )
        for i in range(ATTEMPTS)
    )
    queries = []
    with acting_as(citizen, channel="web"):
        for dossier in Dossier.objects.order_by("pk"):
            charge = actions.charge_for(dossier, "submission")
            assert charge is not None and charge.total == FEE, charge
            attempt = actions.start_attempt(
                charge, "vnpay", "203.0.113.7", "http://127.0.0.1/payments/vnpay/return"
            )
            fields = {
                "vnp_Amount": str(FEE * 100),
                "vnp_BankCode": "NCB",
                "vnp_BankTranNo": f"VNP{14000000 + attempt.pk}",
                "vnp_CardType": "ATM",
                "vnp_OrderInfo": actions.order_info(charge),
                "vnp_PayDate": vnpay.format_time(now),
                "vnp_ResponseCode": "00",
                "vnp_TmnCode": settings.VNPAY_TMN_CODE,
                "vnp_TransactionNo": str(14000000 + attempt.pk),
                "vnp_TransactionStatus": "00",
                "vnp_TxnRef": attempt.txn_ref,
            }
            queries.append(vnpay.signed_query(fields, settings.VNPAY_HASH_SECRET))
    out.write_text(json.dumps(queries))


def count(out: Path) -> None:
    """Deliver the outbox (receipts), then count the ledger per attempt; writes the counts."""
    import django

    django.setup()
    from django.db.models import Count

    from tinhso.core import outbox
    from tinhso.core.models import AuditRecord
    from tinhso.payments.models import Attempt, Event, Receipt

    started = time.monotonic()
    while outbox.run_once("bench", limit=50) and time.monotonic() - started < 300:
        pass
    per_charge = Counter(dict(Receipt.objects.values_list("charge_id").annotate(n=Count("id"))))
    events = Counter(
        dict(
            Event.objects.filter(kind="callback").values_list("attempt_id").annotate(n=Count("id"))
        )
    )
    out.write_text(
        json.dumps(
            {
                "attempts": Attempt.objects.count(),
                "paid": Attempt.objects.filter(state="paid").count(),
                "receipts": sum(per_charge.values()),
                "charges_with_more_than_one_receipt": sum(1 for n in per_charge.values() if n > 1),
                "paid_audit": AuditRecord.objects.filter(action="payments.paid").count(),
                "callback_events": sum(events.values()),
                "attempts_without_50_events": sum(
                    1
                    for pk in Attempt.objects.values_list("pk", flat=True)
                    if events.get(pk) != DUPLICATES
                ),
            }
        )
    )


# --- load, in the parent ------------------------------------------------------------------
class Getter:
    """One keep-alive connection that GETs and keeps the answer's body."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("GET", path, headers={"Host": "127.0.0.1"})
                response = self.conn.getresponse()
                body = response.read()
                return response.status, body
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        return 0, b""


def deliver_all(port: int, path: str, queries: list[str]) -> tuple[float, list[float], Counter]:
    """Each query sent by all DUPLICATES clients at once (they meet at a barrier before each);
    returns the elapsed seconds, the latencies and the answers' RspCode (or status) per query
    index, as (index, code) counts."""
    getters = [Getter(port) for _ in range(DUPLICATES)]
    barrier = threading.Barrier(DUPLICATES)
    latencies: list[float] = []
    answers: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client(k: int) -> None:
        mine, codes = [], Counter[tuple[int, str]]()
        try:
            for i, query in enumerate(queries):
                barrier.wait(timeout=120)
                t0 = time.perf_counter()
                status, body = getters[k].get(f"{path}?{query}")
                mine.append(time.perf_counter() - t0)
                code = json.loads(body).get("RspCode", "ok") if status == 200 else str(status)
                codes[(i, code)] += 1
        except BaseException as exc:  # reported by the caller
            failures.append(exc)
            barrier.abort()
        with lock:
            latencies.extend(mine)
            answers.update(codes)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(DUPLICATES)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"a delivery failed: {failures[0]!r}")
    return elapsed, latencies, answers


class CPU:
    """Where the machine's CPU went during one phase, in ms per request: the load generator
    (this process), the gunicorn workers, and the PostgreSQL processes serving the
    benchmark's database (the ones alive at the end of the phase; the app's connections are
    kept, CONN_MAX_AGE). Linux /proc only; zeros elsewhere."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __enter__(self) -> CPU:
        self.client0 = time.process_time()
        self.workers = child_pids(self.server_pid)
        self.server0 = sum(cpu_ticks(p) for p in self.workers)
        self.db_pids = postgres_backends(URL)
        self.db0 = {p: cpu_ticks(p) for p in self.db_pids}
        return self

    def __exit__(self, *exc: object) -> None:
        self.client = time.process_time() - self.client0
        self.server = (sum(cpu_ticks(p) for p in self.workers) - self.server0) / self.hz
        after = postgres_backends(URL)
        self.db = sum(cpu_ticks(p) - self.db0.get(p, 0) for p in after) / self.hz

    def per_request(self, n: int) -> str:
        return (
            f"CPU per request: client {self.client / n * 1000:.2f} ms, gunicorn "
            f"{self.server / n * 1000:.2f} ms, PostgreSQL {self.db / n * 1000:.2f} ms"
        )


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("--setup", "--count"):
        {"--setup": setup, "--count": count}[sys.argv[1]](Path(sys.argv[2]))
        return
    from dossiers import _gunicorn, _wait_for, free_port

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {ATTEMPTS} attempts x {DUPLICATES} deliveries"
        f"{' (BENCH_QUICK)' if QUICK else ''}"
    )
    if not URL.startswith("postgres"):
        print("skipped: PostgreSQL only (BENCH_DATABASE_URL is not a postgres:// URL)")
        return
    try:
        recreate_database(URL)
    except Exception as exc:  # no server: say so and skip, as `make bench` does without one
        print(f"skipped: PostgreSQL only, and {URL.rsplit('@', 1)[-1]} does not answer ({exc})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TINHSO_")},
            "DATABASE_URL": URL,
            "TINHSO_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{BENCH}",
            "TINHSO_LOG_LEVEL": "WARNING",
        }
        data = Path(tmp) / "ipn.json"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--setup", str(data)], env=env, check=True)
        queries = json.loads(data.read_text())
        print(f"set-up: {len(queries)} pending attempts in {time.perf_counter() - t0:.1f} s")
        port = free_port()
        server = _gunicorn("dossiers_wsgi:application", port, env, deployed=True)
        try:
            _wait_for(port)
            deliver_all(port, "/bench/bare/", queries[:2])  # warm-up, both workers
            with CPU(server.pid) as base_cpu:
                base_s, base_lat, _ = deliver_all(port, "/bench/bare/", queries)
            with CPU(server.pid) as ipn_cpu:
                ipn_s, ipn_lat, answers = deliver_all(port, "/payments/vnpay/ipn", queries)
        finally:
            server.terminate()
            server.wait(timeout=30)
        subprocess.run([sys.executable, __file__, "--count", str(data)], env=env, check=True)
        ledger = json.loads(data.read_text())
    total = len(queries) * DUPLICATES
    rate, base_rate = total / ipn_s, total / base_s
    by_code = Counter[str]()
    for (_, code), n in answers.items():
        by_code[code] += n
    confirmed = Counter(i for (i, code), n in answers.items() if code == "00" for _ in range(n))
    duplicates = (
        sum(n - 1 for n in confirmed.values() if n > 1)
        + max(0, ledger["paid"] - ATTEMPTS)
        + max(0, ledger["receipts"] - ATTEMPTS)
        + ledger["charges_with_more_than_one_receipt"]
        + max(0, ledger["paid_audit"] - ATTEMPTS)
    )
    missing = (
        sum(1 for i in range(len(queries)) if confirmed.get(i, 0) == 0)
        + (ATTEMPTS - min(ATTEMPTS, ledger["paid"]))
        + (ATTEMPTS - min(ATTEMPTS, ledger["receipts"]))
    )
    print(f"  answers: {dict(by_code)}")
    print(f"  ledger afterwards: {ledger}")
    print(
        f"  bare Django view   {base_rate:8.0f} req/s        p50 {percentile(base_lat, 0.5):6.1f} "
        f"ms  p99 {percentile(base_lat, 0.99):6.1f} ms"
    )
    print(
        f"  IPN callback       {rate:8.0f} callbacks/s  p50 {percentile(ipn_lat, 0.5):6.1f} "
        f"ms  p99 {percentile(ipn_lat, 0.99):6.1f} ms"
    )
    print(f"  duplicates {duplicates}, attempts not paid exactly once {missing}")
    print(f"  bare view  {base_cpu.per_request(total)}")
    print(f"  IPN        {ipn_cpu.per_request(total)}")
    cores = os.cpu_count() or 1
    spent = (ipn_cpu.client + ipn_cpu.server + ipn_cpu.db) / ipn_s
    print(
        f"  the three together kept {spent:.2f} of {cores} cores busy during the IPN phase "
        f"(the rest of the machine's load is other work)"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    met = rate >= 500 and duplicates == 0 and missing == 0
    print(f"\n  issue 13, PostgreSQL, load average {load}; gunicorn 2 workers x 4 threads")
    print("  | metric | goal | measured | baseline | ratio | met |")
    print("  |---|---|---|---|---|---|")
    measured = f"{rate:.0f}/s, {duplicates} duplicates, {missing} missing"
    baseline = f"{base_rate:.0f}/s (bare Django view)"
    print(
        f"  | IPN callbacks/s, 50 concurrent duplicate deliveries | >= 500/s, 0 duplicates | "
        f"{measured} | {baseline} | {rate / base_rate:.2f} | {'yes' if met else 'not met'} |"
    )
    emit(
        "payments_ipn",
        "PostgreSQL",
        "IPN callbacks/s, 50 concurrent duplicate deliveries",
        ">= 500/s, 0 duplicates",
        measured,
        baseline,
        rate / base_rate,
        met,
    )


if __name__ == "__main__":
    main()
