"""Periodic work of the one-stop shop: remind agencies at fault to apologise in time."""

from tinhso.core import context
from tinhso.core.periodic import periodic
from tinhso.dossiers import actions


@periodic("dossiers.remind_apologies", every_seconds=900)
def remind_apologies() -> None:
    with context.acting_as(None, channel="worker"):
        actions.remind_apologies()
