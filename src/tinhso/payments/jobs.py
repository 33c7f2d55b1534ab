"""Periodic work of the payment ledger: the query that settles what no callback did.

Legal source: Decree 45/2020/NĐ-CP art. 9 (a fee paid online is accounted for). A callback's
delivery cannot be proven (docs/payments.md: Open Forms #6191, GOV.UK Pay's "mop-up"), so
every 10 minutes the worker asks the gateway about attempts pending for 15 minutes to 3 days
(`actions.reconcile_pending`), and about refunds sent and not yet settled
(`actions.reconcile_refunds`); both are idempotent, so a second worker running them too is
harmless.
"""

from __future__ import annotations

from tinhso.core.context import acting_as
from tinhso.core.periodic import periodic
from tinhso.payments import actions


@periodic("payments.reconcile_pending", every_seconds=600)
def reconcile_pending() -> object:
    with acting_as(None, channel="worker"):
        return actions.reconcile_pending()


@periodic("payments.reconcile_refunds", every_seconds=600)
def reconcile_refunds() -> object:
    with acting_as(None, channel="worker"):
        return actions.reconcile_refunds()
