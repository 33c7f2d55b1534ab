"""`tinhso dvcqg status` and `tinhso dvcqg resend CODE`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.models import DossierEvent
from tinhso.dvcqg import sync
from tinhso.dvcqg.models import SyncState

from .support import deliver_sync, pending_sync


def run(*args: str) -> str:
    out = StringIO()
    call_command("dvcqg", *args, stdout=out)
    return out.getvalue()


def test_status_counts_what_the_portal_holds_and_what_it_does_not(synced, office):
    first = office.submitted()
    second = office.submitted()
    deliver_sync()
    actions.receive(second, officer=office.tiepnhan)  # queued, not yet delivered
    assert json.loads(run("status", "--json")) == {
        "enabled": True,
        "dossiers": 2,
        "up_to_date": 1,
        "behind": [second.code],
        "pending": 1,
        "parked": [],
    }
    assert run("status") == (
        f"Đồng bộ: bật ({synced.url})\n"
        "Hồ sơ: 2, đã đồng bộ bản mới nhất: 1, chưa: 1\n"
        "Tin chờ gửi: 1, tin bị dừng: 0\n"
        f"  chưa đồng bộ: {second.code}\n"
    )
    assert first.code in synced.store()["records"]


def test_status_says_when_sync_is_off(settings, office):
    settings.DVCQG_URL = ""
    office.submitted()
    assert run("status").splitlines()[:2] == [
        "Đồng bộ: tắt (TINHSO_DVCQG_URL trống)",
        "Hồ sơ: 1, đã đồng bộ bản mới nhất: 0, chưa: 1",
    ]


def test_resend_sends_the_current_state_again_without_repeating_progress(synced, office):
    dossier = office.submitted()
    deliver_sync()
    progress = len(synced.store()["progress"])
    out = run("resend", dossier.code)
    message = pending_sync()[0]
    assert out == f"Đã đưa hồ sơ {dossier.code} vào hàng đợi gửi lại (tin #{message.pk}).\n"
    assert message.payload == {
        "dossier": dossier.pk,
        "version": DossierEvent.objects.get(dossier=dossier).pk,
    }
    record = AuditRecord.objects.get(action="dvcqg.resend_requested")
    assert record.changes["sent_version"][1] == 0
    assert record.changes["created_at_portal"] == [True, False]
    assert deliver_sync() == [True]
    # sent as a creation; the portal has it, so it is sent again as an update
    assert synced.services()[-2:] == [("DongBoHoSoMC", "False"), ("DongBoHoSoMC", "True")]
    assert len(synced.store()["progress"]) == progress
    assert SyncState.objects.get(dossier=dossier).created_at_portal is True


def test_resend_of_an_unknown_dossier_is_refused_and_changes_nothing(synced, office):
    with pytest.raises(CommandError) as caught:
        run("resend", "000.00.03.H66-991231-0001")
    assert str(caught.value) == "Không có hồ sơ mã 000.00.03.H66-991231-0001."
    assert OutboxMessage.objects.filter(topic=sync.TOPIC).count() == 0
    assert not AuditRecord.objects.filter(action="dvcqg.resend_requested").exists()


def test_resend_is_refused_while_sync_is_off(settings, office):
    settings.DVCQG_URL = ""
    dossier = office.submitted()
    with pytest.raises(CommandError, match="Chưa bật đồng bộ: TINHSO_DVCQG_URL"):
        run("resend", dossier.code)
    assert SyncState.objects.count() == 0
