"""A payment marked paid refreshes the operations centre's counters by itself (issue 16: the
month glance said 0 paid online while index 3.5 counted 9 of 13, because the counters waited
for the dossier's next event)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.payments.ledger_support import callback, dossier, query_string, use_test_merchant, world
from tinhso.core import outbox
from tinhso.core.models import OutboxMessage
from tinhso.ioc import rollups
from tinhso.payments import actions


def paid_online() -> int:
    return sum(m.get("paid_online", 0) for m in rollups.stored().values())


def deliver() -> int:
    pending = list(OutboxMessage.objects.filter(topic=rollups.TOPIC, state="pending"))
    for message in pending:
        outbox.HANDLERS[message.topic](message)
    return len(pending)


@pytest.mark.django_db
def test_paying_online_counts_without_another_dossier_event(client, settings):
    use_test_merchant(settings)
    settings.DVCQG_URL = ""
    d = dossier(world())
    d.state, d.received_at = d.State.RECEIVED, timezone.now()  # counted from its reception
    d.save(update_fields=["state", "received_at"])
    rollups.refresh(d.pk)
    assert paid_online() == 0
    charge = actions.charge_for(d, "submission")
    attempt = actions.start_attempt(charge, "vnpay", "203.0.113.7", "http://testserver/r")
    events_before = d.events.count()
    url = f"/payments/vnpay/ipn?{query_string(callback(attempt.txn_ref, 200000))}"
    assert client.get(url).json()["RspCode"] == "00"
    assert d.events.count() == events_before  # no dossier event: the payment's own hook
    queued = OutboxMessage.objects.filter(topic=rollups.TOPIC, state="pending")
    assert [m.payload for m in queued] == [{"dossier": d.pk}]
    assert deliver() == 1
    assert paid_online() == 1
    assert rollups.stored() == rollups.recount()
    # the gateway's repeat delivery queues nothing more
    assert client.get(url).json()["RspCode"] == "02"
    assert OutboxMessage.objects.filter(topic=rollups.TOPIC).count() == 1
