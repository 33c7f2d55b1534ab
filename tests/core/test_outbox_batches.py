"""Batched outbox delivery (issue 12): one statement claims a batch under a lease, one
acknowledges its successes; failures keep their own retry time; a lease taken over by another
worker is not acknowledged by the first, so delivery stays at least once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.core import outbox_handlers  # noqa: F401  (registers test.flaky)
from tinhso.core import outbox
from tinhso.core.models import OutboxMessage

handled: list[int] = []


@outbox.handler("test.batch")
def _record(message: OutboxMessage) -> None:
    handled.append(message.payload["i"])


@outbox.handler("test.batch_personal", personal=("phone",))
def _record_personal(message: OutboxMessage) -> None:
    handled.append(message.payload["i"])


@pytest.fixture(autouse=True)
def _seen():
    handled.clear()
    yield
    handled.clear()


def queue(n: int, topic: str = "test.batch", **extra) -> list[OutboxMessage]:
    now = timezone.now()
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(
            topic=topic,
            payload={"i": i, **extra},
            available_at=now - timedelta(seconds=n - i),
        )
        for i in range(n)
    )


@pytest.mark.django_db
def test_a_batch_is_claimed_in_one_statement_oldest_first(django_assert_num_queries):
    queue(30)
    OutboxMessage.objects.create(
        topic="test.batch", payload={"i": 99}, available_at=timezone.now() + timedelta(hours=1)
    )

    with django_assert_num_queries(1):
        taken = outbox.claim("w1", limit=20, lease=timedelta(seconds=60))

    assert [m.payload["i"] for m in taken] == list(range(20))
    assert {(m.attempts, m.locked_by) for m in taken} == {(1, "w1")}
    held = OutboxMessage.objects.filter(locked_by="w1")
    assert held.count() == 20
    assert all(m.locked_until > timezone.now() + timedelta(seconds=50) for m in held)


@pytest.mark.django_db
def test_run_once_is_two_statements_for_a_whole_batch(django_assert_num_queries):
    queue(20)

    with django_assert_num_queries(2):  # the claim, the acknowledgement
        assert outbox.run_once("w1", limit=20) == 20

    assert handled == list(range(20))
    assert set(OutboxMessage.objects.values_list("state", "locked_by", "attempts")) == {
        ("delivered", "", 1)
    }
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_failure_in_the_batch_is_written_alone_and_the_rest_delivered(
    django_assert_num_queries,
):
    queue(5)
    flaky = OutboxMessage.objects.create(topic="test.flaky", payload={})

    with django_assert_num_queries(3):  # claim, the failure, the acknowledgement
        assert outbox.run_once("w1", limit=20) == 6

    flaky.refresh_from_db()
    assert (flaky.state, flaky.attempts, flaky.locked_by) == ("pending", 1, "")
    assert flaky.available_at > timezone.now() + timedelta(seconds=10)  # its own backoff
    assert OutboxMessage.objects.filter(state="delivered").count() == 5


@pytest.mark.django_db
def test_personal_fields_are_erased_per_message_in_the_one_acknowledgement(
    django_assert_num_queries,
):
    queue(3, topic="test.batch_personal", phone="0912345678")
    queue(2, phone="0912345678")

    with django_assert_num_queries(2):
        outbox.run_once("w1", limit=20)

    payloads = {(m.topic, m.payload["i"]): m.payload["phone"] for m in OutboxMessage.objects.all()}
    assert payloads == {
        ("test.batch_personal", 0): outbox.ERASED,
        ("test.batch_personal", 1): outbox.ERASED,
        ("test.batch_personal", 2): outbox.ERASED,
        ("test.batch", 0): "0912345678",  # that topic declares no personal field
        ("test.batch", 1): "0912345678",
    }


@pytest.mark.django_db
def test_a_crashed_workers_batch_is_taken_again_after_its_lease():
    queue(4)
    first = outbox.claim("w1", limit=10, lease=timedelta(seconds=60))
    assert outbox.claim("w2", limit=10) == []  # the lease holds

    OutboxMessage.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    again = outbox.claim("w2", limit=10)

    assert sorted(m.pk for m in again) == sorted(m.pk for m in first)
    assert {(m.attempts, m.locked_by) for m in again} == {(2, "w2")}
    # the first worker, back late, records nothing: the messages are w2's now
    assert outbox.acknowledge(first, "w1") == 0
    assert OutboxMessage.objects.filter(state="delivered").count() == 0
    assert outbox.acknowledge(again, "w2") == 4
    assert OutboxMessage.objects.filter(state="delivered").count() == 4


@pytest.mark.django_db
def test_delivered_and_parked_messages_are_never_claimed():
    delivered, parked, pending = queue(3)
    OutboxMessage.objects.filter(pk=delivered.pk).update(state="delivered")
    OutboxMessage.objects.filter(pk=parked.pk).update(state="parked")

    assert [m.pk for m in outbox.claim("w1", limit=10)] == [pending.pk]


@outbox.handler("test.contended")
def _contended(message: OutboxMessage) -> None:
    raise outbox.Contended("another worker holds it")


@pytest.mark.django_db
def test_a_message_another_worker_holds_the_resource_of_is_not_counted_as_an_attempt(
    settings,
):
    # given a message whose handler finds what it needs held elsewhere (the sync's Busy)
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = OutboxMessage.objects.create(topic="test.contended", payload={})
    for _ in range(3):  # more tries than the attempts that park a failing message
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        assert outbox.run_once("w1") == 1
        message.refresh_from_db()
        # then it waits its turn, uncounted, never parked
        assert (message.state, message.attempts, message.locked_by) == ("pending", 0, "")
        assert message.available_at > timezone.now() + timedelta(seconds=10)
    assert message.last_error == "Contended: another worker holds it"


leases_seen: list[float] = []


@outbox.handler("test.slow")
def _slow(message: OutboxMessage) -> None:
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert stored.locked_until is not None
    leases_seen.append((stored.locked_until - timezone.now()).total_seconds())
    time.sleep(1.1)


@pytest.mark.django_db
def test_messages_waiting_behind_a_slow_one_keep_their_lease(settings):
    # given a lease of 2 s and two messages whose handler takes 1.1 s each
    settings.OUTBOX_LEASE_SECONDS = 2
    leases_seen.clear()
    queue(2, topic="test.slow")

    # when one worker delivers both from one claim
    assert outbox.run_once("w1") == 2

    # then the second still had most of a lease when its turn came (renewed after the
    # first took half of it), so no other worker could have taken it meanwhile
    assert len(leases_seen) == 2
    assert leases_seen[1] > 1.5
    assert OutboxMessage.objects.filter(state="delivered").count() == 2


@pytest.mark.django_db
def test_renew_extends_only_the_leases_this_worker_still_holds():
    queue(2)
    taken = outbox.claim("w1", lease=timedelta(seconds=1))
    OutboxMessage.objects.filter(pk=taken[1].pk).update(locked_by="w2")  # taken over

    assert outbox.renew(taken, timedelta(minutes=2)) == {taken[0].pk}

    mine, theirs = (OutboxMessage.objects.get(pk=m.pk) for m in taken)
    assert mine.locked_until > timezone.now() + timedelta(seconds=100)
    assert theirs.locked_until < timezone.now() + timedelta(seconds=2)
