"""Public, read-only API of the procedure catalogue: search and one procedure.

Procedures are public (Decree 63/2010/NĐ-CP Art. 13 asks that they be published), so no
sign-in is needed; only published versions of active procedures are shown.

One procedure's answer is the same for everyone (no user, session or key is read), so its
JSON bytes are stored in the database (`StoredDetail`) with the catalogue's generation
(``tinhso.catalogue.generation``) they were rendered under, per language and code, and
served only while that generation is current: every write that can change the answer
(publishing, a new version, withdrawal, import, a field's or agency's name) changes the
generation in its own transaction, so the next request renders the new answer. A stored
answer is one query, shared by every web worker (issue 12).

A search's answer is the same for everyone too: its JSON bytes are kept in the web process's
memory (``tinhso.catalogue.answers``), keyed by the generation, the question (the folded
words, the filters, the page), the language, the script prefix and the URLconf; a repeated
search is the generation's read alone. Requests that name a person are answered fresh.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.renderers import JSONRenderer

from tinhso.catalogue import answers, errors, generation, queries, search
from tinhso.catalogue.models import Procedure, ProcedureVersion, StoredDetail
from tinhso.catalogue.search import ListedProcedure
from tinhso.core.prepared import prepared_cursor

router = Router()
_log = logging.getLogger(__name__)
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


def summary(
    procedure: Procedure | ListedProcedure, url_of: Callable[[str], str] | None = None
) -> dict[str, Any]:
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
        "url": (url_of or _page_url)(procedure.code),
    }


def _page_url(code: str) -> str:
    return reverse("catalogue:procedure", args=[code])


_SLOT = "0slot0"
_PLAIN_CODE = re.compile(r"[A-Za-z0-9._-]+")  # what reverse() writes unchanged


def _page_urls() -> Callable[[str], str]:
    """code → its page's address as reverse() writes it, reversed once per answer rather than
    once per row (a page of 20 rows spent more in reverse() than in its query)."""
    head, _slot, tail = _page_url(_SLOT).partition(_SLOT)
    return lambda code: f"{head}{code}{tail}" if _PLAIN_CODE.fullmatch(code) else _page_url(code)


@router.get(
    "/procedures",
    response=ProcedureList,
    summary="Tìm thủ tục hành chính (không phân biệt dấu, chữ hoa; chịu lỗi gõ)",
)
def search_procedures(request: HttpRequest, filters: Query[ProcedureSearch]) -> object:
    asked = search.question(
        filters.q,
        field=filters.field,
        agency=filters.agency,
        level=filters.level,
        online_type=filters.online_type,
        limit=filters.limit,
        offset=filters.offset,
    )
    token = generation.current()
    # What else shapes the bytes: the language (labels, and the pages' addresses with
    # i18n_patterns), the script prefix and the URLconf (the addresses). Nothing personal:
    # no user, session or key is read, so the answer is everyone's; still, a request that
    # names a person (a session cookie, an Authorization header) is answered fresh and not
    # kept, so the cache stays anonymous should the search ever read who asks.
    key = (asked, get_language() or "", get_script_prefix(), get_urlconf())
    keep = token if token is not None and _anonymous(request) else None
    if keep is not None:
        content = answers.searches.get(keep, key)
        if content is not None:
            return _json(content)
    page = search.answer(asked, token)
    url_of = _page_urls()
    body = {
        "items": [summary(p, url_of) for p in page.items],
        "count": page.count,
        "query": page.corrected,
    }
    # Rendered as the schema's own answer without validating each row again: the rows are
    # built above in the schema's shape and types (tests/catalogue/test_api.py checks that
    # validating changes nothing), and the validation cost more than the page's query.
    rendered = _RENDERER.render(request, body, response_status=200)
    content = rendered.encode() if isinstance(rendered, str) else rendered
    if keep is not None:
        answers.searches.put(keep, key, content)
    return _json(content)


def _anonymous(request: HttpRequest) -> bool:
    """Whether the request names nobody: no session cookie, no Authorization header."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


@router.get(
    "/procedures/{code}",
    response={200: ProcedureDetail, 404: CatalogueMessage},
    summary="Một thủ tục: phiên bản đang công bố",
)
def get_procedure(request: HttpRequest, code: str) -> object:
    language, prefix = get_language() or "", get_script_prefix()
    found, token, content = _stored_detail(code, language, prefix)
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
    rendered = _RENDERER.render(request, detail, response_status=200)
    content = rendered.encode() if isinstance(rendered, str) else rendered
    # Bounded: codes of published procedures, the configured languages, and the script
    # prefix the server sets (gunicorn takes SCRIPT_NAME only from a trusted proxy).
    if found and len(prefix) <= _PREFIX_MAX:
        _store_detail(code, language, prefix, token, content)
    return _json(content)


def _json(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type=_CONTENT_TYPE)


# The stored answer joined to the generation row: no row at all when the generation is
# missing (then nothing may be stored); the token and no content when none is stored under it.
_STORED_SQL = (
    "SELECT g.token, d.content FROM catalogue_generation g LEFT JOIN catalogue_storeddetail d"
    " ON d.token = g.token AND d.code = %s AND d.language = %s AND d.prefix = %s"
    " WHERE g.id = %s"
)
_PREFIX_MAX = StoredDetail._meta.get_field("prefix").max_length or 0
_STORE_SQL = (
    "INSERT INTO catalogue_storeddetail (code, language, prefix, token, content)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (code, language, prefix)"
    " DO UPDATE SET token = excluded.token, content = excluded.content"
)


def _stored_detail(code: str, language: str, prefix: str) -> tuple[bool, int, bytes | None]:
    """(whether the generation row exists, its token, the detail stored under it or None):
    one prepared statement. Without the row nothing may be stored."""
    with prepared_cursor(StoredDetail.objects.db) as cursor:
        cursor.execute(_STORED_SQL, [code, language, prefix, generation.ROW])
        row = cursor.fetchone()
    if row is None:
        return False, 0, None
    token, content = row
    return True, int(token), bytes(content) if content is not None else None


def _store_detail(code: str, language: str, prefix: str, token: int, content: bytes) -> None:
    """Keep `content` as the answer under `token`, which was read before the version was: if
    the catalogue changed in between, the token is no longer current and the row is never
    served (a later request renders it again). One statement (the API's reads run outside
    any transaction); a database that refuses it costs the next request a render, not this
    answer. Nor a wait: on SQLite the write lock is waited for `_STORE_WAIT_MS` at most, not
    the connection's timeout (20 s), so a long write elsewhere (an import, a rebuild of the
    rollups) does not hold every reader of an unstored detail, and the web's threads, for it."""
    try:
        with _short_wait(), connection.cursor() as cursor:
            cursor.execute(_STORE_SQL, [code, language, prefix, token, content])
    except DatabaseError as exc:  # expected under a writer's lock: one line, no traceback
        _log.warning("catalogue detail not stored: %s (%s)", code, exc)


_STORE_WAIT_MS = 50


@contextmanager
def _short_wait() -> Iterator[None]:
    """SQLite's busy timeout lowered to `_STORE_WAIT_MS` for the block (set on the driver's
    connection: not one of the request's queries), then put back."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    usual = int(float(connection.settings_dict["OPTIONS"].get("timeout", 5)) * 1000)
    raw.execute(f"PRAGMA busy_timeout = {_STORE_WAIT_MS}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {usual}")


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
