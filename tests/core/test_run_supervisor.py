"""`tinhso run` keeps serving when a child dies: restarted with a doubling pause, logged with
its cause; only SIGTERM/Ctrl-C stops everything (and then `run` exits 0)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tinhso.core.management.commands.run import Child, StartFailed, Supervisor, describe_exit

ROOT = Path(__file__).resolve().parents[2]
TINHSO = [sys.executable, "-m", "tinhso"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _wait_exit(child: Child) -> None:
    assert child.process is not None
    child.process.wait(timeout=30)


def test_a_child_that_keeps_dying_is_restarted_with_a_doubling_pause():
    clock, lines = Clock(), []
    crash = Child("worker", [sys.executable, "-c", "import sys; sys.exit(3)"])
    supervisor = Supervisor([crash], log=lines.append, clock=clock)
    supervisor.start(crash)
    clock.now += 20  # it came up, then crashed: not a set-up error
    pauses = []
    for _ in range(8):
        _wait_exit(crash)
        supervisor.check()  # notices the death, schedules the restart
        assert crash.restart_at is not None
        pauses.append(crash.restart_at - clock.now)
        supervisor.check()  # too early: nothing started
        assert crash.restart_at is not None
        clock.now = crash.restart_at
        supervisor.check()  # the pause is over: started again
        assert crash.restart_at is None
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60]
    assert crash.restarts == 8
    assert "worker (pid" in lines[1]
    assert lines[1].endswith("stopped after 20 s with exit code 3; restarting in 1 s")
    assert lines[3].endswith("stopped after 0 s with exit code 3; restarting in 2 s")
    _wait_exit(crash)


def test_a_child_that_ran_for_a_minute_starts_over_with_a_short_pause():
    clock, lines = Clock(), []
    child = Child("web", [sys.executable, "-c", "pass"])
    child.pause = 32
    supervisor = Supervisor([child], log=lines.append, clock=clock)
    supervisor.start(child)
    _wait_exit(child)
    clock.now += 61
    supervisor.check()
    assert child.restart_at == clock.now + 1
    assert lines[-1].endswith("stopped after 61 s with exit code 0; restarting in 1 s")


def test_a_child_failing_on_its_first_start_stops_everything():
    clock, lines = Clock(), []
    broken = Child("web", [sys.executable, "-c", "import sys; sys.exit(1)"])
    healthy = Child("worker", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([broken, healthy], log=lines.append, clock=clock)
    supervisor.start(broken)
    supervisor.start(healthy)
    _wait_exit(broken)
    with pytest.raises(StartFailed, match=r"web could not start \(exit code 1\)"):
        supervisor.check()
    supervisor.shutdown()
    assert healthy.process is not None and healthy.process.poll() is not None


def test_exit_causes_read_as_people_read_them():
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL) == "signal SIGKILL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(p) for p in text)
    return found


def _wait_for(predicate, what: str, log: Path, timeout: float = 240):
    """Generous: on a loaded machine of two cores Django's start alone takes tens of seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; output:\n{log.read_text()[-3000:]}")


def _answers(url: str) -> bool:
    """gunicorn answers over HTTP (the OpenAPI document needs no collected static files)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_run_restarts_a_killed_worker_keeps_serving_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "TINHSO_VAR_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Its own SQLite in tmp_path: on the PostgreSQL run, DATABASE_URL names a database that
    # only pytest's test_ copy of exists.
    env.pop("DATABASE_URL", None)
    subprocess.run([*TINHSO, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=300)
    port = _free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(
            [*TINHSO, "run", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/openapi.json"
        _wait_for(lambda: _answers(url), "the web to answer", log)

        def worker_pids() -> list[int]:
            return [int(p) for p in re.findall(r"worker started \(pid (\d+)\)", log.read_text())]

        first = _wait_for(worker_pids, "the worker to start", log)[0]
        assert first in _children(run.pid)
        os.kill(first, signal.SIGKILL)

        pids = _wait_for(lambda: worker_pids()[1:] and worker_pids(), "a new worker", log)
        second = pids[1]
        assert second != first
        assert second in _children(run.pid)
        text = log.read_text()
        assert f"worker (pid {first}) stopped after" in text
        assert "with signal SIGKILL; restarting in 1 s" in text
        assert run.poll() is None
        assert _answers(url)

        children = _children(run.pid)
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=60) == 0
        for pid in children:  # nothing left behind
            assert (
                not Path(f"/proc/{pid}").exists()
                or "zombie" in Path(f"/proc/{pid}/status").read_text()
            )
        assert "tinhso: stopped" in log.read_text()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def test_run_gives_its_children_the_address_it_serves_when_no_site_url_is_set():
    # receipts and QR codes print SITE_URL: a server on another port than the default's 8000
    # printed dead links (a tester's walk on port 8765)
    from tinhso.core.management.commands.run import site_url_for

    assert site_url_for("127.0.0.1:8765", {}) == "http://127.0.0.1:8765"
    assert site_url_for("localhost:9000", {"TINHSO_SITE_URL": ""}) == "http://localhost:9000"
    assert site_url_for("127.0.0.1:8765", {"TINHSO_SITE_URL": "https://dvc.gov.vn"}) is None
    assert site_url_for("0.0.0.0:8000", {}) is None  # no address a browser opens: set it
    assert site_url_for("unix:/run/tinhso.sock", {}) is None
