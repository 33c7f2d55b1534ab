"""Outbox handlers for the tests; imported by the test process and by worker processes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tinhso.core import audit, outbox
from tinhso.core.models import OutboxMessage

EFFECT = "test.effect_applied"


@outbox.idempotent("test.effect")
def _apply_effect(message: OutboxMessage) -> None:
    # The effect is a database row committed with the idempotency ledger.
    audit.record(EFFECT, object_type="test", object_id=str(message.pk))


@outbox.handler("test.effect")
def handle_effect(message: OutboxMessage) -> None:
    _apply_effect(message)
    signal_file = os.environ.get("TEST_HANG_AFTER_EFFECT")
    if signal_file:
        # The effect is committed; stop here, as a worker killed before acknowledging would.
        Path(signal_file).write_text(str(message.pk))
        time.sleep(3600)


FAILURES: list[int] = []


@outbox.handler("test.flaky")
def handle_flaky(message: OutboxMessage) -> None:
    FAILURES.append(message.pk)
    if message.payload.get("permanent"):
        raise outbox.PermanentError("the recipient does not exist")
    raise outbox.RetryableError("the gateway timed out")
