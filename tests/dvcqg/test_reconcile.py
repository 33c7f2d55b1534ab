"""The daily reconciliation (docs/dvcqg.md, "Reconciliation"): the portal is asked about the
day's lagging dossiers and a sample, what differs is queued again, and each dossier counts
once per agency as synced, pending, parked or mismatched."""

from __future__ import annotations

import json
import random
from io import StringIO

import requests
from django.core.management import call_command
from django.utils import timezone

from tinhso.core import periodic
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dvcqg import fields, reconcile, sync
from tinhso.dvcqg.models import SyncState

from .support import deliver_sync, pending_sync


def today():
    return timezone.now().astimezone(fields.VIETNAM).date()


def tamper(portal, code: str, **changes) -> None:
    record = {**portal.store()["records"][code], **changes}
    requests.post(portal.url + "/_seed", json={"records": [record]}, timeout=5).raise_for_status()


def counts(report):
    return {
        row.agency: (row.synced, row.pending, row.parked, row.mismatched) for row in report.agencies
    }


def test_a_day_in_step_counts_synced_and_sends_nothing(synced, office):
    first, second = office.received(), office.submitted()
    deliver_sync()
    report = reconcile.run(today(), sample=10)
    assert counts(report) == {"000.00.03.H66": (2, 0, 0, 0)}
    assert report.checked == 2 and report.resent == []
    assert pending_sync() == []
    assert first.code and second.code


def test_a_record_the_portal_holds_otherwise_is_resent_and_then_matches(synced, office):
    dossier = office.received()
    other = office.submitted()
    deliver_sync()
    tamper(synced, dossier.code, TrangThaiHoSo=1)  # the portal kept an older state
    report = reconcile.run(today(), sample=10, rng=random.Random(1))
    assert counts(report) == {"000.00.03.H66": (1, 0, 0, 1)}
    assert report.resent == [dossier.code]
    resent = AuditRecord.objects.get(action="dvcqg.reconcile_resent")
    assert resent.changes["fields"][1] == ["TrangThaiHoSo"]
    [message] = pending_sync()
    assert message.payload["refresh"] is True
    deliver_sync()
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 2
    assert counts(reconcile.run(today(), sample=10)) == {"000.00.03.H66": (2, 0, 0, 0)}
    assert other.code in synced.store()["records"]


def test_a_record_the_portal_lost_is_created_again(synced, office):
    dossier = office.received()
    deliver_sync()
    requests.post(synced.url + "/_forget", json={"MaHoSo": dossier.code}, timeout=5)
    report = reconcile.run(today(), sample=10)
    assert counts(report) == {"000.00.03.H66": (0, 0, 0, 1)}
    assert report.resent == [dossier.code]
    assert SyncState.objects.get(dossier=dossier).created_at_portal is False
    deliver_sync()
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 2
    assert ("DongBoHoSoMC", "False") in synced.services()[-2:]


def test_lagging_waiting_and_parked_dossiers(synced, office):
    lagging = office.received()
    waiting = office.submitted()
    parked = office.submitted()
    deliver_sync()
    # lagging: changed after its sync, and its message was lost (delivered without sending)
    lagging = actions.forward(lagging, officer=office.chuyenvien)
    for m in pending_sync():
        if m.payload["dossier"] == lagging.pk:
            OutboxMessage.objects.filter(pk=m.pk).update(state=OutboxMessage.State.DELIVERED)
    # waiting: changed, its message not yet delivered
    actions.receive(waiting, officer=office.tiepnhan)
    # parked: its message parked with the portal's reason
    actions.receive(parked, officer=office.tiepnhan)
    [p] = [m for m in pending_sync() if m.payload["dossier"] == parked.pk]
    OutboxMessage.objects.filter(pk=p.pk).update(
        state=OutboxMessage.State.PARKED, last_error="PortalRejected: mã 1"
    )
    report = reconcile.run(today(), sample=0)
    assert counts(report) == {"000.00.03.H66": (0, 1, 1, 1)}
    assert report.resent == [lagging.code]
    assert report.checked == 1


def test_an_unreachable_portal_leaves_lagging_dossiers_pending(synced, office):
    office.submitted()
    for m in pending_sync():
        OutboxMessage.objects.filter(pk=m.pk).update(state=OutboxMessage.State.DELIVERED)
    synced.mode("500")
    report = reconcile.run(today(), sample=5)
    assert report.unreachable == 1 and report.checked == 0
    assert counts(report) == {"000.00.03.H66": (0, 1, 0, 0)}


def test_the_command_reports_per_agency_in_text_and_json(synced, office):
    office.received()
    deliver_sync()
    out = StringIO()
    call_command("dvcqg", "reconcile", "--date", today().isoformat(), stdout=out)
    text = out.getvalue()
    assert "Đối soát ngày" in text and "000.00.03.H66" in text
    out = StringIO()
    call_command("dvcqg", "reconcile", "--date", today().isoformat(), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["agencies"][0]["agency"] == "000.00.03.H66"
    assert data["agencies"][0]["synced"] == 1


def test_the_reconciliation_is_a_periodic_job(synced, office):
    assert "dvcqg.reconcile" in periodic.JOBS
    office.received()
    deliver_sync()
    reports = periodic.JOBS["dvcqg.reconcile"].run()
    assert isinstance(reports, list) and reports[-1].day == today().isoformat()
    assert sync.enabled()
