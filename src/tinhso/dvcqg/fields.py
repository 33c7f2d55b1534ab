"""A dossier as the national portal's record (`HoSo`) and its progress rows (`QuaTrinhXuLy`).

Pure: the facts come in as plain values (`queries.dossier_facts` reads them), the messages
go out as dicts; no database, no clock. Legal source: Decree 118/2025/NĐ-CP (the one-stop
shop's dossier, supplements, results), Decree 45/2020/NĐ-CP (digitised components, the
citizen's data store) and Decision 766/QĐ-TTg (every field below feeds an indicator). Field
names, codes and the date format follow /work/shared/domain/national-portal.md [T]; see
docs/dvcqg.md for what is reconstructed rather than confirmed.

Empty optional values are omitted, never sent as "".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tinhso.dvcqg import status as codes

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SUMMARY_LIMIT = 1000  # TrichYeuHoSo
LOAI_DOI_TUONG_CITIZEN = 1
# DinhDanhCHS.LoaiDinhDanh for a personal identification number [UNCONFIRMED: docs/dvcqg.md]
LOAI_DINH_DANH_CA_NHAN = "1"
# LoaiPhiLePhi: 1 phí, 2 lệ phí [UNCONFIRMED]
FEE_KIND = {"phi": 1, "le_phi": 2}


def national_date(moment: datetime | None) -> str | None:
    """`yyyyMMddHHmmss` on the 24-hour clock, Asia/Ho_Chi_Minh; None for no date."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place on the national clock")
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True)
class FileFacts:
    id: int
    name: str
    component_code: str
    digitised: bool
    reused: bool  # taken from a result already issued (DuocTaiSuDung)
    from_national_store: bool = False  # DuocLayTuKhoDMQG


@dataclass(frozen=True)
class FeeFacts:
    name: str
    code: str
    kind: str  # "phi" | "le_phi"
    amount: int


@dataclass(frozen=True)
class SupplementFacts:
    id: int
    requested_by: str
    reason: str
    requested_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class ResultFacts:
    id: int
    name: str


@dataclass(frozen=True)
class EventFacts:
    """One line of the dossier's timeline, as a progress row."""

    id: int
    at: datetime
    state: str
    note: str
    handler_name: str = ""
    handler_title: str = ""
    unit: str = ""
    step_started_at: datetime | None = None
    step_due_at: datetime | None = None


@dataclass(frozen=True)
class DossierFacts:
    code: str
    procedure_code: str
    procedure_name: str
    field_code: str
    field_name: str
    channel: str
    state: str
    delivery: str
    applicant_name: str
    applicant_personal_id: str
    email: str
    phone: str
    agency_name: str
    reception_place: str
    submitted_at: datetime | None
    received_at: datetime | None
    appointment_at: datetime | None  # the one in force (an apology's new date, if any)
    finished_at: datetime | None
    returned_at: datetime | None
    refused_at: datetime | None  # refused at reception or refused to resolve
    paid_online: int  # DuocThanhToanTrucTuyen: 0, 1 (national platform), 2 (own gateway)
    processing_started: bool = False
    fee_awaited: bool = False
    files: tuple[FileFacts, ...] = ()
    fees: tuple[FeeFacts, ...] = ()
    supplements: tuple[SupplementFacts, ...] = ()
    results: tuple[ResultFacts, ...] = ()
    events: tuple[EventFacts, ...] = field(default=())


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def national_status(facts: DossierFacts) -> int | None:
    found = codes.national_status(
        facts.state, processing_started=facts.processing_started, fee_awaited=facts.fee_awaited
    )
    return None if found is None else int(found)


def dossier_record(facts: DossierFacts) -> dict[str, Any]:
    """The `DongBoHoSoMC` record of one dossier. A draft has none: ValueError."""
    status = national_status(facts)
    if status is None:
        raise ValueError("a draft is not synced to the national portal")
    online = codes.national_channel(facts.channel) == codes.NationalChannel.ONLINE
    summary = f"{facts.procedure_name} - {facts.applicant_name}"[:SUMMARY_LIMIT]
    components = [f for f in facts.files]
    return _clean(
        {
            "MaHoSo": facts.code,
            "MaTTHC": facts.procedure_code,
            "TenTTHC": facts.procedure_name,
            "MaLinhVuc": facts.field_code,
            "TenLinhVuc": facts.field_name,
            "KenhThucHien": int(codes.national_channel(facts.channel)),
            "ChuHoSo": facts.applicant_name,
            "SoGiayToChuHoSo": facts.applicant_personal_id,
            "LoaiDoiTuong": LOAI_DOI_TUONG_CITIZEN,
            "Email": facts.email,
            "SoDienThoai": facts.phone,
            "TrichYeuHoSo": summary,
            "NgayNopHoSo": national_date(facts.submitted_at),
            "NgayTiepNhan": national_date(facts.received_at),
            "NgayHenTra": national_date(facts.appointment_at),
            "NgayKetThucXuLy": national_date(facts.finished_at),
            "NgayTra": national_date(facts.returned_at),
            "NgayTuChoi": national_date(facts.refused_at),
            "TrangThaiHoSo": status,
            "DonViXuLy": facts.agency_name,
            "NoiNopHoSo": facts.reception_place if not online else "",
            "HinhThuc": codes.DELIVERY.get(facts.delivery) if facts.delivery else None,
            "HoSoCoThanhPhanSoHoa": int(any(f.digitised for f in components)),
            "DuocThanhToanTrucTuyen": facts.paid_online,
            "DinhDanhCHS": [
                {"LoaiDinhDanh": LOAI_DINH_DANH_CA_NHAN, "SoDinhDanh": facts.applicant_personal_id}
            ]
            if facts.applicant_personal_id
            else [],
            "TaiLieuNop": [
                {
                    "TepDinhKemId": str(f.id),
                    "TenTepDinhKem": f.name,
                    "MaThanhPhanHoSo": f.component_code,
                    "DuocSoHoa": int(f.digitised),
                    "DuocTaiSuDung": int(f.reused),
                    "DuocLayTuKhoDMQG": int(f.from_national_store),
                }
                for f in components
            ],
            "DanhSachLePhi": [
                _clean(
                    {
                        "TenPhiLePhi": fee.name,
                        "MaPhiLePhi": fee.code,
                        "Gia": fee.amount,
                        "LoaiPhiLePhi": FEE_KIND.get(fee.kind),
                    }
                )
                for fee in facts.fees
            ],
            "DanhSachHoSoBoSung": [
                _clean(
                    {
                        "HoSoBoSungId": str(s.id),
                        "NguoiYeuCauBoSung": s.requested_by,
                        "NoiDungBoSung": s.reason,
                        "NgayBoSung": national_date(s.requested_at),
                        "NgayTiepNhanBoSung": national_date(s.answered_at),
                        # 1 answered, 0 waiting [UNCONFIRMED]
                        "TrangThaiBoSung": 1 if s.answered_at else 0,
                    }
                )
                for s in facts.supplements
            ],
            "DanhSachGiayToKetQua": [
                {"TenGiayTo": r.name, "GiayToId": str(r.id)} for r in facts.results
            ],
        }
    )


def progress_rows(
    code: str, events: tuple[EventFacts, ...] | list[EventFacts], *, received_before: bool = False
) -> list[dict[str, Any]]:
    """The `CapNhatTienDoHoSoMC` rows for `events` (each timeline line is one row; its
    `TrangThai` is the national status the dossier had after it). `received_before`: a line
    in the received state was already sent, so these received lines are processing."""
    rows = []
    received = received_before
    for event in events:
        status = codes.STATUS.get(event.state)
        if status is None:
            continue
        if event.state == codes.S.RECEIVED:
            # the first line in this state is the reception; the later ones are processing
            status = codes.NationalStatus.PROCESSING if received else status
            received = True
        rows.append(
            _clean(
                {
                    "MaHoSo": code,
                    "NguoiXuLy": event.handler_name,
                    "ChucDanh": event.handler_title,
                    "ThoiDiemXuLy": national_date(event.at),
                    "PhongBanXuLy": event.unit,
                    "NoiDungXuLy": event.note,
                    "TrangThai": int(status),
                    "NgayBatDau": national_date(event.step_started_at),
                    "NgayKetThucTheoQuyDinh": national_date(event.step_due_at),
                }
            )
        )
    return rows
