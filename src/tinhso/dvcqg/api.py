"""/api/v1/dvcqg/dossiers: dossiers submitted on the national public-service portal.

Legal source: Decree 42/2022/NĐ-CP art. 11 (the national portal is the front door; the
province handles what is filed there for its procedures). The message shape is tinhso's
choice (docs/dvcqg.md, "Inbound dossiers"): the portal's own dossier record (`HoSo`, field
names of national-portal.md [T]) with the e-form data (`DuLieuBieuMau`) and the files'
content (`TaiLieuNop[].NoiDung`, base64). Fields of the record tinhso does not read (status,
dates the province sets) are accepted and ignored.

Who may post: the national portal's client application (`people.ApiClient`) holding the
`dvcqg.inbound` scope, by its key in `Authorization: Bearer <key>` or `X-API-Key`.

Answers speak the portal's convention (`error_code`, `message`) and tinhso's (`code`,
`detail` with one entry per field, as every 422 of this API):

- 201 created, 200 the same `MaHoSo` again (the first dossier; nothing new is made):
  `{"error_code": "0", "message", "result": {"MaHoSo", "MaHoSoTinh", "TrangThaiHoSo"}}`
- 422 invalid (`error_code` "1", `dvcqg.invalid_dossier` or the dossiers app's code) or a
  procedure the province does not take online (`error_code` "2",
  `dvcqg.procedure_not_offered`, on the field `MaTTHC`): nothing is created.
- 409 the same `MaHoSo` with other content (`error_code` "3", "đã tồn tại").
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pydantic
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from tinhso.core.errors import ALL, DomainError, Kind
from tinhso.dossiers import actions
from tinhso.dossiers.actions import national
from tinhso.dossiers.api import ClientBearer, ClientKey
from tinhso.dossiers.codes import looks_like_code
from tinhso.dossiers.models import Dossier
from tinhso.dvcqg import errors
from tinhso.dvcqg.fields import VIETNAM
from tinhso.people.models import ApiClient, ApiScope

router = Router()

portal_keys = [ClientBearer(ApiScope.DVCQG_INBOUND), ClientKey(ApiScope.DVCQG_INBOUND)]
DATE = re.compile(r"^\d{14}$")
ONLINE_ON_PORTAL = 2  # KenhThucHien: a dossier filed on the national portal is online


class TepIn(Schema):
    """One file submitted (`TaiLieuNop`): its component's code and its content."""

    MaThanhPhanHoSo: str
    TenTepDinhKem: str
    NoiDung: str  # base64 (tinhso's choice: the portal's download address is not fetched)


class HoSoIn(Schema):
    MaHoSo: str
    MaTTHC: str
    KenhThucHien: int = ONLINE_ON_PORTAL
    ChuHoSo: str
    SoGiayToChuHoSo: str
    SoDienThoai: str = ""
    Email: str = ""
    DiaChiChuHoSo: str = ""
    NgayNopHoSo: str | None = None
    HinhThuc: int = 0  # 0 the result online or at the desk, 1 by post
    DiaChiNhanKetQua: str = ""
    DuLieuBieuMau: dict[str, Any] = {}
    TaiLieuNop: list[TepIn] = []


class Answer(Schema):
    error_code: str
    message: str
    result: dict[str, Any] | None = None
    code: str = ""
    detail: Any = None


# the dossiers action's field names, as the portal's record names them
FIELD_NAMES = {
    "applicant.personal_id": "SoGiayToChuHoSo",
    "applicant.full_name": "ChuHoSo",
    "applicant.phone": "SoDienThoai",
    "applicant.email": "Email",
    "applicant.address": "DiaChiChuHoSo",
    "applicant": "ChuHoSo",
    "delivery": "HinhThuc",
    "delivery_address": "DiaChiNhanKetQua",
    "procedure": "MaTTHC",
}
ATTACHMENT_PARTS = {"component": "MaThanhPhanHoSo", "content_base64": "NoiDung"}


def national_field(field: str) -> list[str]:
    """`form.ho_ten` → [DuLieuBieuMau, ho_ten]; `attachments.0.component` → [TaiLieuNop, 0,
    MaThanhPhanHoSo]; `applicant.personal_id` → [SoGiayToChuHoSo]."""
    if field in FIELD_NAMES:
        return [FIELD_NAMES[field]]
    head, _sep, rest = field.partition(".")
    if head == "form":
        return ["DuLieuBieuMau", *rest.split(".")]
    if head == "attachments":
        parts = rest.split(".")
        return ["TaiLieuNop", *[ATTACHMENT_PARTS.get(p, p) for p in parts]]
    return field.split(".") if field and field != ALL else []


def refusal(
    status: int, portal_code: str, code: str, message: str, problems: dict[str, str]
) -> Status:
    detail = []
    for field, msg in problems.items():
        path = national_field(field)
        detail.append(
            {"loc": ["body", *path], "field": path[-1] if path else "", "msg": msg, "type": code}
        )
    return Status(
        status,
        {"error_code": portal_code, "message": message, "code": code, "detail": detail or message},
    )


def _portal_date(value: str | None, problems: dict[str, str]) -> datetime | None:
    if value in (None, ""):
        return None
    if not DATE.match(str(value)):
        problems["NgayNopHoSo"] = _("Ngày nộp phải có dạng yyyyMMddHHmmss.")
        return None
    try:
        return datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=VIETNAM)
    except ValueError:
        problems["NgayNopHoSo"] = _("Ngày nộp không có thật.")
        return None


def _delivery(version: Any, how: int) -> str:
    if how == 1:
        return Dossier.Delivery.POST
    options = actions.delivery_options(version) if version else []
    return Dossier.Delivery.ONLINE if "online" in options else Dossier.Delivery.COUNTER


def _ok(dossier: Dossier, national_code: str, created: bool) -> Status:
    from tinhso.dvcqg.fields import national_date

    return Status(
        201 if created else 200,
        {
            "error_code": "0",
            "message": _("Tiếp nhận hồ sơ thành công.") if created else _("Hồ sơ đã được nhận."),
            "result": {
                "MaHoSo": national_code,
                "MaHoSoTinh": dossier.code,
                "TrangThaiHoSo": 1,
                "NgayNopHoSo": national_date(dossier.submitted_at),
            },
        },
    )


@router.post(
    "/dvcqg/dossiers",
    auth=portal_keys,
    response={200: Answer, 201: Answer, 409: Answer, 422: Answer},
    summary="A dossier submitted on the national public-service portal (idempotent on MaHoSo)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": HoSoIn.model_json_schema()}},
        }
    },
)
def inbound_dossier(request: HttpRequest) -> Any:
    client = request.auth  # type: ignore[attr-defined]
    assert isinstance(client, ApiClient)
    try:
        body = HoSoIn.model_validate_json(request.body)
    except pydantic.ValidationError as exc:
        detail = [
            {
                "loc": ["body", *(str(p) for p in e.get("loc", ()))],
                "field": str((e.get("loc") or [""])[-1]),
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        return Status(
            422,
            {
                "error_code": "1",
                "message": _("Dữ liệu hồ sơ không hợp lệ."),
                "code": errors.INVALID_DOSSIER.id,
                "detail": detail,
            },
        )
    problems: dict[str, str] = {}
    code = body.MaHoSo.strip()
    if not looks_like_code(code):
        problems["MaHoSo"] = _(
            "Mã hồ sơ phải có dạng {mã đơn vị}-{yyMMdd}-{số thứ tự}, "
            "ví dụ 000.00.00.G22-260101-0001."
        )
    if body.KenhThucHien != ONLINE_ON_PORTAL:
        problems["KenhThucHien"] = _("Hồ sơ nộp trên Cổng DVC quốc gia có KenhThucHien = 2.")
    if body.HinhThuc not in (0, 1):
        problems["HinhThuc"] = _("HinhThuc là 0 (nhận tại cơ quan hoặc trực tuyến) hoặc 1.")
    submitted_at = _portal_date(body.NgayNopHoSo, problems)
    if problems:
        return refusal(
            422, "1", errors.INVALID_DOSSIER.id, _("Dữ liệu hồ sơ không hợp lệ."), problems
        )
    version = national.offered_version(body.MaTTHC)
    try:
        dossier, created = national.receive_from_national_portal(
            client=client,
            national_code=code,
            procedure_code=body.MaTTHC,
            applicant=actions.Applicant(
                personal_id=body.SoGiayToChuHoSo,
                full_name=body.ChuHoSo,
                phone=body.SoDienThoai,
                email=body.Email,
                address=body.DiaChiChuHoSo,
            ),
            form=dict(body.DuLieuBieuMau),
            delivery=_delivery(version, body.HinhThuc),
            delivery_address=body.DiaChiNhanKetQua,
            attachments=[
                actions.Attachment(t.MaThanhPhanHoSo, t.TenTepDinhKem, t.NoiDung)
                for t in body.TaiLieuNop
            ],
            fingerprint=actions.request_fingerprint(body.model_dump()),
            submitted_at_portal=submitted_at,
        )
    except DomainError as exc:
        portal_code = errors.PORTAL_CODE.get(exc.code.id, "1")
        if exc.kind is Kind.INVALID:
            return refusal(
                422, portal_code, exc.code.id, exc.message, exc.fields or {ALL: exc.message}
            )
        if exc.kind is Kind.CONFLICT:
            return refusal(409, portal_code, exc.code.id, exc.message, {})
        raise
    return _ok(dossier, code, created)
