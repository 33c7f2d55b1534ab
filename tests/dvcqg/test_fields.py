"""The national record and progress rows: the pure shape, then a dossier walked through its
states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tinhso.dossiers import actions
from tinhso.dossiers.models import Apology, Dossier
from tinhso.dvcqg.fields import (
    DossierFacts,
    EventFacts,
    FeeFacts,
    FileFacts,
    ResultFacts,
    SupplementFacts,
    dossier_record,
    national_date,
    progress_rows,
)
from tinhso.dvcqg.queries import dossier_facts

AT = datetime(2026, 3, 5, 8, 5, 9, tzinfo=UTC)  # 15:05:09 in Hà Nội


def test_dates_are_24_hour_vietnam_time_without_separators():
    assert national_date(AT) == "20260305150509"
    assert national_date(datetime(2026, 3, 5, 17, 0, tzinfo=UTC)) == "20260306000000"
    assert national_date(None) is None
    with pytest.raises(ValueError, match="naive"):
        national_date(datetime(2026, 3, 5, 8, 5, 9))


def facts(**overrides) -> DossierFacts:
    values = dict(
        code="000.00.03.H66-260305-0007",
        procedure_code="2.000488",
        procedure_name="Cấp Phiếu lý lịch tư pháp",
        field_code="G15-TP09",
        field_name="Lý lịch tư pháp",
        channel=Dossier.Channel.COUNTER,
        state=Dossier.State.REFUSED,
        delivery=Dossier.Delivery.POST,
        applicant_name="Nguyễn Văn An",
        applicant_personal_id="",
        email="",
        phone="0912345678",
        agency_name="Sở Tư pháp tỉnh Đắk Lắk",
        reception_place="Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
        submitted_at=AT,
        received_at=AT,
        appointment_at=AT + timedelta(days=10),
        finished_at=AT + timedelta(days=3),
        returned_at=None,
        refused_at=AT + timedelta(days=3),
        paid_online=2,
        files=(FileFacts(11, "to-khai.pdf", "TK", digitised=False, reused=True),),
        fees=(FeeFacts("Lệ phí cấp phiếu", "LP01", "le_phi", 100000),),
        supplements=(
            SupplementFacts(5, "Lê Văn Cường", "Thiếu trang 2", AT + timedelta(days=1), None),
        ),
        results=(ResultFacts(3, "Văn bản từ chối"),),
    )
    values.update(overrides)
    return DossierFacts(**values)  # type: ignore[arg-type]


def test_a_refused_counter_dossier_record_exactly():
    assert dossier_record(facts()) == {
        "MaHoSo": "000.00.03.H66-260305-0007",
        "MaTTHC": "2.000488",
        "TenTTHC": "Cấp Phiếu lý lịch tư pháp",
        "MaLinhVuc": "G15-TP09",
        "TenLinhVuc": "Lý lịch tư pháp",
        "KenhThucHien": 1,
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": 1,
        "SoDienThoai": "0912345678",
        "TrichYeuHoSo": "Cấp Phiếu lý lịch tư pháp - Nguyễn Văn An",
        "NgayNopHoSo": "20260305150509",
        "NgayTiepNhan": "20260305150509",
        "NgayHenTra": "20260315150509",
        "NgayKetThucXuLy": "20260308150509",
        "NgayTuChoi": "20260308150509",
        "TrangThaiHoSo": 8,
        "DonViXuLy": "Sở Tư pháp tỉnh Đắk Lắk",
        "NoiNopHoSo": "Trung tâm Phục vụ hành chính công tỉnh Đắk Lắk",
        "HinhThuc": 1,
        "HoSoCoThanhPhanSoHoa": 0,
        "DuocThanhToanTrucTuyen": 2,
        "TaiLieuNop": [
            {
                "TepDinhKemId": "11",
                "TenTepDinhKem": "to-khai.pdf",
                "MaThanhPhanHoSo": "TK",
                "DuocSoHoa": 0,
                "DuocTaiSuDung": 1,
                "DuocLayTuKhoDMQG": 0,
            }
        ],
        "DanhSachLePhi": [
            {
                "TenPhiLePhi": "Lệ phí cấp phiếu",
                "MaPhiLePhi": "LP01",
                "Gia": 100000,
                "LoaiPhiLePhi": 2,
            }
        ],
        "DanhSachHoSoBoSung": [
            {
                "HoSoBoSungId": "5",
                "NguoiYeuCauBoSung": "Lê Văn Cường",
                "NoiDungBoSung": "Thiếu trang 2",
                "NgayBoSung": "20260306150509",
                "TrangThaiBoSung": 0,
            }
        ],
        "DanhSachGiayToKetQua": [{"TenGiayTo": "Văn bản từ chối", "GiayToId": "3"}],
    }


def test_the_summary_is_cut_at_1000_characters():
    record = dossier_record(facts(applicant_name="A" * 2000))
    assert len(record["TrichYeuHoSo"]) == 1000


def test_a_draft_has_no_record():
    with pytest.raises(ValueError, match="draft"):
        dossier_record(facts(state=Dossier.State.DRAFT))


def test_progress_rows_count_the_first_reception_as_received_and_later_lines_as_processing():
    events = [
        EventFacts(1, AT, Dossier.State.SUBMITTED, "Đã nộp."),
        EventFacts(
            2,
            AT,
            Dossier.State.RECEIVED,
            "Đã tiếp nhận.",
            handler_name="Lê Văn Cường",
            unit="Sở Tư pháp",
            step_started_at=AT,
            step_due_at=AT + timedelta(days=7),
        ),
        EventFacts(3, AT, Dossier.State.RECEIVED, "Chuyển xử lý."),
    ]
    assert progress_rows("HS1", events) == [
        {
            "MaHoSo": "HS1",
            "ThoiDiemXuLy": "20260305150509",
            "NoiDungXuLy": "Đã nộp.",
            "TrangThai": 1,
        },
        {
            "MaHoSo": "HS1",
            "NguoiXuLy": "Lê Văn Cường",
            "ThoiDiemXuLy": "20260305150509",
            "PhongBanXuLy": "Sở Tư pháp",
            "NoiDungXuLy": "Đã tiếp nhận.",
            "TrangThai": 2,
            "NgayBatDau": "20260305150509",
            "NgayKetThucTheoQuyDinh": "20260312150509",
        },
        {
            "MaHoSo": "HS1",
            "ThoiDiemXuLy": "20260305150509",
            "NoiDungXuLy": "Chuyển xử lý.",
            "TrangThai": 4,
        },
    ]
    # sent in two goes: the reception went first, so the next received line is processing
    assert progress_rows("HS1", events[2:], received_before=True)[0]["TrangThai"] == 4
    assert progress_rows("HS1", events[2:])[0]["TrangThai"] == 2


def record_of(dossier: Dossier) -> dict:
    return dossier_record(dossier_facts(dossier))


def test_a_dossier_walked_through_supplement_and_extension(office):
    dossier = office.submitted()
    assert record_of(dossier)["TrangThaiHoSo"] == 1
    assert "NgayTiepNhan" not in record_of(dossier)

    dossier = actions.receive(dossier, officer=office.tiepnhan)
    record = record_of(dossier)
    assert record["TrangThaiHoSo"] == 2
    assert record["NgayTiepNhan"] == national_date(dossier.received_at)
    assert record["NgayHenTra"] == national_date(dossier.appointment_at)

    actions.request_supplement(
        dossier, reason="Thiếu trang 2", fields=[], component_ids=[], officer=office.chuyenvien
    )
    dossier = Dossier.objects.get(pk=dossier.pk)
    record = record_of(dossier)
    assert record["TrangThaiHoSo"] == 5
    supplement = dossier.supplements.get()
    assert record["DanhSachHoSoBoSung"] == [
        {
            "HoSoBoSungId": str(supplement.pk),
            "NguoiYeuCauBoSung": "Lê Văn Cường",
            "NoiDungBoSung": "Thiếu trang 2",
            "NgayBoSung": national_date(supplement.requested_at),
            "TrangThaiBoSung": 0,
        }
    ]

    dossier = office.perform("answer_supplement", Dossier.objects.get(pk=dossier.pk))
    supplement.refresh_from_db()
    record = record_of(dossier)
    assert record["TrangThaiHoSo"] == 4
    assert record["DanhSachHoSoBoSung"][0]["TrangThaiBoSung"] == 1
    assert record["DanhSachHoSoBoSung"][0]["NgayTiepNhanBoSung"] == national_date(
        supplement.answered_at
    )

    office.perform("extend", Dossier.objects.get(pk=dossier.pk))
    apology = Apology.objects.get(dossier=dossier)
    record = record_of(dossier)
    assert record["TrangThaiHoSo"] == 4
    assert record["NgayHenTra"] == national_date(apology.new_appointment)

    dossier = actions.forward(Dossier.objects.get(pk=dossier.pk), officer=office.chuyenvien)
    dossier = actions.approve(dossier, officer=office.lanhdao)
    assert record_of(dossier)["TrangThaiHoSo"] == 4
    assert record_of(dossier)["NgayKetThucXuLy"] == national_date(dossier.finished_at)
    office.perform("attach_result", dossier)
    dossier = actions.mark_ready(Dossier.objects.get(pk=dossier.pk), officer=office.vanthu)
    assert record_of(dossier)["TrangThaiHoSo"] == 9
    dossier = actions.return_result(dossier, officer=office.tiepnhan, how="desk")
    record = record_of(dossier)
    assert record["TrangThaiHoSo"] == 10
    assert record["NgayTra"] == national_date(dossier.returned_at)
    assert record["DanhSachGiayToKetQua"] == [
        {"TenGiayTo": "Phiếu lý lịch tư pháp", "GiayToId": str(dossier.results.get().pk)}
    ]
