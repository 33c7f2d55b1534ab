"""End to end over loopback: two instances (two provinces, two databases) exchange a document.

Instance A (Đắk Lắk) issues a công văn to B (Nghệ An) over HTTP; B receives, registers,
assigns and finishes, and statuses 01, 03, 04, 06 flow back to A; then an update (answered
16) and a recall (13, answered 15). Each instance is a real `tinhso run` (gunicorn and the
outbox worker) with its own database and var directory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.support import ROOT, subprocess_env
from tinhso.documents import pki

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PY = sys.executable
STEP = str(Path(__file__).with_name("e2e_instance.py"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _databases(tmp_path: Path) -> tuple[list[str], list[str]]:
    """Two fresh databases of the kind this test run uses; (urls, names to drop)."""
    if connection.vendor != "postgresql":
        return [f"sqlite:///{tmp_path / n}.sqlite3" for n in ("a", "b")], []
    import psycopg

    s = connection.settings_dict
    base = f"{s['NAME']}_e2e"
    names = [f"{base}_a", f"{base}_b"]
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return [f"postgres://{auth}@{host}/{n}" for n in names], names


class Instance:
    def __init__(self, name: str, url: str, var: Path) -> None:
        self.name, self.port = name, _free_port()
        var.mkdir(parents=True)
        self.env = subprocess_env(DATABASE_URL=url, TINHSO_VAR_DIR=str(var))
        self.env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
        self.server: subprocess.Popen[bytes] | None = None
        self.log = var / "server.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/documents/edxml"

    def tinhso(self, *args: str) -> None:
        subprocess.run(
            [PY, "-m", "tinhso", *args], env=self.env, check=True, capture_output=True, timeout=300
        )

    def step(self, name: str, **payload: object) -> dict:
        result = subprocess.run(
            [PY, STEP, name, json.dumps(payload)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        out = self.log.open("wb")
        self.server = subprocess.Popen(
            [PY, "-m", "tinhso", "run", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/api/v1/openapi.json", timeout=2
                )
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"{self.name} did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)


def _wait(check, what: str, timeout: float = 90):  # type: ignore[no-untyped-def]
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_instances_exchange_a_document_with_statuses(tmp_path):
    urls, drop = _databases(tmp_path)
    keys = tmp_path / "keys"
    keys.mkdir()
    ca = pki.make_test_ca("tinhso TEST CA (e2e)")
    (keys / "ca.pem").write_text(ca.certificate_pem)
    for name in ("a", "a-leader", "b", "b-leader"):
        pair = pki.issue(ca, f"Instance {name}", f"Instance {name}")
        (keys / f"{name}.pem").write_text(pair.certificate_pem)
        (keys / f"{name}.key").write_bytes(pair.key_pem())
    a = Instance("A", urls[0], tmp_path / "var-a")
    b = Instance("B", urls[1], tmp_path / "var-b")
    try:
        for inst in (a, b):
            inst.tinhso("migrate", "--noinput")
        a.step(
            "setup",
            keys=str(keys),
            me="a",
            partner="b",
            province_code=66,
            province_name="Đắk Lắk",
            codename="dak_lak",
            agency_code="000.00.00.H66",
            agency_name="UBND tỉnh Đắk Lắk",
            partner_code="000.00.00.H41",
            partner_name="UBND tỉnh Nghệ An",
            partner_url=b.endpoint,
        )
        b.step(
            "setup",
            keys=str(keys),
            me="b",
            partner="a",
            province_code=40,
            province_name="Nghệ An",
            codename="nghe_an",
            agency_code="000.00.00.H41",
            agency_name="UBND tỉnh Nghệ An",
            partner_code="000.00.00.H66",
            partner_name="UBND tỉnh Đắk Lắk",
            partner_url=a.endpoint,
        )
        a.start()
        b.start()
        sent = a.step("issue", to="000.00.00.H41", to_name="UBND tỉnh Nghệ An", place="Đắk Lắk")
        assert sent["number"] == "01/UBND-KSTT"

        def arrived():  # type: ignore[no-untyped-def]
            docs = b.step("incoming")["documents"]
            return docs[0] if docs else None

        got = _wait(arrived, "the document at B")
        assert got["exchange_id"] == sent["exchange_id"]
        assert (got["number"], got["state"], got["pdf_ok"], got["xml_signature"]) == (
            "01/UBND-KSTT",
            "received",
            True,
            True,
        )
        _wait(lambda: a.step("statuses", id=sent["id"])["codes"] == ["01"], "status 01 at A")

        b.step("handle", id=got["id"])
        flow = ["01", "03", "04", "06"]
        _wait(lambda: a.step("statuses", id=sent["id"])["codes"] == flow, "statuses 03, 04, 06")

        a.step("update", id=sent["id"])
        _wait(lambda: arrived()["pending_change"] == "update", "the update at B")
        b.step("answer", id=got["id"], accept=False)
        flow += ["01", "16"]
        _wait(lambda: a.step("statuses", id=sent["id"])["codes"] == flow, "status 16")

        a.step("recall", id=sent["id"])
        _wait(lambda: arrived()["pending_change"] == "recall", "the recall (13) at B")
        assert b.step("answer", id=got["id"], accept=True) == {"state": "recalled"}
        flow += ["15"]
        _wait(lambda: a.step("statuses", id=sent["id"])["codes"] == flow, "status 15")
        assert len(b.step("incoming")["documents"]) == 1
    finally:
        a.stop()
        b.stop()
        if drop:
            import psycopg

            s = connection.settings_dict
            with psycopg.connect(
                host=s["HOST"] or "127.0.0.1",
                port=s["PORT"] or 5432,
                user=s["USER"],
                password=s.get("PASSWORD") or None,
                dbname="postgres",
                autocommit=True,
            ) as conn:
                for name in drop:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
