"""The adapter against the local portal peer (own process, own store)."""

from __future__ import annotations

import pytest

from tinhso.core.outbox import PermanentError, RetryableError
from tinhso.dvcqg.client import (
    PortalRefusedLogin,
    PortalRejected,
    PortalUnavailable,
    RecordOutcome,
)

RECORD = {
    "MaHoSo": "000.00.03.H66-260305-0001",
    "MaTTHC": "2.000488",
    "KenhThucHien": 2,
    "ChuHoSo": "Nguyễn Văn An",
    "NgayNopHoSo": "20260305150509",
    "TrangThaiHoSo": 1,
}


def test_create_then_update_when_it_already_exists(portal):
    client = portal.client()
    assert client.sync_dossiers([RECORD]) == [RecordOutcome(RECORD["MaHoSo"], created=True)]
    newer = {**RECORD, "TrangThaiHoSo": 2, "NgayTiepNhan": "20260306080000"}
    # sent as a creation again: the portal answers "đã tồn tại", the client updates
    assert client.sync_dossiers([newer]) == [RecordOutcome(RECORD["MaHoSo"], created=False)]
    assert portal.store()["records"][RECORD["MaHoSo"]] == newer
    assert portal.services() == [
        ("DongBoHoSoMC", "False"),
        ("DongBoHoSoMC", "False"),
        ("DongBoHoSoMC", "True"),
    ]
    # one session for the three calls
    assert [c["path"] for c in portal.store()["calls"]].count("/auth") == 1


def test_eleven_records_go_in_two_calls(portal):
    records = [{**RECORD, "MaHoSo": f"000.00.03.H66-260305-{n:04d}"} for n in range(1, 12)]
    outcomes = portal.client().sync_dossiers(records)
    assert [o.code for o in outcomes] == [r["MaHoSo"] for r in records]
    assert portal.services() == [("DongBoHoSoMC", "False"), ("DongBoHoSoMC", "False")]
    assert len(portal.store()["records"]) == 11


def test_a_rejected_record_is_permanent_and_carries_the_portals_message(portal):
    with pytest.raises(PortalRejected) as caught:
        portal.client().sync_dossiers([{**RECORD, "MaTTHC": "9.999999"}])
    assert isinstance(caught.value, PermanentError)
    assert caught.value.code == "2"
    assert caught.value.record == RECORD["MaHoSo"]
    assert str(caught.value) == (
        "Cổng DVC quốc gia từ chối hồ sơ 000.00.03.H66-260305-0001: Mã thủ tục 9.999999 "
        "không tồn tại trên CSDL quốc gia về TTHC (mã 2)"
    )
    assert portal.store()["records"] == {}


def test_a_badly_formatted_date_is_rejected(portal):
    with pytest.raises(PortalRejected, match="NgayNopHoSo không đúng định dạng"):
        portal.client().sync_dossiers([{**RECORD, "NgayNopHoSo": "05/03/2026 03:05:09"}])


def test_an_expired_session_is_renewed_once(portal):
    client = portal.client()
    client.sync_dossiers([RECORD])
    portal.expire_sessions()
    assert client.lookup_dossier(RECORD["MaHoSo"]) == RECORD
    calls = [c.get("service", c["path"]) for c in portal.store()["calls"]]
    assert calls == ["/auth", "DongBoHoSoMC", "TraCuuHoSo", "/auth", "TraCuuHoSo"]


def test_unknown_dossier_and_procedure_lookups(portal):
    client = portal.client()
    assert client.lookup_dossier("000.00.03.H66-260305-0099") is None
    assert client.procedure("2.000488") == {"MaTTHC": "2.000488"}
    with pytest.raises(PortalRejected, match="Không tìm thấy thủ tục"):
        client.procedure("9.999999")


def test_a_wrong_password_is_refused_and_permanent(portal):
    with pytest.raises(PortalRefusedLogin, match="Sai tài khoản hoặc mật khẩu") as caught:
        portal.client(password="sai").sync_dossiers([RECORD])
    assert isinstance(caught.value, PermanentError)
    assert portal.services() == []


def test_http_500_is_retryable(portal):
    portal.mode("500")
    with pytest.raises(PortalUnavailable, match="HTTP 500") as caught:
        portal.client().sync_dossiers([RECORD])
    assert isinstance(caught.value, RetryableError)


def test_a_portal_that_drops_the_connection_is_retryable(portal):
    portal.mode("down")
    with pytest.raises(PortalUnavailable, match="Không kết nối được Cổng DVC quốc gia"):
        portal.client().sync_dossiers([RECORD])


def test_a_slow_portal_times_out_and_is_retryable(portal):
    portal.mode("slow")
    with pytest.raises(PortalUnavailable, match=r"không trả lời trong 0\.5 giây"):
        portal.client(read_timeout=0.5).sync_dossiers([RECORD])


def test_the_password_never_shows_in_the_clients_repr(portal):
    assert "mat-khau" not in repr(portal.client())
