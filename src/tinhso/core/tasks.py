"""Celery tasks (production). The embedded worker calls the same functions without a broker."""

from __future__ import annotations

from celery import shared_task

from tinhso.core import outbox


@shared_task(name="tinhso.outbox.deliver", ignore_result=True)
def deliver_outbox() -> int:
    """Deliver due outbox messages; beat runs it every few seconds, enqueue() kicks it."""
    total = 0
    while taken := outbox.run_once():
        total += taken
    return total


@shared_task(name="tinhso.periodic.run_due", ignore_result=True)
def run_periodic_jobs() -> list[str]:
    """Beat calls this every 5 s; each job keeps its own interval."""
    from tinhso.core import periodic

    return periodic.run_due()
