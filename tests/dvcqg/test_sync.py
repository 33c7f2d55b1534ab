"""Outbound sync end to end: dossier actions -> outbox -> handler -> the portal peer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.dossiers import support as dossier_support
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dvcqg import sync
from tinhso.dvcqg.fields import national_date
from tinhso.dvcqg.models import SyncState
from tinhso.payments import actions as payments
from tinhso.payments.gateways import Outcome
from tinhso.payments.models import Attempt, Charge

from .support import deliver, deliver_sync, pending_sync


def test_sync_is_off_without_an_address(settings, office):
    settings.DVCQG_URL = ""
    office.submitted()
    assert OutboxMessage.objects.filter(topic=sync.TOPIC).count() == 0
    assert SyncState.objects.count() == 0


def test_every_state_change_queues_one_message_with_the_dossiers_version(synced, office):
    dossier = office.submitted()
    dossier = actions.receive(dossier, officer=office.tiepnhan)
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("pk"))
    assert [m.payload for m in pending_sync()] == [
        {"dossier": dossier.pk, "version": events[0].pk},
        {"dossier": dossier.pk, "version": events[1].pk},
    ]
    assert synced.store()["calls"] == []  # nothing is sent inside the action


def test_online_submission_to_result_returned_reaches_the_portal_with_every_field(synced, office):
    dossier = office.submitted()
    assert deliver_sync() == [True]
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 1

    dossier = actions.receive(dossier, officer=office.tiepnhan)
    dossier = actions.forward(dossier, officer=office.chuyenvien)
    dossier = actions.approve(dossier, officer=office.lanhdao)
    actions.attach_result(
        dossier, "Phiếu lý lịch tư pháp", dossier_support.pdf_bytes("kq"), officer=office.vanthu
    )
    dossier = actions.mark_ready(Dossier.objects.get(pk=dossier.pk), officer=office.vanthu)
    dossier = actions.return_result(dossier, officer=office.tiepnhan, how="online")
    assert deliver_sync() == [True] * 5

    tk = dossier.files.get()
    result = dossier.results.get()
    assert synced.store()["records"] == {
        dossier.code: {
            "MaHoSo": dossier.code,
            "MaTTHC": "2.000488",
            "TenTTHC": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
            "MaLinhVuc": "G15-TP09",
            "TenLinhVuc": "Lý lịch tư pháp",
            "KenhThucHien": 2,
            "ChuHoSo": "Nguyễn Văn An",
            "SoGiayToChuHoSo": "066090001234",
            "LoaiDoiTuong": 1,
            "Email": "an.nguyen@example.com",
            "SoDienThoai": "0912345678",
            "TrichYeuHoSo": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam - Nguyễn Văn An",
            "NgayNopHoSo": national_date(dossier.submitted_at),
            "NgayTiepNhan": national_date(dossier.received_at),
            "NgayHenTra": national_date(dossier.appointment_at),
            "NgayKetThucXuLy": national_date(dossier.finished_at),
            "NgayTra": national_date(dossier.returned_at),
            "TrangThaiHoSo": 10,
            "DonViXuLy": "Sở Tư pháp tỉnh Đắk Lắk",
            "HinhThuc": 0,
            "HoSoCoThanhPhanSoHoa": 1,
            "DuocThanhToanTrucTuyen": 0,
            "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "066090001234"}],
            "TaiLieuNop": [
                {
                    "TepDinhKemId": str(tk.pk),
                    "TenTepDinhKem": "to-khai.pdf",
                    "MaThanhPhanHoSo": "TK",
                    "DuocSoHoa": 1,
                    "DuocTaiSuDung": 0,
                    "DuocLayTuKhoDMQG": 0,
                }
            ],
            "DanhSachLePhi": [
                {
                    "TenPhiLePhi": "Phí cung cấp thông tin",
                    "MaPhiLePhi": "K01",
                    "Gia": 200000,
                    "LoaiPhiLePhi": 1,
                }
            ],
            "DanhSachGiayToKetQua": [
                {"TenGiayTo": "Phiếu lý lịch tư pháp", "GiayToId": str(result.pk)}
            ],
        }
    }
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("pk"))
    progress = synced.store()["progress"]
    assert [(r["NoiDungXuLy"], r["TrangThai"]) for r in progress] == [
        ("Hồ sơ đã được nộp trực tuyến.", 1),
        ("Đã tiếp nhận hồ sơ tại Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk.", 2),
        ("Chuyển xử lý: Phê duyệt (Sở Tư pháp tỉnh Đắk Lắk).", 4),
        ("Lãnh đạo đã phê duyệt hồ sơ.", 4),
        ("Đã có kết quả giải quyết.", 9),
        ("Đã trả kết quả trực tuyến.", 10),
    ]
    assert [r["ThoiDiemXuLy"] for r in progress] == [national_date(e.at) for e in events]
    assert {r["MaHoSo"] for r in progress} == {dossier.code}
    assert progress[1]["PhongBanXuLy"] == "Sở Tư pháp tỉnh Đắk Lắk"
    # one creation; the first of the five later messages sent the newest state and every
    # progress row, the four after it found the portal up to date and sent nothing
    assert synced.services() == [
        ("DongBoHoSoMC", "False"),
        ("CapNhatTienDoHoSoMC", "False"),
        ("DongBoHoSoMC", "True"),
        ("CapNhatTienDoHoSoMC", "False"),
    ]
    state = SyncState.objects.get(dossier=dossier)
    assert (state.sent_version, state.progress_sent_through, state.national_status) == (
        events[-1].pk,
        events[-1].pk,
        10,
    )
    assert (state.claimed_by, state.claimed_until, state.last_error) == ("", None, "")
    audits = AuditRecord.objects.filter(action="dvcqg.synced").order_by("pk")
    assert [a.changes["progress_rows"] for a in audits] == [1, 5]
    assert audits[1].changes["national_status"] == [1, 10]


def test_a_retry_of_an_older_message_never_overwrites_a_newer_state(synced, office):
    dossier = office.submitted()
    actions.receive(dossier, officer=office.tiepnhan)
    older, newer = pending_sync()
    assert deliver([newer]) == [True]
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 2
    calls = len(synced.store()["calls"])
    # the older message arrives late (a retry): it sends nothing
    assert deliver([older]) == [True]
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 2
    assert len(synced.store()["calls"]) == calls
    # and a message of a state older than the dossier's is never what is sent: the handler
    # sends the dossier as it is when it runs
    dossier = Dossier.objects.get(pk=dossier.pk)
    office.perform("request_supplement", dossier)
    stale = OutboxMessage.objects.create(
        topic=sync.TOPIC,
        payload={"dossier": dossier.pk, "version": newer.payload["version"]},
        available_at=timezone.now(),
        created_at=timezone.now(),
    )
    assert deliver([stale]) == [True]
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 5


@pytest.mark.parametrize(
    ("make", "status", "field"),
    [
        ("supplement", 5, None),
        ("withdrawal", 7, None),
        ("refusal", 8, "NgayTuChoi"),
        ("rejection", 3, "NgayTuChoi"),
    ],
)
def test_supplement_withdrawal_refusal_and_rejection_map_to_their_status(
    synced, office, make, status, field
):
    if make == "supplement":
        dossier = office.in_state(Dossier.State.SUPPLEMENT_REQUESTED, "")
    elif make == "withdrawal":
        dossier = office.in_state(Dossier.State.WITHDRAWN, "")
    elif make == "refusal":
        dossier = office.in_state(Dossier.State.REFUSED, "")
    else:
        dossier = office.in_state(Dossier.State.REJECTED, "")
    assert all(deliver_sync())
    dossier.refresh_from_db()
    record = synced.store()["records"][dossier.code]
    assert record["TrangThaiHoSo"] == status
    if field:
        assert record[field] == national_date(dossier.finished_at)
    else:
        assert "NgayTuChoi" not in record
    last = synced.store()["progress"][-1]
    assert last["TrangThai"] == status


def test_a_dossier_paid_through_vnpay_is_flagged_paid_online(synced, office):
    dossier = office.submitted()
    charge = Charge.objects.get(dossier=dossier)
    now = timezone.now()
    Attempt.objects.create(
        charge=charge,
        gateway=Attempt.Gateway.VNPAY,
        txn_ref="TS-TEST-0001",
        amount=charge.total,
        state=Attempt.State.PAID,
        created_at=now,
        expires_at=now + timedelta(minutes=15),
        paid_at=now,
    )
    assert deliver_sync() == [True]
    assert synced.store()["records"][dossier.code]["DuocThanhToanTrucTuyen"] == 2


def pay_through_vnpay(dossier: Dossier, ref: str) -> payments.Applied:
    charge = Charge.objects.get(dossier=dossier)
    now = timezone.now()
    Attempt.objects.create(
        charge=charge,
        gateway=Attempt.Gateway.VNPAY,
        txn_ref=ref,
        amount=charge.total,
        state=Attempt.State.PENDING,
        created_at=now,
        expires_at=now + timedelta(minutes=15),
    )
    paid = Outcome(
        txn_ref=ref,
        amount=charge.total,
        status="paid",
        gateway_code="00/00",
        transaction_no="14000001",
        paid_at=now,
        raw={"vnp_TxnRef": ref},
        gateway="vnpay",
    )
    return payments.apply_outcome(paid, "callback")


def test_a_paid_charge_queues_a_sync_and_the_portal_gets_the_payment_flag(synced, office):
    # given the portal holds the submitted dossier, not paid
    dossier = office.submitted()
    assert deliver_sync() == [True]
    assert synced.store()["records"][dossier.code]["DuocThanhToanTrucTuyen"] == 0
    events = list(DossierEvent.objects.filter(dossier=dossier).values_list("pk", flat=True))

    # when the gateway's callback marks the charge paid
    assert pay_through_vnpay(dossier, "TS-TEST-0002").result == payments.Result.APPLIED

    # then one refresh of the record is queued, with no timeline line written
    assert [m.payload for m in pending_sync()] == [
        {"dossier": dossier.pk, "version": events[-1], "refresh": True}
    ]
    assert list(DossierEvent.objects.filter(dossier=dossier).values_list("pk", flat=True)) == (
        events
    )
    # and its delivery sends the record as an update (no progress row is new)
    assert deliver_sync() == [True]
    assert synced.store()["records"][dossier.code]["DuocThanhToanTrucTuyen"] == 2
    assert synced.services() == [
        ("DongBoHoSoMC", "False"),
        ("CapNhatTienDoHoSoMC", "False"),
        ("DongBoHoSoMC", "True"),
    ]
    audits = AuditRecord.objects.filter(action="dvcqg.synced").order_by("pk")
    assert [a.changes["progress_rows"] for a in audits] == [1, 0]
    state = SyncState.objects.get(dossier=dossier)
    assert (state.sent_version, state.claimed_by, state.last_error) == (events[-1], "", "")


def test_a_paid_charge_queues_no_sync_when_sync_is_off(settings, office):
    settings.DVCQG_URL = ""
    dossier = office.submitted()
    assert pay_through_vnpay(dossier, "TS-TEST-0003").result == payments.Result.APPLIED
    assert OutboxMessage.objects.filter(topic=sync.TOPIC).count() == 0
    assert Attempt.objects.get(txn_ref="TS-TEST-0003").state == Attempt.State.PAID


def test_a_dossier_being_sent_by_another_worker_waits_and_nothing_is_sent(synced, office):
    dossier = office.submitted()
    SyncState.objects.create(
        dossier=dossier, claimed_by="other", claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert deliver_sync() == [False]
    message = OutboxMessage.objects.get(topic=sync.TOPIC)
    assert message.state == OutboxMessage.State.PENDING
    assert message.last_error == f"Busy: hồ sơ {dossier.pk} đang được gửi bởi tiến trình khác"
    assert message.attempts == 0  # its turn, not a failed try: it never parks for waiting
    assert synced.store()["calls"] == []


def test_a_portal_answering_500_is_retried_then_delivered(synced, office):
    dossier = office.submitted()
    synced.mode("500")
    assert deliver_sync() == [False]
    message = OutboxMessage.objects.get(topic=sync.TOPIC)
    assert message.state == OutboxMessage.State.PENDING
    assert message.last_error == "PortalUnavailable: Cổng DVC quốc gia trả lỗi HTTP 500"
    state = SyncState.objects.get(dossier=dossier)
    assert (state.sent_version, state.claimed_by) == (0, "")
    assert state.last_error == message.last_error

    synced.mode("normal")
    assert deliver([message]) == [True]
    assert synced.store()["records"][dossier.code]["TrangThaiHoSo"] == 1
    assert SyncState.objects.get(dossier=dossier).last_error == ""


def test_a_record_the_portal_rejects_is_parked_with_the_portals_message(synced, office):
    dossier = office.submitted()
    dossier.version.procedure.__class__.objects.filter(pk=dossier.version.procedure_id).update(
        code="9.999999"
    )
    assert deliver_sync() == [False]
    message = OutboxMessage.objects.get(topic=sync.TOPIC)
    assert message.state == OutboxMessage.State.PARKED
    assert message.last_error == (
        f"PortalRejected: Cổng DVC quốc gia từ chối hồ sơ {dossier.code}: Mã thủ tục 9.999999 "
        "không tồn tại trên CSDL quốc gia về TTHC (mã 2)"
    )
    assert synced.store()["records"] == {}
    assert not AuditRecord.objects.filter(action="dvcqg.synced").exists()
