"""Dossiers go to the portal ten to a call (issue 15: "across dossiers they go in parallel
and in batches"), each under its own claim, each record's answer its own: one refused
record parks only its dossier, one the portal has already is sent again as an update, the
others are recorded as sent; per dossier the order holds (docs/dvcqg.md, "Batches")."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.utils import timezone

from tinhso.core import outbox
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dvcqg import fields, queries, sync
from tinhso.dvcqg.client import PortalRejected
from tinhso.dvcqg.models import SyncState

from .support import WORKER, deliver, deliver_sync, deliver_together, pending_sync
from .test_claim import first_client_is, interrupted


def calls(portal) -> list[tuple[str, str, int | None]]:
    return [
        (c["service"], c["isUpdating"], c["records"])
        for c in portal.store()["calls"]
        if "service" in c
    ]


def only_sync_messages() -> None:
    """Other topics (notifications, rollups) are not the sync's: out of the way."""
    OutboxMessage.objects.exclude(topic=sync.TOPIC).update(state=OutboxMessage.State.DELIVERED)


def work_off() -> None:
    """A worker's loop, as `tinhso worker` runs it: claim (20 at a time), deliver, repeat."""
    while outbox.run_once(WORKER):
        pass


def test_twenty_changed_dossiers_go_in_two_record_calls_of_ten(synced, office):
    # given 20 dossiers submitted and received: 40 sync messages, two a dossier
    dossiers = [actions.receive(office.submitted(), officer=office.tiepnhan) for _ in range(20)]
    only_sync_messages()
    assert len(pending_sync()) == 40

    # when one worker works the outbox off (20 messages a claim: ten dossiers' two each)
    work_off()

    # then each claim went as one batch of ten dossiers: one DongBoHoSoMC call of ten
    # records (their newest state), their 20 progress rows ten to a call
    assert calls(synced) == [
        ("DongBoHoSoMC", "False", 10),
        ("CapNhatTienDoHoSoMC", "False", 10),
        ("CapNhatTienDoHoSoMC", "False", 10),
        ("DongBoHoSoMC", "False", 10),
        ("CapNhatTienDoHoSoMC", "False", 10),
        ("CapNhatTienDoHoSoMC", "False", 10),
    ]
    assert [c["path"] for c in synced.store()["calls"]].count("/auth") == 1
    store = synced.store()
    assert {code: r["TrangThaiHoSo"] for code, r in store["records"].items()} == {
        d.code: 2 for d in dossiers
    }
    for dossier in dossiers:  # each dossier's rows, in the order they happened
        events = DossierEvent.objects.filter(dossier=dossier).order_by("pk")
        assert [r["ThoiDiemXuLy"] for r in store["progress"] if r["MaHoSo"] == dossier.code] == [
            fields.national_date(e.at) for e in events
        ]
        state = SyncState.objects.get(dossier=dossier)
        assert (state.sent_version, state.progress_sent_through, state.claimed_by) == (
            events.last().pk,
            events.last().pk,
            "",
        )
    assert not pending_sync()
    assert (
        OutboxMessage.objects.filter(topic=sync.TOPIC, state=OutboxMessage.State.DELIVERED).count()
        == 40
    )
    audits = AuditRecord.objects.filter(action="dvcqg.synced")
    assert (
        sorted((a.changes["batch"], a.changes["progress_rows"]) for a in audits) == [(10, 2)] * 20
    )


def test_each_record_of_a_batch_ends_on_its_own(synced, office):
    # given three dossiers: one new, one the portal already holds (filed there, say), and
    # one whose record the portal will refuse (no applicant name)
    new, known, refused = office.submitted(), office.submitted(), office.submitted()
    seed = fields.dossier_record(queries.dossier_facts(known))
    requests.post(synced.url + "/_seed", json={"records": [seed]}, timeout=5).raise_for_status()
    Dossier.objects.filter(pk=refused.pk).update(applicant_name="")
    only_sync_messages()

    # when one worker delivers them (one batch)
    work_off()

    # then one creation call of the three records, the existing one again as an update,
    # and the progress rows of the two the portal took
    assert calls(synced) == [
        ("DongBoHoSoMC", "False", 3),
        ("DongBoHoSoMC", "True", 1),
        ("CapNhatTienDoHoSoMC", "False", 2),
    ]
    store = synced.store()
    assert set(store["records"]) == {new.code, known.code}
    assert {r["MaHoSo"] for r in store["progress"]} == {new.code, known.code}
    by_dossier = {m.payload["dossier"]: m for m in OutboxMessage.objects.filter(topic=sync.TOPIC)}
    assert by_dossier[new.pk].state == OutboxMessage.State.DELIVERED
    assert by_dossier[known.pk].state == OutboxMessage.State.DELIVERED
    # only the refused record's dossier is parked, with the portal's words
    parked = by_dossier[refused.pk]
    assert parked.state == OutboxMessage.State.PARKED
    assert parked.last_error == (
        f"PortalRejected: Cổng DVC quốc gia từ chối hồ sơ {refused.code}: "
        "Thiếu trường bắt buộc ChuHoSo (mã 1)"
    )
    states = {s.dossier_id: s for s in SyncState.objects.all()}
    for dossier in (new, known):
        state = states[dossier.pk]
        assert state.sent_version == queries.latest_version(dossier.pk)
        assert (state.created_at_portal, state.failed_attempts, state.last_error) == (
            True,
            0,
            "",
        )
    state = states[refused.pk]
    assert (state.sent_version, state.created_at_portal, state.claimed_by) == (0, False, "")
    assert (state.failed_attempts, state.last_failure) == (1, parked.last_error)
    audits = {a.changes["created"]: a for a in AuditRecord.objects.filter(action="dvcqg.synced")}
    assert set(audits) == {True, False}  # the new one created, the known one updated
    assert audits[True].object_id == str(new.pk)
    assert audits[False].object_id == str(known.pk)


def test_a_dossier_whose_claim_is_lost_mid_batch_leaves_it_the_others_go(
    synced, office, monkeypatch
):
    # given two dossiers the portal holds as submitted, both then received
    first, second = office.submitted(), office.submitted()
    assert deliver_sync() == [True, True]
    first = actions.receive(first, officer=office.tiepnhan)
    second = actions.receive(second, officer=office.tiepnhan)
    batch = pending_sync()
    assert [m.payload["dossier"] for m in batch] == [first.pk, second.pk]

    def meanwhile() -> None:
        # the batch has read both (received) and its record call waits; the first dossier's
        # claim runs out, a supplement is requested and another worker sends that (newer)
        SyncState.objects.filter(dossier=first).update(claimed_until=timezone.now())
        office.perform("request_supplement", Dossier.objects.get(pk=first.pk))
        newer = [m for m in pending_sync() if m.pk not in {b.pk for b in batch}]
        assert deliver(newer) == [True]

    first_client_is(monkeypatch, interrupted(synced.url, meanwhile=meanwhile))
    # when the batch goes on
    assert deliver_together(batch) == [False, True]

    # then its record call went without the first dossier (never its older state after
    # the newer one), the second dossier was sent and recorded, the first waits its turn
    assert calls(synced)[-4:] == [
        ("DongBoHoSoMC", "True", 1),  # the other worker: the supplement
        ("CapNhatTienDoHoSoMC", "False", 2),
        ("DongBoHoSoMC", "True", 1),  # the batch, the second dossier alone
        ("CapNhatTienDoHoSoMC", "False", 1),
    ]
    arrivals = [(a["MaHoSo"], a["TrangThaiHoSo"]) for a in synced.store()["arrivals"]]
    assert [s for code, s in arrivals if code == first.code] == [1, 5]
    assert [s for code, s in arrivals if code == second.code] == [1, 2]
    lost = OutboxMessage.objects.get(pk=batch[0].pk)
    assert (lost.state, lost.last_error) == (
        OutboxMessage.State.PENDING,
        f"ClaimLost: hồ sơ {first.pk}: tiến trình khác đã nhận gửi hồ sơ",
    )
    assert OutboxMessage.objects.get(pk=batch[1].pk).state == OutboxMessage.State.DELIVERED
    assert SyncState.objects.get(dossier=second).sent_version == queries.latest_version(second.pk)
    # and the lost message's retry finds the portal up to date and sends nothing
    sent = len(synced.store()["calls"])
    assert deliver([lost]) == [True]
    assert len(synced.store()["calls"]) == sent


def test_a_batch_whose_progress_call_fails_records_the_dossiers_already_complete(
    synced, office, monkeypatch
):
    # given three submitted dossiers, the first with 10 progress rows to send, so its rows
    # fill the first progress call and the other two's rows are in the second
    dossiers = [office.submitted() for _ in range(3)]
    for n in range(9):
        with_event(dossiers[0], f"ghi chú {n}")
    only_sync_messages()

    def after_progress() -> None:
        synced.mode("500")  # the portal fails after the first progress call

    client = interrupted(synced.url)
    client.after_progress = after_progress
    first_client_is(monkeypatch, client)
    messages = pending_sync()
    done = deliver_together(messages)
    # the first dossier's ten messages delivered, the other two's one each not
    assert [(m.payload["dossier"], ok) for m, ok in zip(messages, done, strict=True)] == [
        (dossiers[0].pk, True),
        (dossiers[1].pk, False),
        (dossiers[2].pk, False),
    ] + [(dossiers[0].pk, True)] * 9

    assert calls(synced) == [
        ("DongBoHoSoMC", "False", 3),
        ("CapNhatTienDoHoSoMC", "False", 10),
    ]
    state = SyncState.objects.get(dossier=dossiers[0])
    assert state.sent_version == queries.latest_version(dossiers[0].pk)
    for dossier in dossiers[1:]:
        state = SyncState.objects.get(dossier=dossier)
        assert (state.sent_version, state.failed_attempts) == (0, 1)
        assert state.last_error == "PortalUnavailable: Cổng DVC quốc gia trả lỗi HTTP 500"
    # the portal comes back: the two go together; nothing was recorded of them, so their
    # records go as creations, which the portal answers "đã tồn tại", then as updates
    synced.mode("normal")
    assert deliver_together(pending_sync()) == [True, True]
    assert calls(synced)[2:] == [
        ("DongBoHoSoMC", "False", 2),
        ("DongBoHoSoMC", "True", 2),
        ("CapNhatTienDoHoSoMC", "False", 2),
    ]
    for dossier in dossiers:
        assert SyncState.objects.get(dossier=dossier).sent_version == queries.latest_version(
            dossier.pk
        )


def with_event(dossier: Dossier, note: str) -> None:
    """A timeline line, as every dossier action writes (with its sync message)."""
    from django.db import transaction

    with transaction.atomic():
        actions._event(Dossier.objects.select_for_update().get(pk=dossier.pk), note)


def test_the_portal_takes_at_most_ten_records_a_call(portal):
    client = portal.client()
    record: dict[str, Any] = {
        "MaHoSo": "000.00.03.H66-260305-0001",
        "MaTTHC": "2.000488",
        "KenhThucHien": 2,
        "ChuHoSo": "Nguyễn Văn An",
        "TrangThaiHoSo": 1,
    }
    eleven = [{**record, "MaHoSo": f"000.00.03.H66-260305-{n:04d}"} for n in range(11)]
    with pytest.raises(ValueError, match="1 to 10 records"):
        client.send_records(eleven, update=False)
    with pytest.raises(PortalRejected) as caught:
        client.call("DongBoHoSoMC", eleven)
    assert caught.value.code == "1"
    rows = [
        {
            "MaHoSo": r["MaHoSo"],
            "ThoiDiemXuLy": "20260305150509",
            "NoiDungXuLy": "x",
            "TrangThai": 1,
        }
        for r in eleven
    ]
    with pytest.raises(PortalRejected) as caught:
        client.call("CapNhatTienDoHoSoMC", rows)
    assert caught.value.code == "1"
    assert portal.store()["records"] == {} and portal.store()["progress"] == []
    assert client.update_progress(rows) == 11  # the client sends them ten, then one
    assert calls(portal)[-2:] == [
        ("CapNhatTienDoHoSoMC", "False", 10),
        ("CapNhatTienDoHoSoMC", "False", 1),
    ]
