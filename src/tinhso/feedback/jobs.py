"""Periodic work of the feedback app: escalate reports whose deadline has passed."""

from tinhso.core import context
from tinhso.core.periodic import periodic
from tinhso.feedback import actions


@periodic("feedback.escalate_overdue", every_seconds=300)
def escalate_overdue() -> None:
    with context.acting_as(None, channel="worker"):
        actions.escalate_overdue()
