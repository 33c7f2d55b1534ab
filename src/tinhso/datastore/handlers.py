"""Outbox handlers of the data store (Decree 45/2020/NĐ-CP: the electronic result of a
dossier enters its holder's store).

`dossiers.actions.results.return_result` queues one `datastore.result_returned` message in
the transaction that returns the result; this handler enters the dossier's electronic results
into the store once (`add_result` itself enters nothing twice, and `outbox.idempotent` keeps a
second delivery from doing anything).
"""

from __future__ import annotations

from tinhso.core import outbox
from tinhso.core.context import acting_as
from tinhso.core.models import OutboxMessage
from tinhso.datastore import actions

RESULT_RETURNED = "datastore.result_returned"


@outbox.handler(RESULT_RETURNED)
@outbox.idempotent(RESULT_RETURNED)
def enter_returned_result(message: OutboxMessage) -> None:
    from tinhso.dossiers.models import Dossier

    dossier = (
        Dossier.objects.select_related("agency", "version")
        .filter(pk=message.payload["dossier"])
        .first()
    )
    if dossier is None:
        return
    with acting_as(None, channel="worker"):
        actions.add_result(dossier)
