"""Public, read-only API of the procedure catalogue: search and one procedure.

Procedures are public (Decree 63/2010/NĐ-CP Art. 13 asks that they be published), so no
sign-in is needed; only published versions of active procedures are shown.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tinhso.catalogue import errors, queries
from tinhso.catalogue.models import Procedure, ProcedureVersion
from tinhso.catalogue.search import ListedProcedure

router = Router()


class CatalogueMessage(Schema):
    """A refusal (tinhso.core.errors), answered by the API's one handler."""

    code: str
    message: str
    detail: str


class NamedRef(Schema):
    code: str
    name: str


class FeeOut(Schema):
    name: str
    amount: int
    note: str = ""


class ProcedureSummary(Schema):
    code: str
    name: str
    field: NamedRef
    levels: list[str]
    agency: NamedRef | None
    online_type: str
    online_type_label: str
    channels: list[str]
    processing: str
    total_fee: int
    url: str


class ProcedureList(Schema):
    items: list[ProcedureSummary]
    count: int
    query: str = Field(description="Từ khóa đã tìm, sau khi bỏ dấu và sửa lỗi gõ.")


class ComponentOut(Schema):
    position: int
    code: str
    name: str
    originals: int
    copies: int
    required: bool
    from_datastore: bool
    group: str
    form_url: str | None


class ProcedureDetail(ProcedureSummary):
    version: int
    published_at: str | None
    processing_days: Decimal | None
    processing_hours: Decimal | None
    processing_note: str
    fees: list[FeeOut]
    result_name: str
    legal_basis: str
    conditions: str
    steps: str
    components: list[ComponentOut]
    eform_schema: dict[str, Any]
    eform_layout: dict[str, Any]


class ProcedureSearch(Schema):
    q: str = Field("", max_length=200, description="Từ khóa, có dấu hoặc không dấu.")
    field: str | None = Field(None, max_length=40, description="Mã lĩnh vực, ví dụ G15-TP07.")
    agency: str | None = Field(None, max_length=40, description="Mã định danh cơ quan.")
    level: Literal["province", "commune", "department"] | None = None
    online_type: ProcedureVersion.OnlineType | None = None
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


def summary(procedure: Procedure | ListedProcedure) -> dict[str, Any]:
    """A procedure as a list shows it: a model instance (the detail) or a search's row."""
    version = procedure.current_version
    assert version is not None
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": {"code": procedure.field.code, "name": procedure.field.name},
        "levels": procedure.levels,
        "agency": (
            {"code": procedure.agency.code, "name": procedure.agency.name}
            if procedure.agency is not None
            else None
        ),
        "online_type": version.online_type,
        "online_type_label": version.get_online_type_display(),
        "channels": version.channels,
        "processing": version.processing_label,
        "total_fee": version.total_fee,
        "url": reverse("catalogue:procedure", args=[procedure.code]),
    }


@router.get(
    "/procedures",
    response=ProcedureList,
    summary="Tìm thủ tục hành chính (không phân biệt dấu, chữ hoa; chịu lỗi gõ)",
)
def search_procedures(request: HttpRequest, filters: Query[ProcedureSearch]) -> object:
    page = queries.search(
        filters.q,
        field=filters.field,
        agency=filters.agency,
        level=filters.level,
        online_type=filters.online_type,
        limit=filters.limit,
        offset=filters.offset,
    )
    return {
        "items": [summary(p) for p in page.items],
        "count": page.count,
        "query": page.corrected,
    }


@router.get(
    "/procedures/{code}",
    response={200: ProcedureDetail, 404: CatalogueMessage},
    summary="Một thủ tục: phiên bản đang công bố",
)
def get_procedure(request: HttpRequest, code: str) -> object:
    try:
        version = queries.published_version(code)
    except ProcedureVersion.DoesNotExist:
        raise errors.PROCEDURE_NOT_FOUND(
            _("Không có thủ tục đang công bố mã %(code)s.") % {"code": code}
        ) from None
    procedure = version.procedure
    procedure.current_version = version
    return {
        **summary(procedure),
        "version": version.number,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "processing_days": version.processing_days,
        "processing_hours": version.processing_hours,
        "processing_note": version.processing_note,
        "fees": version.fees,
        "result_name": version.result_name,
        "legal_basis": version.legal_basis,
        "conditions": version.conditions,
        "steps": version.steps,
        "components": [
            {
                "position": c.position,
                "code": c.code,
                "name": c.name,
                "originals": c.originals,
                "copies": c.copies,
                "required": c.required,
                "from_datastore": c.from_datastore,
                "group": c.group,
                "form_url": c.form_file.url if c.form_file else None,
            }
            for c in version.components.all()
        ],
        "eform_schema": version.eform_schema,
        "eform_layout": version.eform_layout,
    }
