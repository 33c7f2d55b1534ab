"""`tinhso run`: serve the platform and its worker together, and keep them serving.

Two children: gunicorn (the web) and `tinhso worker` (the outbox). A child that dies (a crash,
the out-of-memory killer, a stray `kill`) is started again after a pause that doubles with
each quick death (1 s, 2 s, 4 s … at most 60 s) and goes back to 1 s once the child has run
for a minute; each death and restart is logged with its cause. Only Ctrl-C or SIGTERM stops
everything: the children are asked to stop (SIGTERM), killed after 15 s, and `run` exits 0.
A child that fails on its very first start, within seconds (the port is taken, the database
is not migrated), is a set-up error, not a crash: everything stops and `run` exits 1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

FIRST_PAUSE = 1.0
MAX_PAUSE = 60.0
STABLE_AFTER = 60.0  # a child that ran this long is healthy again: the pause starts over
START_GRACE = 15.0  # a first start failing sooner than this is a set-up error
POLL = 0.2
STOP_GRACE = 15.0


def describe_exit(code: int) -> str:
    """`returncode` as a person reads it: "exit code 3" or "signal SIGKILL"."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


@dataclass
class Child:
    """One supervised process: its command, the running process, and its restart pause."""

    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    pause: float = FIRST_PAUSE
    restart_at: float | None = None
    restarts: int = field(default=0)


class StartFailed(Exception):
    """A child failed on its first start: restarting it would fail the same way."""


class Supervisor:
    """Starts the children, restarts any that dies with backoff, stops all on `stop()`."""

    def __init__(
        self,
        children: Sequence[Child],
        *,
        log: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = list(children)
        self.log = log
        self.clock = clock
        self.stopping = False

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(list(child.argv), env=os.environ.copy())  # noqa: S603 - our own interpreter, fixed arguments
        child.started = self.clock()
        child.restart_at = None
        self.log(f"tinhso: {child.name} started (pid {child.process.pid})")

    def check(self) -> None:
        """One round: note children that died, start those whose pause is over."""
        now = self.clock()
        for child in self.children:
            if self.stopping:
                return
            process = child.process
            if process is not None and child.restart_at is None:
                code = process.poll()
                if code is None:
                    continue
                ran = now - child.started
                if child.restarts == 0 and ran < START_GRACE and code > 0:
                    raise StartFailed(
                        f"tinhso: {child.name} could not start ({describe_exit(code)}); "
                        "see its message above"
                    )
                if ran >= STABLE_AFTER:
                    child.pause = FIRST_PAUSE
                self.log(
                    f"tinhso: {child.name} (pid {process.pid}) stopped after {ran:.0f} s "
                    f"with {describe_exit(code)}; restarting in {child.pause:.0f} s"
                )
                child.restart_at = now + child.pause
                child.pause = min(child.pause * 2, MAX_PAUSE)
            if child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self.start(child)

    def serve(self) -> None:
        for child in self.children:
            self.start(child)
        try:
            while not self.stopping:
                self.check()
                time.sleep(POLL)
        finally:
            self.shutdown()

    def stop(self, *_: Any) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = self.clock() + STOP_GRACE
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log("tinhso: stopped")


def site_url_for(bind: str, environ: dict[str, str]) -> str | None:
    """The `TINHSO_SITE_URL` the children get when none is set: the address served. Receipts,
    QR codes and e-mails print SITE_URL, whose default names port 8000: a server started on
    another port printed dead links on every receipt. None when the environment already sets
    it, or when the bind names no address a browser can open (every interface, a socket):
    then the default stays and the operator sets it (docs/configuration.md)."""
    if environ.get("TINHSO_SITE_URL"):
        return None
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or host in {"0.0.0.0", "[::]", "::"}:  # noqa: S104 - compared, never bound
        return None
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Serve the web application (gunicorn) together with the outbox worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, bind: str, workers: int, **options: Any) -> None:
        python = sys.executable
        site_url = site_url_for(bind, dict(os.environ))
        if site_url:  # the children inherit it: the links they print reach this server
            os.environ["TINHSO_SITE_URL"] = site_url
        web = Child(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "tinhso.wsgi:application",
                # hooks: each worker lays out a receipt per thread and freezes its start-up
                # objects out of the garbage collector before it serves (issue 12)
                "--config",
                "python:tinhso.gunicorn_conf",
                "--bind",
                bind,
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                # `run` supervises gunicorn; its control socket (one path in $HOME, shared by
                # every instance on the machine) would only let two servers step on each other.
                "--no-control-socket",
            ],
        )
        worker = Child("worker", [python, "-m", "tinhso", "worker"])

        def log(message: str) -> None:
            self.stderr.write(message)
            self.stderr.flush()

        supervisor = Supervisor([web, worker], log=log)
        signal.signal(signal.SIGINT, supervisor.stop)
        signal.signal(signal.SIGTERM, supervisor.stop)
        self.stdout.write(f"tinhso: serving http://{bind}/ with its worker; Ctrl-C stops both")
        self.stdout.flush()
        try:
            supervisor.serve()
        except StartFailed as exc:
            log(str(exc))
            raise SystemExit(1) from None
