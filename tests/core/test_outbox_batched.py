"""`outbox.batched()`: the messages of one action written by one INSERT at the end of the
block, inside the action's transaction, and not at all when the block fails (issue 12, the
API submission's round trips)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.core import outbox_handlers  # noqa: F401  (registers the test topics)
from tinhso.core import outbox
from tinhso.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def inserts(ctx: CaptureQueriesContext) -> int:
    return sum(1 for q in ctx.captured_queries if 'INSERT INTO "core_outboxmessage"' in q["sql"])


def test_the_block_writes_its_messages_with_one_insert_in_order():
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), outbox.batched():
        first = outbox.enqueue("test.effect", {"n": 1})
        outbox.enqueue("test.effect", {"n": 2})
        assert first.pk is None and not OutboxMessage.objects.exists()  # not yet written

    assert inserts(ctx) == 1
    assert list(OutboxMessage.objects.order_by("pk").values_list("payload", flat=True)) == [
        {"n": 1},
        {"n": 2},
    ]


def test_a_failing_block_writes_nothing_and_enqueue_writes_at_once_again_after_it():
    with pytest.raises(RuntimeError), transaction.atomic(), outbox.batched():
        outbox.enqueue("test.effect", {"n": 1})
        raise RuntimeError("the action failed")
    assert not OutboxMessage.objects.exists()

    with transaction.atomic():
        message = outbox.enqueue("test.effect", {"n": 2})
        assert message.pk is not None  # no longer batching


def test_a_nested_block_leaves_the_writing_to_the_outer_one():
    with CaptureQueriesContext(connection) as ctx, transaction.atomic(), outbox.batched():
        outbox.enqueue("test.effect", {"n": 1})
        with outbox.batched():
            outbox.enqueue("test.effect", {"n": 2})
        assert not OutboxMessage.objects.exists()
    assert inserts(ctx) == 1 and OutboxMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_batching_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError), outbox.batched():
        pass
