"""Mixed API load (issue 12): the platform's public API as a province's traffic mixes it.

Each request is drawn at random: catalogue search GET /api/v1/procedures?q= (40%, the queries
of bench/catalogue.py), procedure detail GET /api/v1/procedures/{code} (20%, any of the
procedures), public look-up POST /api/v1/dossiers/lookup (20%, code + secret of a random
dossier), Open311 GET /open311/v2/requests.json over a random 7-day range (10%), and a dossier
submission POST /api/v1/dossiers (10%: e-form and one 40 KB PDF, a new Idempotency-Key each,
as one of 8 signed-in citizens). Closed loop: BENCH_MIXED_CLIENTS clients (default 8), one
keep-alive connection each (and one for their citizen's session), for BENCH_MIXED_SECONDS
(60 s; 15 s with BENCH_QUICK=1). Server: gunicorn, 2 workers x 4 threads (gthread), serving
bench/dossiers_wsgi.py (the platform, look-up rate limits lifted: one address sends all).

Baseline in the same run: a bare WSGI hello app under the same gunicorn and the same clients
(every request a GET of 11 bytes), for 15 s (5 s quick).

Database: 2,500 procedures, 100,000 dossiers, 20,000 field reports; BENCH_QUICK=1: 2,500,
20,000, 5,000 (BENCH_MIXED_DOSSIERS, BENCH_MIXED_REPORTS). Built once with bulk inserts and
reused by later runs while its sizes match (the submissions of earlier runs stay in it: the
count is printed). Runs on SQLite (var/bench/mixed_api[-quick].sqlite3), then on PostgreSQL
when BENCH_DATABASE_URL is set (that database, `_quick` appended in quick mode).

Goal: >= 300 req/s with p95 < 100 ms.

CPU per request, read from /proc as bench/payments_ipn.py does (the load generator, the
gunicorn workers, the PostgreSQL processes serving the database): for the mix, then for each
kind alone for BENCH_MIXED_KIND_SECONDS (8 s; 3 s quick) on the same server, and the mix's
weighted sum, whose inverse over the cores is what the machine could serve of this mix with
nothing else running: the floor of the mixed row.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import (
    QUICK,
    child_pids,
    cpu_ticks,
    emit,
    postgres_backends,
    recreate_database,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PROCEDURES = 2500
DOSSIERS = int(os.environ.get("BENCH_MIXED_DOSSIERS", "20000" if QUICK else "100000"))
REPORTS = int(os.environ.get("BENCH_MIXED_REPORTS", "5000" if QUICK else "20000"))
SECONDS = float(os.environ.get("BENCH_MIXED_SECONDS", "15" if QUICK else "60"))
HELLO_SECONDS = 5.0 if QUICK else 15.0
CLIENTS = int(os.environ.get("BENCH_MIXED_CLIENTS", "8"))
CITIZENS = 8
SECRET = "ABCDEFGHJK"  # noqa: S105 (a bench value) every bulk-loaded dossier's look-up secret (look-ups are measured)
SUBMIT_CODE = "9.999001"
MIX = [("search", 40), ("detail", 20), ("lookup", 20), ("open311", 10), ("submit", 10)]
# after the mix, each kind alone for this long, for its CPU per request (/proc)
KIND_SECONDS = float(os.environ.get("BENCH_MIXED_KIND_SECONDS", "3" if QUICK else "8"))
REBUILD = 3  # the set-up's exit code when the database holds other sizes


def pdf_of_size(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    tail = b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    filler = b"%" + b"x" * 78 + b"\n"
    return head + filler * ((size - len(head) - len(tail)) // len(filler)) + tail


# --- set-up, in a child process with Django -------------------------------------------------
def build() -> None:
    """2,500 procedures (one of them open for online submission), 100,000 dossiers and the
    field reports, in bulk."""
    from django.db import connection, transaction
    from django.utils import timezone

    import catalogue as catalogue_bench
    import feedback as feedback_bench
    from tinhso.catalogue.models import ComponentRequirement, Field, Procedure, ProcedureVersion
    from tinhso.dossiers.codes import secret_digest
    from tinhso.dossiers.models import Dossier
    from tinhso.people import actions as people
    from tinhso.places.models import Agency, Province

    started = time.perf_counter()
    catalogue_bench.populate(PROCEDURES - 1)
    communes, categories, sxd = feedback_bench.setup_places()
    feedback_bench.populate(REPORTS, categories, communes, sxd)
    province = Province.objects.get(code=66)
    agency = Agency.objects.create(
        code="000.00.03.H66",
        name="Sở Tư pháp tỉnh Đắk Lắk",
        short_name="STP",
        level=Agency.Level.DEPARTMENT,
        province=province,
    )
    field = Field.objects.create(code="G15-TP09", name="Lý lịch tư pháp")
    procedure = Procedure.objects.create(
        code=SUBMIT_CODE, name="Cấp Phiếu lý lịch tư pháp (đo tải)", field=field, agency=agency
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
        fees=[],
        eform_schema={
            "type": "object",
            "properties": {
                "ho_ten": {"type": "string", "title": "Họ tên", "minLength": 2},
                "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
            },
            "required": ["ho_ten", "ngay_sinh"],
        },
    )
    procedure.current_version = version
    procedure.save()
    ComponentRequirement.objects.create(version=version, position=1, code="TK", name="Tờ khai")
    citizens = [
        people.register_citizen(
            full_name=f"Nguyễn Văn Thử {i}",
            personal_id=f"0660900{i:05d}",
            password=None,
            phone=f"0912{i:06d}",
            email=f"thu{i}@example.com",
        )
        for i in range(CITIZENS)
    ]
    digest = secret_digest(SECRET)
    now = timezone.now()
    rng = random.Random(12)
    states = ["submitted", "received", "received", "received", "result_ready", "returned"]
    for first in range(0, DOSSIERS, 5000):
        batch = []
        for i in range(first, min(DOSSIERS, first + 5000)):
            submitted = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            state = states[i % len(states)]
            batch.append(
                Dossier(
                    code=f"000.00.03.H66-250101-{i:07d}",
                    lookup_secret_hash=digest,
                    version=version,
                    agency=agency,
                    owner=citizens[i % CITIZENS],
                    applicant_name=f"Người nộp {i}",
                    form_data={"ho_ten": f"Người nộp {i}", "ngay_sinh": "1990-05-12"},
                    form_complete=True,
                    state=state,
                    submitted_at=submitted,
                    received_at=None if state == "submitted" else submitted,
                    current_agency=None if state == "submitted" else agency,
                    due_at=None if state == "submitted" else submitted + timedelta(days=14),
                )
            )
        with transaction.atomic():
            Dossier.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"  built: {PROCEDURES:,} procedures, {DOSSIERS:,} dossiers, {REPORTS:,} reports in "
        f"{time.perf_counter() - started:.0f} s"
    )


def setup(out: Path) -> None:
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from tinhso.catalogue.models import Procedure
    from tinhso.dossiers.codes import secret_digest
    from tinhso.dossiers.models import Dossier
    from tinhso.feedback.models import Report
    from tinhso.people.models import User

    call_command("migrate", verbosity=0)
    held = (Procedure.objects.count(), Dossier.objects.count(), Report.objects.count())
    if held == (0, 0, 0):
        build()
    elif held[0] != PROCEDURES or held[1] < DOSSIERS or held[2] < REPORTS:
        print(f"  the database holds {held}, not the sizes asked for: rebuilding")
        sys.exit(REBUILD)
    elif not Dossier.objects.filter(lookup_secret_hash=secret_digest(SECRET)).exists():
        print("  the database's look-up digests were made with another key: rebuilding")
        sys.exit(REBUILD)
    else:
        print(
            f"  reusing the database: {held[0]:,} procedures, {held[1]:,} dossiers "
            f"({held[1] - DOSSIERS:,} submitted by earlier runs), {held[2]:,} reports"
        )
    sessions = []
    for user in User.objects.filter(username__startswith="0660900").order_by("username"):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "tinhso.people.auth.PhoneEmailOrUsernameBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    rng = random.Random(5)
    top = DOSSIERS
    codes = [f"000.00.03.H66-250101-{rng.randrange(top):07d}" for _ in range(3000)]
    # a database built before bench/catalogue.py stripped the codes holds " 1.014325", which
    # no request line can carry (it stopped a client thread): ask for the others
    procedures = [c for c in Procedure.objects.values_list("code", flat=True) if c == c.strip()]
    out.write_text(json.dumps({"sessions": sessions, "codes": codes, "procedures": procedures}))


# --- load, in the parent ------------------------------------------------------------------
class Conn:
    def __init__(self, port: int, cookies: str = "", csrf: str = "") -> None:
        self.port, self.cookies, self.csrf = port, cookies, csrf
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: bytes | None = None, **extra: str) -> int:
        headers = {"Host": "127.0.0.1", **extra}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = self.cookies
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        return 0


def load(
    work: dict[str, object], seconds: float
) -> tuple[dict[str, list[float]], Counter[tuple[str, int]], float]:
    """CLIENTS threads drawing requests from MIX until `seconds` have passed."""
    import catalogue as catalogue_bench

    port, hello = int(work["port"]), bool(work.get("hello"))  # type: ignore[call-overload]
    data: dict = work["data"]  # type: ignore[assignment]
    csrf = secrets.token_hex(16)
    pdf = base64.b64encode(pdf_of_size(40_000)).decode()
    run_id = secrets.token_hex(4)
    kinds = [k for k, _ in MIX]
    # work["only"]: every request of that kind (the per-kind CPU phases)
    weights = [w if work.get("only") in (None, k) else 0 for k, w in MIX]
    latencies: dict[str, list[float]] = {k: [] for k in kinds}
    statuses: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    end = time.perf_counter() + seconds
    today = datetime.now(UTC)

    def client(c: int) -> None:
        rng = random.Random(c)
        anon = Conn(port)
        session = data["sessions"][c % len(data["sessions"])]
        own = Conn(port, cookies=f"sessionid={session}; csrftoken={csrf}", csrf=csrf)
        mine: dict[str, list[float]] = {k: [] for k in kinds}
        codes: Counter[tuple[str, int]] = Counter()
        n = 0
        while time.perf_counter() < end:
            kind = rng.choices(kinds, weights)[0]
            t0 = time.perf_counter()
            if hello:
                status = anon.send("GET", "/")
            elif kind == "search":
                q = rng.choice(catalogue_bench.QUERIES)
                status = anon.send("GET", "/api/v1/procedures?" + urlencode({"q": q}))
            elif kind == "detail":
                status = anon.send("GET", f"/api/v1/procedures/{rng.choice(data['procedures'])}")
            elif kind == "lookup":
                body = json.dumps({"code": rng.choice(data["codes"]), "secret": SECRET})
                status = anon.send("POST", "/api/v1/dossiers/lookup", body.encode())
            elif kind == "open311":
                start = today - timedelta(days=rng.uniform(7, 360))
                window = {
                    "start_date": start.isoformat(timespec="seconds"),
                    "end_date": (start + timedelta(days=7)).isoformat(timespec="seconds"),
                }
                status = anon.send("GET", "/open311/v2/requests.json?" + urlencode(window))
            else:
                n += 1
                body = json.dumps(
                    {
                        "procedure": SUBMIT_CODE,
                        "form": {"ho_ten": "Nguyễn Văn Thử", "ngay_sinh": "1990-05-12"},
                        "delivery": "online",
                        "attachments": [
                            {"component": "TK", "filename": "to-khai.pdf", "content_base64": pdf}
                        ],
                    }
                )
                key = f"mixed-{run_id}-{c}-{n}"
                status = own.send(
                    "POST", "/api/v1/dossiers", body.encode(), **{"Idempotency-Key": key}
                )
            mine[kind].append(time.perf_counter() - t0)
            codes[(kind, status)] += 1
        with lock:
            for k in kinds:
                latencies[k].extend(mine[k])
            statuses.update(codes)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - t0


class CPU:
    """The CPU one phase cost, from /proc (as bench/payments_ipn.py): the load generator
    (this process), the gunicorn workers, the PostgreSQL processes serving the database
    (those alive at the end; the app keeps its connections). Zeros where /proc is not."""

    def __init__(self, server_pid: int, url: str) -> None:
        self.server_pid, self.url = server_pid, url
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __enter__(self) -> CPU:
        self.client0 = time.process_time()
        self.workers = child_pids(self.server_pid)
        self.server0 = sum(cpu_ticks(p) for p in self.workers)
        self.db0 = {p: cpu_ticks(p) for p in postgres_backends(self.url)}
        return self

    def __exit__(self, *exc: object) -> None:
        self.client = time.process_time() - self.client0
        self.server = (sum(cpu_ticks(p) for p in self.workers) - self.server0) / self.hz
        after = postgres_backends(self.url)
        self.db = sum(cpu_ticks(p) - self.db0.get(p, 0) for p in after) / self.hz

    def per_request(self, n: int) -> tuple[float, float, float]:
        """(client, gunicorn, database) ms per request."""
        n = max(n, 1)
        return self.client / n * 1000, self.server / n * 1000, self.db / n * 1000


def urlencode(params: dict[str, str]) -> str:
    from urllib.parse import urlencode as encode

    return encode(params)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--setup":
        setup(Path(sys.argv[2]))
        return
    from run import ensure_postgres_database

    suffix = "_quick" if QUICK else ""
    (ROOT / "var/bench").mkdir(parents=True, exist_ok=True)
    sqlite_file = ROOT / f"var/bench/mixed_api{suffix.replace('_', '-')}.sqlite3"
    measure(f"sqlite:///{sqlite_file}", "SQLite")
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url.startswith("postgres"):
        ensure_postgres_database(url + suffix)
        measure(url + suffix, "PostgreSQL")


def measure(url: str, database: str) -> None:
    from dossiers import _gunicorn, _wait_for, _wait_for_hello, free_port

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {database}; {'BENCH_QUICK: ' if QUICK else ''}"
        f"{PROCEDURES:,} procedures, {DOSSIERS:,} dossiers, {REPORTS:,} reports; "
        f"{CLIENTS} clients, {SECONDS:g} s (hello app {HELLO_SECONDS:g} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TINHSO_")},
            "DATABASE_URL": url,
            "TINHSO_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{BENCH}",
            "TINHSO_LOG_LEVEL": "WARNING",
            # fixed, so that the look-up digests of a reused database still match
            "TINHSO_SECRET_KEY": "bench-only-not-secret-mixed-api-" + "x" * 20,
        }
        out = Path(tmp) / "mixed.json"
        setup_cmd = [sys.executable, __file__, "--setup", str(out)]
        if subprocess.run(setup_cmd, env=env).returncode == REBUILD:
            if database == "PostgreSQL":
                recreate_database(url)
            else:
                Path(url.removeprefix("sqlite:///")).unlink()
            subprocess.run(setup_cmd, env=env, check=True)
        elif not out.exists():
            raise SystemExit("the set-up failed")
        data = json.loads(out.read_text())
        port, hello_port = free_port(), free_port()
        server = _gunicorn("dossiers_wsgi:application", port, env, deployed=True)
        hello_server = _gunicorn("dossiers:hello", hello_port, env)
        try:
            _wait_for(port)
            _wait_for_hello(hello_port)
            base, _, base_elapsed = load({"port": hello_port, "hello": True, "data": data}, 1)
            base, _, base_elapsed = load(
                {"port": hello_port, "hello": True, "data": data}, HELLO_SECONDS
            )
            hello_server.terminate()
            hello_server.wait(timeout=30)
            load({"port": port, "data": data}, 2)  # warm-up: both workers, every kind
            with CPU(server.pid, url) as mixed_cpu:
                lat, statuses, elapsed = load({"port": port, "data": data}, SECONDS)
            # Then each kind alone, for what one request of it costs the machine: the mix
            # cannot tell which request a worker's CPU went to.
            per_kind: dict[str, tuple[int, float, tuple[float, float, float]]] = {}
            for kind, _share in MIX:
                with CPU(server.pid, url) as cpu:
                    kind_lat, _codes, kind_elapsed = load(
                        {"port": port, "data": data, "only": kind}, KIND_SECONDS
                    )
                n = len(kind_lat[kind])
                per_kind[kind] = (n, n / kind_elapsed, cpu.per_request(n))
        finally:
            for s in (server, hello_server):
                if s.poll() is None:
                    s.terminate()
                    s.wait(timeout=30)
    every = [x for xs in lat.values() for x in xs]
    base_all = [x for xs in base.values() for x in xs]
    rate, base_rate = len(every) / elapsed, len(base_all) / base_elapsed
    p95, base95 = pct(every, 0.95), pct(base_all, 0.95)
    errors = sum(n for (_, status), n in statuses.items() if status >= 400 or status == 0)
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    for kind, share in MIX:
        xs = lat[kind]
        print(
            f"  {kind:8s} {share:3d}% asked, {len(xs) / max(1, len(every)) * 100:5.1f}% sent  "
            f"{len(xs) / elapsed:7.1f} req/s  p50 {pct(xs, 0.5):6.1f} ms  p95 {pct(xs, 0.95):6.1f}"
            f" ms  p99 {pct(xs, 0.99):6.1f} ms"
        )
    print(
        f"  mixed    {rate:7.1f} req/s  p50 {statistics.median(every) * 1000:6.1f} ms  "
        f"p95 {p95:6.1f} ms  errors {errors}"
    )
    print(f"  hello    {base_rate:7.1f} req/s  p95 {base95:6.1f} ms  (bare WSGI, same gunicorn)")
    client, server_ms, db_ms = mixed_cpu.per_request(len(every))
    print(
        f"  CPU per request, the mix: client {client:.2f} ms, gunicorn {server_ms:.2f} ms, "
        f"database server {db_ms:.2f} ms (/proc)"
    )
    print(f"  each kind alone, {KIND_SECONDS:g} s each, CPU per request (/proc):")
    weighted = 0.0
    for kind, share in MIX:
        n, kind_rate, (c_ms, g_ms, d_ms) = per_kind[kind]
        weighted += share / 100 * (c_ms + g_ms + d_ms)
        print(
            f"    {kind:8s} {n:6d} requests {kind_rate:7.1f} req/s  client {c_ms:6.2f} ms  "
            f"gunicorn {g_ms:6.2f} ms  database server {d_ms:6.2f} ms  "
            f"total {c_ms + g_ms + d_ms:6.2f} ms"
        )
    cores = os.cpu_count() or 1
    if weighted:
        print(
            f"  the mix's CPU per request, weighted by its shares: {weighted:.2f} ms; "
            f"{cores} cores with nothing else running serve at most "
            f"{cores * 1000 / weighted:.0f} req/s of it (the floor of the mixed row)"
        )
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    met_rate, met_p95 = rate >= 300 and errors == 0, p95 < 100 and errors == 0
    print(f"\n  issue 12, {database}, load average {load_avg}; gunicorn 2 workers x 4 threads")
    print("  | metric | goal | measured | baseline | ratio | met |")
    print("  |---|---|---|---|---|---|")
    shape = f"{DOSSIERS:,} dossiers, {SECONDS:g} s, {CLIENTS} clients"
    rows = [
        (
            f"mixed API req/s ({shape})",
            ">= 300",
            f"{rate:.0f}/s, {errors} errors",
            f"{base_rate:.0f}/s (bare WSGI hello)",
            rate / base_rate,
            met_rate,
        ),
        (
            "mixed API p95",
            "< 100 ms",
            f"{p95:.1f} ms",
            f"{base95:.1f} ms (bare WSGI hello)",
            p95 / base95 if base95 else None,
            met_p95,
        ),
    ]
    for metric, goal, measured, baseline, ratio, met in rows:
        shown = "-" if ratio is None else f"{ratio:.2f}"
        print(
            f"  | {metric} | {goal} | {measured} | {baseline} | {shown} | "
            f"{'yes' if met else 'not met'} |"
        )
        emit("mixed_api", database, metric, goal, measured, baseline, ratio, met)


if __name__ == "__main__":
    main()
