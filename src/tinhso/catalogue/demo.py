"""The demo catalogue: 55 real, common procedures at commune and provincial level.

The data is in ``data/demo_catalogue.json``: national codes, names, times, fees and dossier
components taken from the national public-service portal's records (Cổng DVCQG, crawled
2026-07-18) where a record exists, and marked "CHƯA XÁC NHẬN" (unconfirmed) where a figure
comes from elsewhere. Each procedure says its source.

`load_demo()` creates or updates the procedures through `actions.save_procedure` (a new
version only when the content changed) and assigns the competent agency from the demo
agencies (`tinhso.places.demo`): a department by its short name for provincial procedures;
commune-level procedures have no single agency: the competent one is the People's Committee
of the commune the dossier is for (`queries.competent_agencies`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from tinhso.catalogue import actions
from tinhso.catalogue.rules import ComponentSpec, VersionSpec
from tinhso.places.models import Agency

DATA = Path(__file__).resolve().parent / "data" / "demo_catalogue.json"
AFTER = ("places",)  # `tinhso demo load` (tinhso.core.demo): competent agencies first

_APPLICANT: dict[str, dict[str, Any]] = {
    "applicant_name": {
        "type": "string",
        "title": "Họ, chữ đệm, tên người yêu cầu",
        "maxLength": 100,
    },
    "applicant_id": {
        "type": "string",
        "title": "Số định danh cá nhân",
        "pattern": "^[0-9]{12}$",
        "description": "12 chữ số, in trên thẻ căn cước.",
    },
    "applicant_phone": {
        "type": "string",
        "title": "Số điện thoại",
        "pattern": "^0[0-9]{9}$",
        "description": "Để nhận tin nhắn về hồ sơ, ví dụ 0912345678.",
    },
    "applicant_email": {"type": "string", "format": "email", "title": "Thư điện tử"},
    "applicant_address": {"type": "string", "title": "Nơi cư trú", "maxLength": 300},
}
_APPLICANT_PREFILL = {
    "applicant_name": "citizen.full_name",
    "applicant_id": "citizen.personal_id",
    "applicant_phone": "citizen.phone",
    "applicant_email": "citizen.email",
    "applicant_address": "citizen.address",
}
_APPLICANT_GROUP = {"title": "Người yêu cầu", "fields": list(_APPLICANT)}


def _form(
    title: str,
    own: dict[str, dict[str, Any]],
    required: list[str],
    widgets: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = {
        "type": "object",
        "properties": {**_APPLICANT, **own},
        "required": ["applicant_name", "applicant_id", "applicant_phone", *required],
    }
    layout = {
        "order": [*_APPLICANT, *own],
        "groups": [_APPLICANT_GROUP, {"title": title, "fields": list(own)}],
        "prefill": dict(_APPLICANT_PREFILL),
        "widgets": widgets or {},
    }
    return schema, layout


_SEX = {"type": "string", "title": "Giới tính", "enum": ["Nam", "Nữ"]}
EFORMS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "birth": _form(
        "Người được khai sinh",
        {
            "child_name": {"type": "string", "title": "Họ, chữ đệm, tên của trẻ", "maxLength": 100},
            "child_birth_date": {
                "type": "string",
                "format": "date",
                "title": "Ngày, tháng, năm sinh",
                "x-not-after": "today",
            },
            "child_sex": _SEX,
            "child_birth_place": {"type": "string", "title": "Nơi sinh", "maxLength": 300},
            "mother_name": {
                "type": "string",
                "title": "Họ, chữ đệm, tên người mẹ",
                "maxLength": 100,
            },
            "father_name": {
                "type": "string",
                "title": "Họ, chữ đệm, tên người cha",
                "maxLength": 100,
                "description": "Để trống nếu chưa xác định được cha.",
            },
            "relationship": {
                "type": "string",
                "title": "Quan hệ với người được khai sinh",
                "enum": ["Cha", "Mẹ", "Ông", "Bà", "Người thân thích khác"],
            },
            "copies": {
                "type": "integer",
                "title": "Số bản sao đề nghị cấp",
                "minimum": 0,
                "maximum": 10,
            },
        },
        [
            "child_name",
            "child_birth_date",
            "child_sex",
            "child_birth_place",
            "mother_name",
            "relationship",
        ],
    ),
    "death": _form(
        "Người đã chết",
        {
            "deceased_name": {
                "type": "string",
                "title": "Họ, chữ đệm, tên người đã chết",
                "maxLength": 100,
            },
            "deceased_id": {
                "type": "string",
                "title": "Số định danh cá nhân của người đã chết",
                "pattern": "^[0-9]{12}$",
            },
            "death_date": {"type": "string", "format": "date", "title": "Ngày chết"},
            "death_place": {"type": "string", "title": "Nơi chết", "maxLength": 300},
            "death_cause": {"type": "string", "title": "Nguyên nhân chết", "maxLength": 300},
            "relationship": {
                "type": "string",
                "title": "Quan hệ với người đã chết",
                "maxLength": 50,
            },
        },
        ["deceased_name", "death_date", "death_place", "relationship"],
    ),
    "marriage": _form(
        "Hai bên kết hôn",
        {
            "partner_name": {
                "type": "string",
                "title": "Họ, chữ đệm, tên bên kia",
                "maxLength": 100,
            },
            "partner_id": {
                "type": "string",
                "title": "Số định danh cá nhân của bên kia",
                "pattern": "^[0-9]{12}$",
            },
            "partner_birth_date": {
                "type": "string",
                "format": "date",
                "title": "Ngày sinh của bên kia",
                "x-not-after": "today",
            },
            "partner_address": {
                "type": "string",
                "title": "Nơi cư trú của bên kia",
                "maxLength": 300,
            },
            "both_present": {
                "type": "boolean",
                "title": "Hai bên cam đoan cùng có mặt khi đăng ký kết hôn",
                "description": (
                    "Luật Hộ tịch 2014 Điều 18: hai bên phải có mặt khi trao Giấy chứng nhận "
                    "kết hôn."
                ),
            },
        },
        ["partner_name", "partner_id", "partner_birth_date", "both_present"],
    ),
    "marital_status": _form(
        "Nội dung xác nhận",
        {
            "purpose": {
                "type": "string",
                "title": "Mục đích sử dụng",
                "enum": ["Kết hôn", "Mua bán, chuyển nhượng tài sản", "Vay vốn", "Mục đích khác"],
            },
            "purpose_detail": {
                "type": "string",
                "title": "Ghi rõ mục đích (nếu khác)",
                "maxLength": 300,
            },
            "status_period_from": {
                "type": "string",
                "format": "date",
                "title": "Xác nhận tình trạng từ ngày",
            },
            "copies": {
                "type": "integer",
                "title": "Số bản đề nghị cấp",
                "minimum": 1,
                "maximum": 5,
            },
        },
        ["purpose", "copies"],
    ),
    "residence": _form(
        "Nơi đăng ký cư trú",
        {
            "new_address": {"type": "string", "title": "Địa chỉ nơi đăng ký", "maxLength": 300},
            "owner_name": {
                "type": "string",
                "title": "Họ tên chủ hộ hoặc chủ sở hữu chỗ ở",
                "maxLength": 100,
            },
            "owner_relationship": {
                "type": "string",
                "title": "Quan hệ với chủ hộ",
                "maxLength": 50,
            },
            "move_date": {"type": "string", "format": "date", "title": "Ngày chuyển đến"},
        },
        ["new_address", "owner_name", "owner_relationship"],
    ),
    "civil_copy": _form(
        "Giấy tờ cần cấp bản sao",
        {
            "document_kind": {
                "type": "string",
                "title": "Loại giấy tờ",
                "enum": [
                    "Giấy khai sinh",
                    "Trích lục kết hôn",
                    "Trích lục khai tử",
                    "Trích lục hộ tịch khác",
                ],
            },
            "person_name": {
                "type": "string",
                "title": "Họ tên người được cấp giấy tờ",
                "maxLength": 100,
            },
            "register_year": {
                "type": "integer",
                "title": "Năm đăng ký",
                "minimum": 1945,
                "maximum": 2100,
            },
            "copies": {"type": "integer", "title": "Số bản sao", "minimum": 1, "maximum": 10},
        },
        ["document_kind", "person_name", "copies"],
    ),
    "household_business": _form(
        "Hộ kinh doanh",
        {
            "business_name": {"type": "string", "title": "Tên hộ kinh doanh", "maxLength": 200},
            "business_address": {
                "type": "string",
                "title": "Địa điểm kinh doanh",
                "maxLength": 300,
            },
            "business_lines": {
                "type": "string",
                "title": "Ngành, nghề kinh doanh",
                "maxLength": 1000,
            },
            "capital": {"type": "integer", "title": "Vốn kinh doanh (đồng)", "minimum": 0},
            "workers": {"type": "integer", "title": "Số lao động", "minimum": 0, "maximum": 1000},
        },
        ["business_name", "business_address", "business_lines", "capital"],
        {"business_lines": "textarea"},
    ),
    "generic": _form(
        "Nội dung yêu cầu",
        {
            "request": {
                "type": "string",
                "title": "Nội dung đề nghị",
                "maxLength": 2000,
                "description": "Trình bày ngắn gọn việc cần giải quyết.",
            }
        },
        ["request"],
        {"request": "textarea"},
    ),
}


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    agencies_missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"danh mục mẫu: {len(self.created)} thủ tục mới, {len(self.updated)} có phiên bản "
            f"mới, {len(self.unchanged)} không đổi"
        )
        if self.agencies_missing:
            text += f"; chưa có cơ quan: {', '.join(sorted(set(self.agencies_missing)))}"
        return text


def demo_data() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _spec(entry: dict[str, Any]) -> VersionSpec:
    schema, layout = EFORMS[entry.get("eform") or "generic"]

    def dec(name: str) -> Decimal | None:
        value = entry.get(name)
        return Decimal(str(value)) if value not in (None, "") else None

    return VersionSpec(
        name=entry["name"],
        processing_days=dec("processing_days"),
        processing_hours=dec("processing_hours"),
        processing_note=entry.get("processing_note") or "",
        online_type=entry["online_type"],
        channels=list(entry["channels"]),
        fees=list(entry.get("fees") or []),
        result_name=entry.get("result_name") or "",
        legal_basis=entry.get("legal_basis") or "",
        conditions=entry.get("conditions") or "",
        steps=entry.get("steps") or "",
        eform_schema=schema,
        eform_layout=layout,
        components=[
            ComponentSpec(
                name=c["name"],
                code=c.get("code", ""),
                originals=int(c.get("originals", 0)),
                copies=int(c.get("copies", 0)),
                required=bool(c.get("required", True)),
                from_datastore=bool(c.get("from_datastore", False)),
                group=c.get("group", ""),
            )
            for c in entry.get("components") or []
        ],
    )


def _agency(short_name: str | None) -> Agency | None:
    if not short_name:
        return None
    from tinhso.places.queries import home_province_code

    return (
        Agency.objects.filter(
            province__code=home_province_code(), short_name=short_name, is_active=True
        )
        .order_by("code")
        .first()
    )


def load_demo(*, with_places: bool = True) -> DemoResult:
    """Create or update the demo procedures; running it again changes nothing."""
    if with_places:
        from tinhso.places import demo as places_demo

        places_demo.load_demo()
    result = DemoResult()
    entries = demo_data()["procedures"]
    # The portal's records name one field (G05-KD07) two ways; a field has one name, the first
    # record's, or every load would rename it back and forth.
    field_names: dict[str, str] = {}
    for entry in entries:
        field_names.setdefault(entry["field"]["code"], entry["field"]["name"])
    for entry in entries:
        agency = _agency(entry.get("agency"))
        if entry.get("agency") and agency is None:
            result.agencies_missing.append(entry["agency"])
        with transaction.atomic():
            existed = actions.Procedure.objects.filter(code=entry["code"]).exists()
            procedure, published = actions.save_procedure(
                code=entry["code"],
                field_code=entry["field"]["code"],
                field_name=field_names[entry["field"]["code"]],
                spec=_spec(entry),
                actor=None,
                levels=entry["levels"],
                popularity=int(entry.get("popularity", 0)),
            )
            if agency is not None and procedure.agency_id != agency.pk:
                actions.set_agency(procedure, agency, actor=None)
        if not existed:
            result.created.append(entry["code"])
        elif published is not None:
            result.updated.append(entry["code"])
        else:
            result.unchanged.append(entry["code"])
    return result
