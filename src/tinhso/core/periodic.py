"""Periodic jobs (escalations, clean-ups): one registry, run by whichever worker is in use.

The embedded worker runs due jobs between outbox sweeps; production runs them from Celery
beat (`tinhso.periodic.run_due`, every 5 s). Jobs must be idempotent: with several workers
or after a restart, a job may run again sooner than its interval.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("tinhso.periodic")


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    last_run: float = field(default=0.0)


JOBS: dict[str, Job] = {}


def periodic(
    name: str, *, every_seconds: float
) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register `fn` to run about every `every_seconds`."""

    def register(fn: Callable[[], object]) -> Callable[[], object]:
        JOBS[name] = Job(name, every_seconds, fn)
        return fn

    return register


def run_due(now: float | None = None) -> list[str]:
    """Run the jobs whose interval has passed; a failing job is logged and does not stop others."""
    now = time.monotonic() if now is None else now
    ran = []
    for job in JOBS.values():
        if job.last_run and now - job.last_run < job.every_seconds:
            continue
        job.last_run = now
        try:
            job.run()
            ran.append(job.name)
        except Exception:
            log.exception("periodic job %s failed; it runs again at its next interval", job.name)
    return ran
