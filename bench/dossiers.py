"""Dossier benchmarks: the public status look-up and online submission, over HTTP.

1. Public look-up (POST /api/v1/dossiers/lookup: code + secret, rate-limit bookkeeping,
   constant-time compare) against a bare Django JSON view served by the same gunicorn, with the
   same middleware and settings, measured in the same run: throughput, p50, p99, and the ratio.
2. Submissions (POST /api/v1/dossiers: e-form + one 200 KB PDF attachment, Idempotency-Key,
   dossier code under a row lock, audit record, e-mail in the outbox) per second, with p99.
   The issue asks for PostgreSQL: set BENCH_DATABASE_URL (a database this script may wipe), e.g.
   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tinhso_bench_dossiers
   Without it everything runs on a throw-away SQLite file, and the output says so.

   Issue 11's goal: 8 clients, at least 200/s with p99 under 100 ms, against the bare view
   taking the same body (the 200 KB request) in the same run. Meanwhile a sealer process
   seals the audit trail every BENCH_SEAL_SECONDS (1 s) as the worker would: sealing
   throughput under load (records/s while sealing) and the lag (the oldest unsealed record's
   age when each batch starts; the most records waiting).

Server: gunicorn, 2 workers x 4 threads (gthread), on 127.0.0.1. Load: client threads on the
same machine, one keep-alive connection each. Defaults finish in about a minute;
BENCH_FULL=1 (or --full) runs 60 s per look-up phase and 2,000 submissions.

`--profile` runs 100 submissions in-process (Django's test client: the same middleware, API
and action) under cProfile and prints where the time goes, on the same database.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from harness import emit, recreate_database

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
FULL = "--full" in sys.argv or os.environ.get("BENCH_FULL") == "1"
LOOKUP_SECONDS = int(os.environ.get("BENCH_LOOKUP_SECONDS", 60 if FULL else 8))
SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", 2000 if FULL else 200))
LOOKUP_DOSSIERS = int(os.environ.get("BENCH_LOOKUP_DOSSIERS", 2000 if FULL else 300))
LOOKUP_CLIENTS = 8
SUBMIT_CLIENTS = 8
SEAL_SECONDS = float(os.environ.get("BENCH_SEAL_SECONDS", 1))
ATTACHMENT_BYTES = 200 * 1024


# --- set-up, in a child process with Django ----------------------------------------------
def pdf_of_size(size: int) -> bytes:
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    tail = b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    filler = b"%" + b"x" * 78 + b"\n"
    body = filler * ((size - len(head) - len(tail)) // len(filler))
    return head + body + tail


def setup(out: Path) -> None:
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from tinhso.catalogue.models import ComponentRequirement, Field, Procedure, ProcedureVersion
    from tinhso.core.context import acting_as
    from tinhso.dossiers import actions
    from tinhso.people import actions as people
    from tinhso.places.models import Agency, Province

    call_command("migrate", verbosity=0)
    province, _ = Province.objects.get_or_create(
        code=66, defaults={"name": "Đắk Lắk", "division_type": "tỉnh", "codename": "dak_lak"}
    )
    agency, _ = Agency.objects.get_or_create(
        code="000.00.03.H66",
        defaults={
            "name": "Sở Tư pháp tỉnh Đắk Lắk",
            "short_name": "STP",
            "level": Agency.Level.DEPARTMENT,
            "province": province,
        },
    )
    field, _ = Field.objects.get_or_create(code="G15-TP09", defaults={"name": "Lý lịch tư pháp"})
    procedure, created = Procedure.objects.get_or_create(
        code="2.000488",
        defaults={"name": "Cấp Phiếu lý lịch tư pháp", "field": field, "agency": agency},
    )
    if created:
        version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=1,
            state=ProcedureVersion.State.PUBLISHED,
            published_at=timezone.now(),
            name=procedure.name,
            processing_days=10,
            online_type=ProcedureVersion.OnlineType.FULL,
            channels=["online", "counter", "post"],
            fees=[{"name": "Phí", "amount": 200000, "note": ""}],
            eform_schema={
                "type": "object",
                "properties": {
                    "ho_ten": {"type": "string", "title": "Họ tên", "minLength": 2},
                    "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
                    "so_ban_sao": {"type": "integer", "title": "Số bản sao", "minimum": 0},
                },
                "required": ["ho_ten", "ngay_sinh"],
            },
        )
        procedure.current_version = version
        procedure.save()
        ComponentRequirement.objects.create(version=version, position=1, code="TK", name="Tờ khai")
    version = ProcedureVersion.objects.get(procedure=procedure, state="published")
    users = []
    for i in range(max(SUBMIT_CLIENTS, 1)):
        pid = f"0660900{i:05d}"
        from tinhso.people.models import User

        user = User.objects.filter(username=pid).first() or people.register_citizen(
            full_name=f"Nguyễn Văn Thử {i}",
            personal_id=pid,
            password=None,
            phone=f"0912{i:06d}",
            email=f"thu{i}@example.com",
        )
        users.append(user)
    sessions = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "tinhso.people.auth.PhoneEmailOrUsernameBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    small = base64.b64encode(pdf_of_size(2048)).decode()
    lookups = []
    with acting_as(users[0], channel="command"):
        for i in range(LOOKUP_DOSSIERS):
            form = {"ho_ten": "Nguyễn Văn Thử", "ngay_sinh": "1990-05-12"}
            dossier, _ = actions.submit_via_api(
                user=users[0],
                key=f"bench-lookup-{i}",
                version=version,
                form=form,
                delivery="online",
                delivery_address="",
                attachments=[actions.Attachment("TK", "tk.pdf", small)],
                fingerprint=f"bench-{i}",
            )
            lookups.append([dossier.code, dossier.issued_secret])
    out.write_text(json.dumps({"sessions": sessions, "lookups": lookups}))


def sealer(out: Path) -> None:
    """Seal every SEAL_SECONDS until SIGTERM, as the worker's periodic job does; write what
    each batch took and how far sealing lagged when it started."""
    import django

    django.setup()
    from tinhso.core import audit
    from tinhso.core.models import AuditRecord

    while audit.seal().records:  # the set-up's records: sealed before the measurement
        pass
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    (out.parent / "sealer-ready").touch()
    batches = []
    while not stop.is_set():
        waiting = AuditRecord.objects.filter(seq__isnull=True)
        oldest = waiting.order_by("id").values_list("at", flat=True).first()
        lag = (time.time() - oldest.timestamp()) if oldest else 0.0
        count = waiting.count()
        t0 = time.perf_counter()
        sealed = audit.seal().records
        batches.append(
            {"records": sealed, "seconds": time.perf_counter() - t0, "lag": lag, "waiting": count}
        )
        stop.wait(SEAL_SECONDS)
    out.write_text(json.dumps(batches))


def profile(out: Path) -> None:
    """100 submissions in-process under cProfile: where a submission's time goes."""
    import cProfile
    import pstats

    import django

    django.setup()
    from django.test import Client

    data = json.loads(out.read_text())
    http = Client()
    http.cookies["sessionid"] = data["sessions"][0]
    pdf = base64.b64encode(pdf_of_size(ATTACHMENT_BYTES)).decode()
    run_id = secrets.token_hex(4)

    def submit(i: int) -> None:
        body = {
            "procedure": "2.000488",
            "form": {"ho_ten": "Nguyễn Văn Thử", "ngay_sinh": "1990-05-12", "so_ban_sao": 1},
            "delivery": "online",
            "attachments": [{"component": "TK", "filename": "to-khai.pdf", "content_base64": pdf}],
        }
        response = http.post(
            "/api/v1/dossiers",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": f"profile-{run_id}-{i:06d}"},
        )
        assert response.status_code == 201, response.content[:300]

    for i in range(5):  # warm-up: imports, caches, first connection
        submit(10**6 + i)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        submit(10**6 + 99)
    print(f"one submission: {len(queries)} SQL statements")
    for q in queries:
        print(f"  {q['time']:>6s} s  {q['sql'][:150]}")
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for i in range(100):
        submit(i)
    profiler.disable()
    elapsed = time.perf_counter() - t0
    print(f"profile: 100 submissions in-process, {elapsed * 10:.1f} ms each (under cProfile)")
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(
        r"tinhso|django/(db|core/files|test/client|core/handlers)|base64|json|pydantic|hashlib|pypdf|magic|psycopg",
        45,
    )
    stats.sort_stats("tottime").print_stats(25)


# --- load -----------------------------------------------------------------------------------
class Conn:
    def __init__(self, port: int, cookies: str = "", csrf: str = "") -> None:
        self.port, self.cookies, self.csrf = port, cookies, csrf
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> int:
        all_headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
        if self.cookies:
            all_headers["Cookie"] = self.cookies
        if self.csrf:
            all_headers["X-CSRFToken"] = self.csrf
        all_headers.update(headers or {})
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("POST", path, body=body, headers=all_headers)
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


def run_load(
    clients: int, work: Callable[[int, int], int], *, seconds: float = 0, count: int = 0
) -> tuple[list[float], float, dict[int, int]]:
    """Run `work(client, i)` from `clients` threads for `seconds` or `count` requests in all."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    issued = iter(range(10**9))
    deadline = time.perf_counter() + seconds if seconds else 0.0

    def loop(client: int) -> None:
        mine: list[float] = []
        codes: dict[int, int] = {}
        while True:
            with lock:
                i = next(issued)
            if count and i >= count:
                break
            if deadline and time.perf_counter() >= deadline:
                break
            t0 = time.perf_counter()
            status = work(client, i)
            mine.append(time.perf_counter() - t0)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=loop, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0, statuses


def figures(latencies: list[float], elapsed: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(ordered) / elapsed, statistics.median(ordered) * 1000, p99 * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] in ("--setup", "--sealer", "--profile-child"):
        {"--setup": setup, "--sealer": sealer, "--profile-child": profile}[sys.argv[1]](
            Path(sys.argv[2])
        )
        return
    url = os.environ.get("BENCH_DATABASE_URL", "")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {'full' if FULL else 'default'} size"
    )
    with tempfile.TemporaryDirectory() as tmp:
        database = url or f"sqlite:///{tmp}/bench.sqlite3"
        if url.startswith("postgres"):
            recreate_database(url)
        kind = "PostgreSQL" if url.startswith("postgres") else "SQLite (not the PostgreSQL figure)"
        print(f"database: {kind}")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TINHSO_")},
            "DATABASE_URL": database,
            "TINHSO_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{BENCH}",
            "TINHSO_LOG_LEVEL": "WARNING",
        }
        data_file = Path(tmp) / "bench.json"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--setup", str(data_file)], env=env, check=True)
        print(f"set-up: {LOOKUP_DOSSIERS} dossiers in {time.perf_counter() - t0:.1f} s")
        data = json.loads(data_file.read_text())
        port = free_port()
        server = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "dossiers_wsgi:application",
                "--config",  # the deployed hooks, as `tinhso run` starts it
                "python:tinhso.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=str(BENCH),
        )
        sealing = None
        try:
            _wait_for(port)
            if "--profile" in sys.argv:
                subprocess.run(
                    [sys.executable, __file__, "--profile-child", str(data_file)],
                    env=env,
                    cwd=str(BENCH),
                    check=True,
                )
                return
            _bench_lookup(port, data["lookups"], env)
            if "--lookup-only" in sys.argv:  # issue 12's look-up row alone
                return
            seal_file = Path(tmp) / "sealer.json"
            sealing = subprocess.Popen(
                [sys.executable, __file__, "--sealer", str(seal_file)], env=env, cwd=str(BENCH)
            )
            while not (Path(tmp) / "sealer-ready").exists():
                if sealing.poll() is not None:
                    raise SystemExit("the sealer stopped")
                time.sleep(0.2)
            rows = _bench_submissions(port, data["sessions"])
            sealing.send_signal(signal.SIGTERM)
            sealing.wait(timeout=120)
            rows += _sealing_rows(json.loads(seal_file.read_text()))
            _table(rows, kind)
        finally:
            if sealing is not None and sealing.poll() is None:
                sealing.kill()
            server.terminate()
            server.wait(timeout=30)


def _wait_for(port: int) -> None:
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def hello(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
    """The floor of issue 12's look-up goal: a bare WSGI app under the same gunicorn."""
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "11")])
    return [b'{"ok":true}']


def _gunicorn(
    app: str, port: int, env: dict[str, str], *, deployed: bool = False
) -> subprocess.Popen[bytes]:
    """gunicorn as the bench serves: `deployed` adds the hooks `tinhso run` and the systemd
    unit start it with (`tinhso.gunicorn_conf`: the worker's warm-up and `gc.freeze`), which
    only a Django application can take (never the bare hello)."""
    config = ["--config", "python:tinhso.gunicorn_conf"] if deployed else []
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            *config,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=str(BENCH),
    )


def _paced(work: Callable[[int, int], int], rate: float, seconds: float) -> list[float]:
    """LOOKUP_CLIENTS clients sending `rate` requests a second in all, evenly: the latency at
    a given load, not at saturation."""
    interval = LOOKUP_CLIENTS / rate
    latencies: list[float] = []
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def loop(client: int) -> None:
        mine = []
        due = time.perf_counter() + interval * client / LOOKUP_CLIENTS
        while due < end:
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            t0 = time.perf_counter()
            work(client, 0)
            mine.append(time.perf_counter() - t0)
            due += interval
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(c,)) for c in range(LOOKUP_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def _bench_lookup(port: int, lookups: list[list[str]], env: dict[str, str] | None = None) -> None:
    conns = [Conn(port) for _ in range(LOOKUP_CLIENTS)]
    bodies = [json.dumps({"code": c, "secret": s}).encode() for c, s in lookups]
    rng = random.Random(7)
    hello_port = free_port()
    hello_server = _gunicorn("dossiers:hello", hello_port, env or dict(os.environ))
    _wait_for_hello(hello_port)
    hello_conns = [Conn(hello_port) for _ in range(LOOKUP_CLIENTS)]

    def bare_wsgi(client: int, i: int) -> int:
        return hello_conns[client].post("/", bodies[rng.randrange(len(bodies))])

    def bare(client: int, i: int) -> int:
        return conns[client].post("/bench/bare/", bodies[rng.randrange(len(bodies))])

    def bare_read(client: int, i: int) -> int:
        return conns[client].post("/bench/bare-read/", bodies[rng.randrange(len(bodies))])

    def lookup(client: int, i: int) -> int:
        return conns[client].post("/api/v1/dossiers/lookup", bodies[rng.randrange(len(bodies))])

    print(f"public look-up, {LOOKUP_CLIENTS} clients, {LOOKUP_SECONDS} s each:")
    results = {}
    try:
        for name, work in (
            ("bare WSGI hello", bare_wsgi),
            ("bare Django JSON view", bare),
            ("bare view + one read", bare_read),
            ("dossier look-up", lookup),
        ):
            run_load(LOOKUP_CLIENTS, work, seconds=1)  # warm-up
            latencies, elapsed, statuses = run_load(LOOKUP_CLIENTS, work, seconds=LOOKUP_SECONDS)
            rate, p50, p99 = figures(latencies, elapsed)
            results[name] = (rate, p50, p99)
            print(
                f"  {name:24s} {rate:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                f"statuses {statuses}"
            )
    finally:
        hello_server.terminate()
        hello_server.wait(timeout=30)
    half = results["dossier look-up"][0] / 2
    paced = sorted(_paced(lookup, half, LOOKUP_SECONDS))
    p99_half = paced[min(len(paced) - 1, int(len(paced) * 0.99))] * 1000
    print(f"  look-up at half load ({half:.0f} req/s): p99 {p99_half:.1f} ms")
    paced_read = sorted(_paced(bare_read, half, LOOKUP_SECONDS))
    p99_read = paced_read[min(len(paced_read) - 1, int(len(paced_read) * 0.99))] * 1000
    print(f"  bare view + one read at the same pace: p99 {p99_read:.1f} ms")
    read_rate = results["bare view + one read"][0]
    hello_rate, bare_rate = results["bare WSGI hello"][0], results["bare Django JSON view"][0]
    lookup_rate = results["dossier look-up"][0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n  issue 12, load average {load}; gunicorn 2 workers x 4 threads")
    print("  | metric | goal | measured | baseline | ratio | met |")
    print("  |---|---|---|---|---|---|")
    print(
        f"  | look-up req/s vs bare WSGI hello | >= 0.45x | {lookup_rate:.0f} | "
        f"{hello_rate:.0f} | {lookup_rate / hello_rate:.2f} | "
        f"{'yes' if lookup_rate >= 0.45 * hello_rate else 'no'} |"
    )
    print(
        f"  | look-up req/s vs bare Django view | - | {lookup_rate:.0f} | {bare_rate:.0f} | "
        f"{lookup_rate / bare_rate:.2f} | - |"
    )
    print(
        f"  | bare Django view vs bare WSGI hello (the floor) | - | {bare_rate:.0f} | "
        f"{hello_rate:.0f} | {bare_rate / hello_rate:.2f} | - |"
    )
    print(
        f"  | look-up req/s vs bare view + one read | - | {lookup_rate:.0f} | {read_rate:.0f} | "
        f"{lookup_rate / read_rate:.2f} | - |"
    )
    print(
        f"  | bare view + one read vs bare WSGI hello (the floor with a database) | - | "
        f"{read_rate:.0f} | {hello_rate:.0f} | {read_rate / hello_rate:.2f} | - |"
    )
    print(
        f"  | look-up p99 ms at half load | <= 20 | {p99_half:.1f} | "
        f"{p99_read:.1f} (bare view + one read, same pace) | - | "
        f"{'yes' if p99_half <= 20 else 'no'} |"
    )
    print(
        f"  | look-up p99 ms at half load (against the bare view) | <= 20 | {p99_half:.1f} | "
        f"{results['bare Django JSON view'][2]:.1f} (bare view p99, full load) | - | "
        f"{'yes' if p99_half <= 20 else 'no'} |"
    )
    url = os.environ.get("BENCH_DATABASE_URL", "")
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    emit(
        "dossiers",
        database,
        "public look-up req/s vs bare WSGI hello",
        ">= 0.45x",
        f"{lookup_rate:.0f}/s",
        f"{hello_rate:.0f}/s (bare WSGI hello); floor: bare Django view {bare_rate:.0f}/s, "
        f"bare view + one indexed read {read_rate:.0f}/s ({read_rate / hello_rate:.2f}x hello)",
        lookup_rate / hello_rate,
        lookup_rate >= 0.45 * hello_rate,
    )
    emit(
        "dossiers",
        database,
        f"public look-up p99 at half load ({half:.0f} req/s)",
        "<= 20 ms",
        f"{p99_half:.1f} ms",
        f"{p99_read:.1f} ms (bare view + one indexed read, same pace); "
        f"bare view p99 at full load {results['bare Django JSON view'][2]:.1f} ms",
        p99_half / p99_read,
        p99_half <= 20,
    )


def _wait_for_hello(port: int) -> None:
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the hello server did not start")


def _bench_submissions(
    port: int, sessions: list[str]
) -> list[tuple[str, str, float, float, float]]:
    csrf = secrets.token_hex(16)  # 32 characters, the unmasked form Django accepts
    conns = [Conn(port, cookies=f"sessionid={s}; csrftoken={csrf}", csrf=csrf) for s in sessions]
    pdf = base64.b64encode(pdf_of_size(ATTACHMENT_BYTES)).decode()
    run_id = secrets.token_hex(4)

    def body(i: int) -> bytes:
        return json.dumps(
            {
                "procedure": "2.000488",
                "form": {
                    "ho_ten": "Nguyễn Văn Thử",
                    "ngay_sinh": "1990-05-12",
                    "so_ban_sao": i % 5,
                },
                "delivery": "online",
                "attachments": [
                    {"component": "TK", "filename": "to-khai.pdf", "content_base64": pdf}
                ],
            }
        ).encode()

    owner_of: dict[int, int] = {}

    def submit(client: int, i: int) -> int:
        owner_of[i] = client
        return conns[client].post(
            "/api/v1/dossiers", body(i), {"Idempotency-Key": f"bench-{run_id}-{i:08d}"}
        )

    def retry(client: int, i: int) -> int:
        # the same owner sends the same key again, on a new connection as a client would
        owner = sessions[owner_of[i]]
        again = Conn(port, cookies=f"sessionid={owner}; csrftoken={csrf}", csrf=csrf)
        status = again.post(
            "/api/v1/dossiers", body(i), {"Idempotency-Key": f"bench-{run_id}-{i:08d}"}
        )
        if os.environ.get("BENCH_DEBUG") and status != 200:
            print("retry", i, owner_of[i], status)
        return status

    def bare(client: int, i: int) -> int:
        return conns[client].post(
            "/bench/bare/", body(i), {"Idempotency-Key": f"bare-{run_id}-{i:08d}"}
        )

    print(
        f"submissions (e-form + one {ATTACHMENT_BYTES // 1024} KB PDF), {SUBMIT_CLIENTS} clients, "
        f"{SUBMISSIONS} requests:"
    )
    run_load(SUBMIT_CLIENTS, bare, count=16)  # warm-up
    latencies, elapsed, statuses = run_load(SUBMIT_CLIENTS, bare, count=SUBMISSIONS)
    base = _line("bare view, same body", latencies, elapsed, statuses)
    run_load(SUBMIT_CLIENTS, lambda c, i: submit(c, 10**8 + i), count=8)  # warm-up
    latencies, elapsed, statuses = run_load(SUBMIT_CLIENTS, submit, count=SUBMISSIONS)
    sub = _line("POST /api/v1/dossiers", latencies, elapsed, statuses)
    retries = min(SUBMISSIONS, 200)
    latencies, elapsed, statuses = run_load(SUBMIT_CLIENTS, retry, count=retries)
    _line("retry, same key and body", latencies, elapsed, statuses)
    return [
        ("submissions /s, 8 clients, 200 KB PDF", ">= 200", sub[0], base[0], sub[0] / base[0]),
        ("submission p50 ms", "-", sub[1], base[1], sub[1] / base[1]),
        ("submission p99 ms", "< 100", sub[2], base[2], sub[2] / base[2]),
    ]


def _sealing_rows(batches: list[dict[str, float]]) -> list[tuple[str, str, float, float, float]]:
    busy = [b for b in batches if b["records"]]
    records = sum(b["records"] for b in busy)
    seconds = sum(b["seconds"] for b in busy) or 1e-9
    lag = max((b["lag"] for b in batches), default=0.0)
    waiting = max((b["waiting"] for b in batches), default=0)
    print(
        f"  sealer every {SEAL_SECONDS:g} s: {len(busy)} batches, {records} records, "
        f"{records / seconds:.0f} records/s while sealing; lag at most {lag:.1f} s, "
        f"{waiting} records waiting"
    )
    nan = float("nan")
    return [
        ("sealing under load, records/s", "-", records / seconds, nan, nan),
        (f"sealing lag, s (sealer every {SEAL_SECONDS:g} s)", "-", lag, nan, nan),
        ("records waiting at most", "-", float(waiting), nan, nan),
    ]


def _table(rows: list[tuple[str, str, float, float, float]], database: str) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nissue 11 ({database}; load average {load}; baseline: bare view, same body)")
    print(f"| {'metric':44s} | {'goal':7s} | {'measured':>9s} | {'baseline':>9s} | ratio |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 11}|{'-' * 11}|-------|")
    for name, goal, value, baseline, ratio in rows:
        cells = [f"{x:9.1f}" if x == x else f"{'-':>9s}" for x in (value, baseline)]
        shown = f"{ratio:5.2f}" if ratio == ratio else "    -"
        print(f"| {name:44s} | {goal:7s} | {cells[0]} | {cells[1]} | {shown} |")


def _line(
    name: str, latencies: list[float], elapsed: float, statuses: dict[int, int]
) -> tuple[float, float, float]:
    rate, p50, p99 = figures(latencies, elapsed)
    print(
        f"  {name:26s} {rate:8.1f} /s    p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  statuses {statuses}"
    )
    return rate, p50, p99


if __name__ == "__main__":
    main()
