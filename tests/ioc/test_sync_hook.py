"""A dossier's first successful national sync refreshes the operations centre's "synced"
counter by itself (issue 16), not at the dossier's next event."""

from __future__ import annotations

import pytest

from tests.dvcqg.conftest import portal, synced  # noqa: F401  (fixtures: the portal peer)
from tests.dvcqg.support import deliver_sync
from tinhso.core import outbox
from tinhso.core.models import OutboxMessage
from tinhso.dossiers import actions
from tinhso.ioc import rollups


def synced_count() -> int:
    return sum(m.get("synced", 0) for m in rollups.stored().values())


def deliver_ioc() -> int:
    pending = list(OutboxMessage.objects.filter(topic=rollups.TOPIC, state="pending"))
    for message in pending:
        outbox.HANDLERS[message.topic](message)
        message.state = "delivered"
        message.save(update_fields=["state"])
    return len(pending)


@pytest.mark.django_db
def test_the_first_sync_counts_the_dossier_synced_without_another_event(synced, office):  # noqa: F811
    dossier = actions.receive(office.submitted(), officer=office.tiepnhan)
    deliver_ioc()
    assert synced_count() == 0
    events = dossier.events.count()
    assert deliver_sync() == [True, True]  # submitted, received: one record, created once
    assert dossier.events.count() == events
    assert deliver_ioc() == 1  # queued by the first successful sync only
    assert synced_count() == 1
    assert rollups.stored() == rollups.recount()
