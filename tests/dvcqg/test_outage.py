"""The portal goes away and comes back (issue 15, "Done when"): down (connections dropped)
for 60 s, then answering HTTP 500 for 30 s, while 200 dossiers change state four times each
(submitted while the portal is down, then received, forwarded, approved or refused during
the outage's 90 s) and four outbox workers keep trying. Afterwards the portal holds every
dossier in its latest state, no dossier's records arrived out of order (the peer keeps the
order it accepted them in), and the retries are visible (SyncState.failed_attempts and
last_failure, the outbox messages' attempts).

PostgreSQL only (four workers writing at once), and slow: about four minutes at full
scale. TIME IS SCALABLE: `TINHSO_DVCQG_OUTAGE_SCALE` (default 1) multiplies the outage's
two durations AND the outbox's retry backoff base (15 s) by the same factor, so 0.1 runs
the same story in a tenth of the time (6 s down, 3 s of 500s, retries from 1.5 s). The
default is the issue's real 60 s and 30 s with the real backoff (docs/dvcqg.md, "Tests").
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from tinhso.core import outbox
from tinhso.core.models import OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier
from tinhso.dvcqg import fields, queries, sync
from tinhso.dvcqg.models import SyncState

SCALE = float(os.environ.get("TINHSO_DVCQG_OUTAGE_SCALE", "1"))
DOWN = 60 * SCALE
ERRORS = 30 * SCALE
DOSSIERS = 200
WORKERS = 4
# TrangThaiHoSo along the paths below (submitted 1, received 2, forwarded 4, approved 4 or
# refused 8): a record that arrives must never come before one it follows
RANK = {1: 0, 2: 1, 4: 2, 8: 3}


def _work(stop: threading.Event, name: str) -> None:
    try:
        while not stop.is_set():
            if not outbox.run_once(name, limit=10):
                stop.wait(0.1)
    finally:
        connection.close()


def _sync_settled() -> bool:
    return not OutboxMessage.objects.filter(
        topic=sync.TOPIC, state=OutboxMessage.State.PENDING
    ).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_outage_loses_nothing_and_sends_nothing_out_of_order(
    synced, office, settings, monkeypatch
):
    if connection.vendor == "sqlite":
        pytest.skip("four workers writing at once: PostgreSQL")
    monkeypatch.setattr(outbox, "BACKOFF_BASE", timedelta(seconds=15 * SCALE))
    if SCALE < 1:  # the changes take as long at any scale, so scaled retries run out sooner
        settings.OUTBOX_MAX_ATTEMPTS = 12
    portal = synced
    portal.mode("down")
    stop = threading.Event()
    workers = [
        threading.Thread(target=_work, args=(stop, f"outage-worker-{i}"), daemon=True)
        for i in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        # the portal is already down while the 200 dossiers are submitted (their first state
        # change); the outage's clock starts once they all are, so that every dossier's sync
        # meets the outage whatever this machine's speed
        dossiers = [office.submitted() for _ in range(DOSSIERS)]
        start = time.monotonic()

        def switch() -> None:
            time.sleep(DOWN)
            portal.mode("500")
            time.sleep(ERRORS)
            portal.mode("normal")

        switcher = threading.Thread(target=switch, daemon=True)
        switcher.start()
        window = DOWN + ERRORS

        def round_at(fraction: float) -> None:
            time.sleep(max(0.0, start + window * fraction - time.monotonic()))

        # three more changes each, spread over the outage (each round waits for its time)
        round_at(0.1)
        dossiers = [actions.receive(d, officer=office.tiepnhan) for d in dossiers]
        round_at(0.4)
        dossiers = [actions.forward(d, officer=office.chuyenvien) for d in dossiers]
        round_at(0.7)
        dossiers = [
            actions.approve(d, officer=office.lanhdao)
            if i % 2 == 0
            else actions.refuse(d, officer=office.lanhdao, reason="Không đủ điều kiện cấp.")
            for i, d in enumerate(dossiers)
        ]
        changes_done = time.monotonic() - start
        switcher.join()
        deadline = time.monotonic() + max(600.0, 10 * window)
        while not _sync_settled():
            assert time.monotonic() < deadline, "the sync did not catch up"
            time.sleep(0.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        close_old_connections()

    store = portal.store()
    # every dossier, in its latest state: exactly the record tinhso would send now
    for dossier in dossiers:
        fresh = Dossier.objects.get(pk=dossier.pk)
        expected = fields.dossier_record(queries.dossier_facts(fresh))
        assert store["records"][fresh.code] == expected
        assert expected["TrangThaiHoSo"] == (4 if dossier.state == Dossier.State.APPROVED else 8)
        state = SyncState.objects.get(dossier=fresh)
        assert state.sent_version == queries.latest_version(fresh.pk)
    assert len(store["records"]) == DOSSIERS
    # nothing out of order, per dossier: each accepted record at or after the one before it
    arrived: dict[str, list[int]] = defaultdict(list)
    for item in store["arrivals"]:
        arrived[item["MaHoSo"]].append(RANK[item["TrangThaiHoSo"]])
    for code, ranks in arrived.items():
        assert ranks == sorted(ranks), f"{code} arrived out of order: {ranks}"
    # progress rows: each dossier's five timeline lines, in the order they happened
    rows: dict[str, list[str]] = defaultdict(list)
    for row in store["progress"]:
        rows[row["MaHoSo"]].append(row["ThoiDiemXuLy"])
    for dossier in dossiers:
        times = rows[dossier.code]
        assert times == sorted(times)
        assert len(set(times)) >= 1 and len(times) >= 4
    # the retries are visible: every dossier's sync failed at least once, and said why
    states = list(SyncState.objects.all())
    assert len(states) == DOSSIERS
    assert all(s.failed_attempts >= 1 for s in states)
    assert all(s.last_failure and s.last_failure_at for s in states)
    assert all(s.last_error == "" for s in states)  # cleared by the success
    failures = {s.last_failure.split(":")[0] for s in states}
    assert failures <= {"PortalUnavailable"}
    assert any("HTTP 500" in s.last_failure for s in states) or any(
        "Không kết nối được" in s.last_failure for s in states
    )
    retried = OutboxMessage.objects.filter(topic=sync.TOPIC, attempts__gt=1)
    assert retried.exists()
    assert not OutboxMessage.objects.filter(
        topic=sync.TOPIC, state=OutboxMessage.State.PARKED
    ).exists()
    print(
        f"outage scale {SCALE} (window {window:.0f} s): last change at {changes_done:.0f} s, "
        f"{sum(s.failed_attempts for s in states)} failed deliveries, "
        f"max attempts {max(m.attempts for m in OutboxMessage.objects.filter(topic=sync.TOPIC))}"
    )
