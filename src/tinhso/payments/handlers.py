"""Outbox handlers of the payment ledger: what follows a paid charge, once.

Legal sources: Decree 123/2020/NĐ-CP and Decree 70/2025/NĐ-CP (the electronic receipt is
issued when the money is collected); Decree 45/2020/NĐ-CP (the citizen is told the result).

`apply_outcome` and `record_counter_payment` queue one `payments.paid` message in the
transaction that marks a charge paid. Its handler issues the receipt, sets the dossier's fee
status and queues the citizen's e-mail in one transaction recorded with the message id
(`outbox.idempotent`), so a second delivery of the message does nothing.
"""

from __future__ import annotations

from tinhso.core import outbox
from tinhso.core.context import acting_as
from tinhso.core.models import OutboxMessage
from tinhso.payments import actions
from tinhso.payments.models import Attempt


@outbox.handler(actions.PAID_TOPIC)
@outbox.idempotent(actions.PAID_TOPIC)
def after_payment(message: OutboxMessage) -> None:
    attempt = (
        Attempt.objects.select_related("charge__dossier")
        .filter(pk=message.payload["attempt"])
        .first()
    )
    if attempt is None or attempt.state != Attempt.State.PAID:
        return
    with acting_as(None, channel="worker"):
        # The dossier's row (rank 1 of the lock order) before the receipt counter (rank 3).
        actions.mark_dossier_paid(attempt.charge.dossier)
        receipt = actions.issue_receipt(attempt)
        actions.tell_payer(attempt, receipt)
