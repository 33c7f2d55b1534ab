"""Public, read-only API of the procedure catalogue: search and one procedure.

Procedures are public (Decree 63/2010/NĐ-CP Art. 13 asks that they be published), so no
sign-in is needed; only published versions of active procedures are shown.

One procedure's answer is the same for everyone (no user, session or key is read), so its
JSON bytes are cached in Django's default cache, keyed by the catalogue's generation
(``tinhso.catalogue.generation``), the language and the code: every write that can change
the answer (publishing, a new version, withdrawal, import, a field's or agency's name)
changes the generation in its own transaction, so the next request reads the new answer.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal
from typing import Any, Literal

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.renderers import JSONRenderer

from tinhso.catalogue import errors, generation, queries
from tinhso.catalogue.models import Procedure, ProcedureVersion
from tinhso.catalogue.search import ListedProcedure

router = Router()
_log = logging.getLogger(__name__)
# How long a cached detail may live; the generation, not this, is what keeps it correct.
DETAIL_CACHE_SECONDS = 600
# The API's renderer (tinhso.api.main sets none of its own: ninja's JSON).
_RENDERER = JSONRenderer()
_CONTENT_TYPE = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"


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
    token = generation.current()
    key = None
    if token is not None:
        what = (token, get_language(), get_script_prefix(), code)
        key = "catalogue.detail:" + hashlib.sha256(repr(what).encode()).hexdigest()
        content = _cached_detail(key)
        if content is not None:
            return _json(content)
    try:
        version = queries.published_version(code)
    except ProcedureVersion.DoesNotExist:
        raise errors.PROCEDURE_NOT_FOUND(
            _("Không có thủ tục đang công bố mã %(code)s.") % {"code": code}
        ) from None
    # Rendered here as ninja would from the response schema, so hit and miss are the same bytes.
    detail = ProcedureDetail.model_validate(_detail(version)).model_dump()
    content = _RENDERER.render(request, detail, response_status=200)
    if key is not None:
        _store_detail(key, content)
    return _json(content)


def _json(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type=_CONTENT_TYPE)


def _cached_detail(key: str) -> bytes | None:
    try:
        value: bytes | None = cache.get(key)
    except Exception:  # a shared cache that is down costs a query, not the answer
        _log.warning("catalogue detail cache unavailable", exc_info=True)
        return None
    return value


def _store_detail(key: str, content: bytes) -> None:
    try:
        cache.set(key, content, DETAIL_CACHE_SECONDS)
    except Exception:
        _log.warning("catalogue detail cache unavailable", exc_info=True)


def _detail(version: ProcedureVersion) -> dict[str, Any]:
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
