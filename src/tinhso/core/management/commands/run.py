"""`tinhso run`: serve the platform and its worker together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web application (gunicorn) together with the outbox worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, bind: str, workers: int, **options: Any) -> None:
        python = sys.executable
        children = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                [
                    python,
                    "-m",
                    "gunicorn",
                    "tinhso.wsgi:application",
                    "--bind",
                    bind,
                    "--workers",
                    str(workers),
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                ],
                env=os.environ.copy(),
            ),
            subprocess.Popen([python, "-m", "tinhso", "worker"], env=os.environ.copy()),  # noqa: S603
        ]
        self.stdout.write(f"tinhso: serving http://{bind}/ with its worker; Ctrl-C stops both")
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(1)
