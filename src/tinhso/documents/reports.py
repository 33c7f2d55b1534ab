"""Figures the province reports on official documents, per agency and period.

Legal source: Decree 30/2020/NĐ-CP (electronic documents and digital signatures), and the
provincial digital-transformation indicators on documents exchanged fully electronically and
digitally signed [UNCONFIRMED: the exact indicator definitions of the reporting circular].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from tinhso.documents.models import Assignment, Direction, Document


@dataclass(frozen=True)
class Figures:
    received: int
    sent: int
    electronic_share: float  # of documents received and sent, the share exchanged electronically
    signed_share: float  # of documents sent, the share with the agency's digital signature
    average_handling_days: float | None  # registered → finished, calendar days
    overdue: int  # assignments past their deadline (open now, or closed late)


def figures(agency_id: int, start: datetime, end: datetime, *, now: datetime) -> Figures:
    docs: QuerySet[Document] = Document.objects.filter(
        agency_id=agency_id, created_at__gte=start, created_at__lt=end
    )
    received = docs.filter(direction=Direction.INCOMING).exclude(state=Document.State.REJECTED)
    sent = docs.filter(direction=Direction.OUTGOING, state__in=["issued", "recalled"])
    n_received, n_sent = received.count(), sent.count()
    total = n_received + n_sent
    electronic = (
        received.filter(channel=Document.Channel.ELECTRONIC).count()
        + sent.filter(channel=Document.Channel.ELECTRONIC).count()
    )
    signed = sent.filter(agency_signed=True).count()
    durations = [
        (d.updated_at - d.registered_at).total_seconds() / 86400
        for d in received.filter(state=Document.State.FINISHED).exclude(registered_at=None)
        if d.registered_at
    ]
    assignments = Assignment.objects.filter(document__in=received)
    overdue = 0
    for a in assignments:
        done = a.completed_at or now
        if done > a.deadline:
            overdue += 1
    return Figures(
        received=n_received,
        sent=n_sent,
        electronic_share=electronic / total if total else 0.0,
        signed_share=signed / n_sent if n_sent else 0.0,
        average_handling_days=sum(durations) / len(durations) if durations else None,
        overdue=overdue,
    )


def certificate_counts(*, now: datetime) -> dict[str, dict[str, int]]:
    """Certificates of officials and of agencies by state (expired counted by date)."""
    from tinhso.documents.models import Certificate

    counts = {
        owner: {"active": 0, "revoked": 0, "expired": 0} for owner in ("officials", "agencies")
    }
    for cert in Certificate.objects.exclude(owner_user=None, owner_agency=None):
        owner = "officials" if cert.owner_user_id else "agencies"
        state = cert.state
        if state == Certificate.State.ACTIVE and cert.not_after <= now:
            state = Certificate.State.EXPIRED
        counts[owner][state] += 1
    return counts
