"""One sender per dossier, even when a delivery outlives its claim: the claim is renewed
before every request to the portal, a worker that lost it stops, and only the holder records
what it sent (docs/dvcqg.md, "How a change travels")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dvcqg import sync
from tinhso.dvcqg.client import PortalClient
from tinhso.dvcqg.models import SyncState

from .conftest import PASSWORD, UNIT, USERNAME
from .support import deliver, deliver_sync, pending_sync


@dataclass
class Interrupted(PortalClient):
    """A client during whose first service request (the record) `meanwhile` happens: the
    request waits, and the world goes on without it."""

    meanwhile: Callable[[], None] | None = None
    after_progress: Callable[[], None] | None = None

    def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        if path == self.service_path and self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return super()._post(path, body, headers)

    def update_progress(self, rows: Sequence[dict[str, Any]]) -> int:
        sent = super().update_progress(rows)
        if self.after_progress is not None:
            self.after_progress()
        return sent


def first_client_is(monkeypatch, client: PortalClient) -> None:
    """The next delivery uses `client`; the ones after it (another worker's) the real one."""
    real = PortalClient.from_settings
    queue = [client]
    monkeypatch.setattr(
        PortalClient, "from_settings", classmethod(lambda cls: queue.pop() if queue else real())
    )


def interrupted(portal_url: str, **hooks: Callable[[], None]) -> Interrupted:
    return Interrupted(
        base_url=portal_url, username=USERNAME, password=PASSWORD, unit_code=UNIT, **hooks
    )


def test_a_worker_whose_claim_ran_out_gives_up_and_the_newer_state_stays(
    synced, office, monkeypatch
):
    # given the portal holds the submission, and the dossier is then received (state S1)
    dossier = office.submitted()
    assert deliver_sync() == [True]
    dossier = actions.receive(dossier, officer=office.tiepnhan)
    [older] = pending_sync()

    def meanwhile() -> None:
        # worker A has read the dossier (received) and its request waits past its claim;
        # a supplement is requested (S2) and worker B claims the dossier and sends S2
        SyncState.objects.filter(dossier=dossier).update(
            claimed_until=timezone.now() - timedelta(seconds=1)
        )
        office.perform("request_supplement", Dossier.objects.get(pk=dossier.pk))
        newer = [m for m in pending_sync() if m.pk != older.pk]
        assert deliver(newer) == [True]
        assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 5

    first_client_is(monkeypatch, interrupted(synced.url, meanwhile=meanwhile))
    # when worker A goes on
    assert deliver([older]) == [False]

    # then A sent nothing after B, recorded nothing, and waits its turn (retryable)
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 5
    assert synced.services() == [
        ("DongBoHoSoMC", "False"),
        ("CapNhatTienDoHoSoMC", "False"),
        ("DongBoHoSoMC", "True"),
        ("CapNhatTienDoHoSoMC", "False"),
    ]
    assert [r["TrangThai"] for r in synced.store()["progress"]] == [1, 2, 5]
    older.refresh_from_db()
    assert older.state == OutboxMessage.State.PENDING
    assert older.last_error == f"ClaimLost: hồ sơ {dossier.pk}: tiến trình khác đã nhận gửi hồ sơ"
    last = DossierEvent.objects.filter(dossier=dossier).latest("pk").pk
    state = SyncState.objects.get(dossier=dossier)
    assert (state.sent_version, state.progress_sent_through, state.national_status) == (
        last,
        last,
        5,
    )
    assert (state.claimed_by, state.claimed_until, state.last_error) == ("", None, "")
    assert AuditRecord.objects.filter(action="dvcqg.synced").count() == 2

    # and its retry finds the portal up to date and sends nothing
    calls = len(synced.store()["calls"])
    assert deliver([older]) == [True]
    assert len(synced.store()["calls"]) == calls
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 5


def test_what_was_sent_is_recorded_only_by_the_worker_still_holding_the_claim(
    synced, office, monkeypatch
):
    dossier = office.submitted()
    later = timezone.now() + timedelta(minutes=1)

    def taken_over() -> None:
        # the claim ran out after the last request and another worker holds it now
        SyncState.objects.filter(dossier=dossier).update(claimed_by="other", claimed_until=later)

    first_client_is(monkeypatch, interrupted(synced.url, after_progress=taken_over))
    assert deliver_sync() == [False]

    state = SyncState.objects.get(dossier=dossier)
    assert (state.sent_version, state.progress_sent_through, state.created_at_portal) == (
        0,
        0,
        False,
    )
    assert (state.claimed_by, state.claimed_until, state.last_error) == ("other", later, "")
    assert not AuditRecord.objects.filter(action="dvcqg.synced").exists()
    message = OutboxMessage.objects.get(topic=sync.TOPIC)
    assert message.state == OutboxMessage.State.PENDING
    assert message.last_error == f"ClaimLost: hồ sơ {dossier.pk}: tiến trình khác đã nhận gửi hồ sơ"


def test_the_claim_is_renewed_before_every_request(synced, office, monkeypatch):
    dossier = office.submitted()
    renewals: list[tuple[Any, Any, Any]] = []

    @dataclass
    class Watched(PortalClient):
        def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
            before = timezone.now()
            SyncState.objects.filter(dossier=dossier).update(claimed_until=before)  # runs out
            answer = super()._post(path, body, headers)
            until = SyncState.objects.get(dossier=dossier).claimed_until
            renewals.append((before + sync.CLAIM, until, timezone.now() + sync.CLAIM))
            return answer

    first_client_is(
        monkeypatch,
        Watched(base_url=synced.url, username=USERNAME, password=PASSWORD, unit_code=UNIT),
    )
    assert deliver_sync() == [True]

    # the login, the record, the progress row: each found the claim at its end and renewed it
    assert [c.get("service", c["path"]) for c in synced.store()["calls"]] == [
        "/auth",
        "DongBoHoSoMC",
        "CapNhatTienDoHoSoMC",
    ]
    assert len(renewals) == 3
    assert all(low <= until <= high for low, until, high in renewals)
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 1


def test_a_delivery_never_starts_a_request_that_could_outlast_its_limit(
    synced, office, monkeypatch
):
    dossier = office.submitted()
    # one request may take 5 s to connect and 30 s to answer: 35 s
    monkeypatch.setattr(sync, "DELIVERY_LIMIT", timedelta(seconds=34))
    assert deliver_sync() == [False]

    assert synced.store()["calls"] == []
    message = OutboxMessage.objects.get(topic=sync.TOPIC)
    assert message.state == OutboxMessage.State.PENDING
    assert message.last_error == (
        f"OutOfTime: hồ sơ {dossier.pk}: hết thời gian của một lần gửi (34 giây)"
    )
    state = SyncState.objects.get(dossier=dossier)
    assert (state.sent_version, state.claimed_by, state.claimed_until) == (0, "", None)
    assert state.last_error == message.last_error


def test_the_limit_of_one_delivery_is_below_the_claim():
    longest_request = timedelta(seconds=PortalClient.connect_timeout + PortalClient.read_timeout)
    assert longest_request == timedelta(seconds=35)
    assert sync.DELIVERY_LIMIT + timedelta(minutes=1) == sync.CLAIM
