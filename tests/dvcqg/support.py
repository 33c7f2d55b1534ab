"""Delivering the national sync's outbox messages, and only those, in a test."""

from __future__ import annotations

from django.db.models import F

from tinhso.core import outbox
from tinhso.core.models import OutboxMessage
from tinhso.dvcqg.sync import TOPIC

WORKER = "test-worker"


def pending_sync() -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(topic=TOPIC, state=OutboxMessage.State.PENDING).order_by("pk")
    )


def deliver(messages: list[OutboxMessage]) -> list[bool]:
    """Deliver `messages` in the order given, as a worker would (lease, handler, outcome)."""
    done = []
    for message in messages:
        OutboxMessage.objects.filter(pk=message.pk).update(
            locked_by=WORKER, attempts=F("attempts") + 1
        )
        message.refresh_from_db()
        done.append(outbox.deliver(message, WORKER))
    return done


def deliver_sync() -> list[bool]:
    return deliver(pending_sync())


def deliver_together(messages: list[OutboxMessage]) -> list[bool]:
    """Deliver `messages` as one group of the outbox's batch path (`handle_batch`), as a
    worker that claimed them together would; True for each that succeeded."""
    for message in messages:
        OutboxMessage.objects.filter(pk=message.pk).update(
            locked_by=WORKER, attempts=F("attempts") + 1
        )
        message.refresh_from_db()
    done = outbox.handle_batch(TOPIC, messages, WORKER)
    outbox.acknowledge(done, WORKER)
    return [message in done for message in messages]
