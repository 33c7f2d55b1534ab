"""Dossiers go to the portal ten to a call (issue 15: "across dossiers they go in parallel
and in batches"), each under its own claim, each record's answer its own: one refused
record parks only its dossier, one the portal has already is sent again as an update, the
others are recorded as sent; per dossier the order holds (docs/dvcqg.md, "Batches")."""

from __future__ import annotations

from collections import Counter
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


def test_a_progress_call_refused_as_a_whole_goes_again_one_dossier_a_call(
    synced, office, monkeypatch
):
    # given three submitted dossiers, the second's progress row one the portal refuses (no
    # NoiDungXuLy), and the portal refuses a call with such a row as a whole
    dossiers = [office.submitted() for _ in range(3)]
    bad = dossiers[1]
    real = fields.progress_rows

    def rows(code: str, events: Any, **kw: Any) -> list[dict[str, Any]]:
        out = real(code, events, **kw)
        return [{**r, "NoiDungXuLy": ""} for r in out] if code == bad.code else out

    monkeypatch.setattr(fields, "progress_rows", rows)
    only_sync_messages()
    messages = pending_sync()

    # when they go as one batch
    done = deliver_together(messages)

    # then the refused call goes again one dossier a call: only the bad one fails, named
    assert [(m.payload["dossier"], ok) for m, ok in zip(messages, done, strict=True)] == [
        (dossiers[0].pk, True),
        (bad.pk, False),
        (dossiers[2].pk, True),
    ]
    assert calls(synced) == [
        ("DongBoHoSoMC", "False", 3),
        ("CapNhatTienDoHoSoMC", "False", 3),  # refused as a whole
        ("CapNhatTienDoHoSoMC", "False", 1),
        ("CapNhatTienDoHoSoMC", "False", 1),  # the bad one's alone: refused
        ("CapNhatTienDoHoSoMC", "False", 1),
    ]
    assert [r["MaHoSo"] for r in synced.store()["progress"]] == [
        dossiers[0].code,
        dossiers[2].code,
    ]
    parked = OutboxMessage.objects.get(pk=messages[1].pk)
    assert (parked.state, parked.last_error) == (
        OutboxMessage.State.PARKED,
        f"PortalRejected: Cổng DVC quốc gia từ chối hồ sơ {bad.code}: Tiến độ không hợp lệ (mã 1)",
    )
    for dossier in (dossiers[0], dossiers[2]):
        state = SyncState.objects.get(dossier=dossier)
        latest = queries.latest_version(dossier.pk)
        assert (state.sent_version, state.progress_sent_through) == (latest, latest)
    state = SyncState.objects.get(dossier=bad)
    assert (state.sent_version, state.progress_sent_through, state.failed_attempts) == (0, 0, 1)


def test_a_record_call_refused_as_a_whole_goes_again_one_record_a_call(synced, office, monkeypatch):
    # given three submitted dossiers, the second's record without its code, so the portal
    # cannot answer it on its own and refuses the whole call
    dossiers = [office.submitted() for _ in range(3)]
    bad = dossiers[1]
    real = fields.dossier_record

    def record(facts: Any) -> dict[str, Any]:
        out = real(facts)
        return {k: v for k, v in out.items() if k != "MaHoSo"} if facts.code == bad.code else out

    monkeypatch.setattr(fields, "dossier_record", record)
    only_sync_messages()
    messages = pending_sync()

    # when they go as one batch
    done = deliver_together(messages)

    # then each record went again alone; only the one refused alone fails, named
    assert done == [True, False, True]
    assert calls(synced) == [
        ("DongBoHoSoMC", "False", 3),  # refused as a whole
        ("DongBoHoSoMC", "False", 1),
        ("DongBoHoSoMC", "False", 1),  # the bad one alone: refused
        ("DongBoHoSoMC", "False", 1),
        ("CapNhatTienDoHoSoMC", "False", 2),
    ]
    assert set(synced.store()["records"]) == {dossiers[0].code, dossiers[2].code}
    parked = OutboxMessage.objects.get(pk=messages[1].pk)
    assert (parked.state, parked.last_error) == (
        OutboxMessage.State.PARKED,
        f"PortalRejected: Cổng DVC quốc gia từ chối hồ sơ {bad.code}: Dữ liệu không hợp lệ (mã 1)",
    )


def progress_sent(portal) -> Counter[tuple[str, str, str]]:
    return Counter(
        (r["MaHoSo"], r["NoiDungXuLy"], r["ThoiDiemXuLy"]) for r in portal.store()["progress"]
    )


def fail_after_first_progress_call(synced, monkeypatch) -> None:
    client = interrupted(synced.url)
    client.after_progress = lambda: synced.mode("500")
    first_client_is(monkeypatch, client)


def test_a_progress_call_holds_whole_dossiers_so_a_retry_sends_no_row_twice(
    synced, office, monkeypatch
):
    # given four dossiers with three progress rows each (twelve: more than one call)
    dossiers = [office.submitted() for _ in range(4)]
    for dossier in dossiers:
        with_event(dossier, "bổ sung a")
        with_event(dossier, "bổ sung b")
    only_sync_messages()
    fail_after_first_progress_call(synced, monkeypatch)

    # when the portal fails after the first progress call
    messages = pending_sync()
    done = deliver_together(messages)

    # then that call held three whole dossiers (nine rows), not ten rows of four
    assert calls(synced) == [
        ("DongBoHoSoMC", "False", 4),
        ("CapNhatTienDoHoSoMC", "False", 9),
    ]
    assert {m.payload["dossier"] for m, ok in zip(messages, done, strict=True) if not ok} == {
        dossiers[3].pk
    }
    # and the retry sends the fourth's three rows only: each row reached the portal once
    synced.mode("normal")
    assert all(deliver_together(pending_sync()))
    assert calls(synced)[2:] == [
        ("DongBoHoSoMC", "False", 1),
        ("DongBoHoSoMC", "True", 1),
        ("CapNhatTienDoHoSoMC", "False", 3),
    ]
    sent = progress_sent(synced)
    assert len(sent) == 12 and set(sent.values()) == {1}


def test_a_dossier_with_more_than_ten_rows_records_each_call_so_none_goes_twice(
    synced, office, monkeypatch
):
    # given a dossier with thirteen new progress rows and one with one
    many, one = office.submitted(), office.submitted()
    for n in range(12):
        with_event(many, f"ghi chú {n}")
    only_sync_messages()
    fail_after_first_progress_call(synced, monkeypatch)

    # when the portal fails after the first progress call (ten of the thirteen rows)
    assert deliver_together(pending_sync()) == [False, False] + [False] * 12
    assert calls(synced) == [
        ("DongBoHoSoMC", "False", 2),
        ("CapNhatTienDoHoSoMC", "False", 10),
    ]

    # then how far the first dossier's rows went is recorded, its record not
    events = list(DossierEvent.objects.filter(dossier=many).order_by("pk"))
    state = SyncState.objects.get(dossier=many)
    assert (state.sent_version, state.progress_sent_through) == (0, events[9].pk)
    assert SyncState.objects.get(dossier=one).progress_sent_through == 0
    # and the retry sends the three left and the other's one, each row once
    synced.mode("normal")
    assert all(deliver_together(pending_sync()))
    assert calls(synced)[2:] == [
        ("DongBoHoSoMC", "False", 2),
        ("DongBoHoSoMC", "True", 2),
        ("CapNhatTienDoHoSoMC", "False", 4),
    ]
    sent = progress_sent(synced)
    assert len(sent) == 14 and set(sent.values()) == {1}
    state.refresh_from_db()
    assert state.progress_sent_through == state.sent_version == events[-1].pk


def test_a_slow_batch_keeps_its_outbox_lease(synced, office, monkeypatch, settings):
    # given three dossiers' messages claimed by this worker
    settings.OUTBOX_LEASE_SECONDS = 120
    dossiers = [office.submitted() for _ in range(3)]
    only_sync_messages()
    messages = pending_sync()
    ids = [m.pk for m in messages]

    def lease_ran_out() -> None:  # the portal was slow: the outbox lease has run out
        OutboxMessage.objects.filter(pk__in=ids).update(locked_until=timezone.now())

    taken: list[list[OutboxMessage]] = []
    client = interrupted(synced.url, meanwhile=lease_ran_out)
    client.after_progress = lambda: taken.append(outbox.claim("another-worker"))
    first_client_is(monkeypatch, client)

    # when the batch goes on
    assert deliver_together(messages) == [True, True, True]

    # then its next request renewed the lease: another worker took none of them meanwhile
    assert taken == [[]]
    assert set(OutboxMessage.objects.filter(pk__in=ids).values_list("state", "attempts")) == {
        (OutboxMessage.State.DELIVERED, 1)
    }
    assert {s.dossier_id for s in SyncState.objects.filter(sent_version__gt=0)} == {
        d.pk for d in dossiers
    }
