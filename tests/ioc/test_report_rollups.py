"""Field reports in the IOC's rollups: filed, verified, resolved through the feedback app's
own actions; the counters follow by the outbox and equal a recount."""

from __future__ import annotations

from django.utils import timezone

from tests.feedback.conftest import (  # noqa: F401  (the feedback world's fixtures)
    agencies,
    communes,
    new_report,
    province,
    roads,
)
from tinhso.core import outbox
from tinhso.core.models import OutboxMessage
from tinhso.feedback import actions
from tinhso.ioc import rollups
from tinhso.ioc.models import ReportDay


def deliver() -> None:
    for message in OutboxMessage.objects.filter(topic=rollups.REPORT_TOPIC, state="pending"):
        outbox.HANDLERS[message.topic](message)
        outbox.HANDLERS[message.topic](message)  # twice: a retry changes nothing
        OutboxMessage.objects.filter(pk=message.pk).update(state="delivered")


def totals() -> dict[str, int]:
    return {m: sum(getattr(r, m) for r in ReportDay.objects.all()) for m in rollups.REPORT_MEASURES}


def test_reports_filed_and_resolved_are_counted(new_report):  # noqa: F811
    first = actions.submit_report(new_report())
    actions.submit_report(new_report(description="Đèn đường hỏng trước chợ."))
    deliver()
    assert totals() == {
        "received": 2,
        "open": 2,
        "resolved": 0,
        "resolved_on_time": 0,
        "resolved_late": 0,
    }
    actions.verify_report(first, actor=None)
    actions.resolve_report(first, answer="Đã vá ổ gà.", actor=None)
    deliver()
    assert totals() == {
        "received": 2,
        "open": 1,
        "resolved": 1,
        "resolved_on_time": 1,
        "resolved_late": 0,
    }
    stored = {
        (r.day, r.agency_id, r.category_id, r.state): r.received
        for r in ReportDay.objects.filter(received__gt=0)
    }
    rollups.rebuild_reports()
    assert {
        (r.day, r.agency_id, r.category_id, r.state): r.received
        for r in ReportDay.objects.filter(received__gt=0)
    } == stored
    assert timezone.localdate() in {key[0] for key in stored}
