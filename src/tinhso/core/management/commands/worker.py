"""`tinhso worker`: deliver the outbox.

With TINHSO_BROKER_URL set it runs a Celery worker with its beat (production); without, it
polls the outbox table itself, so the embedded default needs no broker server.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tinhso.core import outbox


class Command(BaseCommand):
    help = "Deliver outbox messages (notifications, integration events)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due, then stop")
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between sweeps")

    def handle(self, *args: Any, once: bool, poll: float, **options: Any) -> None:
        if once:
            self.stdout.write(f"{outbox.run_once()} messages taken")
            return
        if settings.BROKER_URL:
            from tinhso.celery import app

            app.worker_main(["worker", "--beat", "--loglevel=INFO", "--concurrency=2"])
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("embedded outbox worker running (no broker); Ctrl-C stops it")
        outbox.run_forever(stop, poll_seconds=poll)
