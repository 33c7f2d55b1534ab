"""The outbox: delivered after commit, at least once, exactly once in effect, parked on failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from tests.core import outbox_handlers
from tests.support import subprocess_env
from tinhso.core import outbox
from tinhso.core.models import AuditRecord, OutboxMessage, ProcessedMessage

HERE = Path(__file__).resolve().parent


def effects() -> int:
    return AuditRecord.objects.filter(action=outbox_handlers.EFFECT).count()


@pytest.mark.django_db
def test_a_message_is_delivered_once_and_a_second_delivery_changes_nothing():
    message = outbox.enqueue("test.effect", {})
    assert outbox.run_once("w1") == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, effects()) == ("delivered", 1, 1)
    outbox.HANDLERS["test.effect"](message)  # a duplicate delivery
    assert effects() == 1
    assert outbox.run_once("w1") == 0


@pytest.mark.django_db
def test_a_rolled_back_action_leaves_no_message():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("test.effect", {})
        raise RuntimeError("action failed")
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_unknown_topics_are_refused_when_queued():
    with pytest.raises(LookupError):
        outbox.enqueue("no.such.topic", {})


@pytest.mark.django_db
def test_a_taken_message_is_not_taken_again_until_its_lease_expires():
    outbox.enqueue("test.effect", {})
    assert len(outbox.claim("w1", lease=timedelta(seconds=60))) == 1
    assert outbox.claim("w2") == []
    OutboxMessage.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    again = outbox.claim("w2")
    assert [(m.attempts, m.locked_by) for m in again] == [(2, "w2")]


@pytest.mark.django_db
def test_failures_retry_with_growing_backoff_then_park(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = outbox.enqueue("test.flaky", {})
    delays = []
    for _ in range(3):
        OutboxMessage.objects.update(available_at=timezone.now())
        before = timezone.now()
        outbox.run_once("w1")
        message.refresh_from_db()
        delays.append((message.available_at - before).total_seconds())
    assert message.state == "parked"
    assert message.attempts == 3
    assert message.last_error == "RetryableError: the gateway timed out"
    assert 12 <= delays[0] <= 18 and 24 <= delays[1] <= 36  # 15 s, 30 s, ±20%
    OutboxMessage.objects.update(available_at=timezone.now())
    assert outbox.run_once("w1") == 0  # parked messages stay parked


@pytest.mark.django_db
def test_a_permanent_failure_parks_at_once_and_an_administrator_can_retry(django_user_model):
    admin = django_user_model.objects.create(username="quantri", kind="official", is_staff=True)
    message = outbox.enqueue("test.flaky", {"permanent": True})
    outbox.run_once("w1")
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("parked", 1)
    outbox.retry_parked(message, actor=admin)
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 0)
    rec = AuditRecord.objects.get(action="outbox.retry")
    assert rec.changes == {"state": ["parked", "pending"], "attempts": [1, 0]}


def test_backoff_doubles_and_is_capped():
    assert 12 <= outbox.backoff(1).total_seconds() <= 18
    assert 96 <= outbox.backoff(4).total_seconds() <= 144
    assert outbox.backoff(30) <= timedelta(hours=2.4)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_between_taking_and_finishing_gives_exactly_one_effect(tmp_path):
    message = outbox.enqueue("test.effect", {})
    signal_file = tmp_path / "effect-done"
    worker = subprocess.Popen(
        [sys.executable, str(HERE / "outbox_worker.py")],
        env=subprocess_env(
            TINHSO_OUTBOX_LEASE_SECONDS="2", TEST_HANG_AFTER_EFFECT=str(signal_file)
        ),
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while not signal_file.exists():
            assert worker.poll() is None, "the worker process died on its own"
            assert time.monotonic() < deadline, "the worker never took the message"
            time.sleep(0.05)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    message.refresh_from_db()
    assert (message.state, message.attempts, effects()) == ("pending", 1, 1)
    assert message.locked_until is not None  # taken, never finished

    assert outbox.run_once("w2") == 0  # the dead worker's lease still holds
    OutboxMessage.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert outbox.run_once("w2") == 1

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("delivered", 2)
    assert effects() == 1
    assert (
        ProcessedMessage.objects.filter(handler="test.effect", message_id=message.pk).count() == 1
    )
