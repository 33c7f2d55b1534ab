"""/api/v1/dossiers: submission for other channels, status, and the public look-up.

`POST /dossiers` needs an `Idempotency-Key` header: a retried request with the same key and
body returns the dossier made the first time (200), never a second one; the same key with a
different body is refused (409). Bad e-form data or files give 422 with one entry per field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Header, Router, Schema, Status
from ninja.errors import HttpError

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core.middleware import client_address
from tinhso.dossiers import actions, queries
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.receipt import local
from tinhso.people.security import signed_in
from tinhso.places.models import Agency

router = Router()


class AttachmentIn(Schema):
    component: str
    filename: str
    content_base64: str


class DossierIn(Schema):
    procedure: str
    form: dict[str, Any]
    delivery: str
    delivery_address: str = ""
    agency: str | None = None
    attachments: list[AttachmentIn] = []


class EventOut(Schema):
    at: datetime
    state: str
    label: str
    note: str


class DossierOut(Schema):
    code: str
    lookup_secret: str
    state: str
    state_label: str
    procedure_code: str
    procedure_version: int
    agency_code: str
    submitted_at: datetime | None
    appointment_at: datetime | None
    fee_total: int
    fee_status: str
    events: list[EventOut]


class LookupIn(Schema):
    code: str
    secret: str


class LookupOut(Schema):
    code: str
    procedure: str
    agency: str
    state: str
    state_label: str
    submitted_at: datetime | None
    appointment_at: datetime | None
    clock_paused: bool
    applicant_initials: str


class Message(Schema):
    detail: Any
    message: str = ""


def _out(dossier: Dossier) -> DossierOut:
    return DossierOut(
        code=dossier.code or "",
        lookup_secret=dossier.lookup_secret,
        state=dossier.state,
        state_label=dossier.get_state_display(),
        procedure_code=dossier.version.procedure.code,
        procedure_version=dossier.version.number,
        agency_code=dossier.agency.code,
        submitted_at=local(dossier.submitted_at),
        appointment_at=local(dossier.appointment_at),
        fee_total=dossier.fee_total,
        fee_status=dossier.fee_status,
        events=[
            EventOut(
                at=local(e.at) or e.at, state=e.state, label=e.get_state_display(), note=e.note
            )
            for e in dossier.events.all()
        ],
    )


def _inline_schema(model: type[Schema]) -> dict[str, Any]:
    """The model's JSON Schema with its $defs inlined, for the OpenAPI request body."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return dict(resolve(schema))


def _pydantic_errors(exc: pydantic.ValidationError) -> dict[str, Any]:
    detail = []
    for error in exc.errors():
        loc = ["body", *(str(p) for p in error.get("loc", ()))]
        detail.append(
            {"loc": loc, "field": loc[-1], "msg": error.get("msg", ""), "type": error["type"]}
        )
    return {"detail": detail, "message": "Dữ liệu không hợp lệ."}


def _field_errors(errors: dict[str, str]) -> dict[str, Any]:
    detail = []
    for field, msg in errors.items():
        loc = ["body", *field.split(".")] if field != "Idempotency-Key" else ["header", field]
        detail.append({"loc": loc, "field": loc[-1], "msg": msg, "type": "value_error"})
    return {"detail": detail, "message": "Dữ liệu không hợp lệ."}


@router.post(
    "/dossiers",
    auth=signed_in,
    response={200: DossierOut, 201: DossierOut, 409: Message, 413: Message, 422: Message},
    summary="Submit a dossier (idempotent with the Idempotency-Key header)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline_schema(DossierIn)}},
        }
    },
)
def submit_dossier(
    request: HttpRequest,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 200:
        return Status(422, _field_errors({"Idempotency-Key": "Khóa phải dài từ 8 đến 200 ký tự."}))
    # The body is read here, not by ninja, so that a body over Django's size limit gets a
    # 413 with a message instead of an unexpected error.
    try:
        raw = request.body
    except RequestDataTooBig:
        return Status(
            413,
            {
                "detail": "Yêu cầu quá lớn; hãy giảm dung lượng tệp đính kèm.",
                "message": "Yêu cầu quá lớn.",
            },
        )
    try:
        body = DossierIn.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        return Status(422, _pydantic_errors(exc))
    user = request.auth  # type: ignore[attr-defined]
    version = (
        ProcedureVersion.objects.filter(
            procedure__code=body.procedure.strip(), state=ProcedureVersion.State.PUBLISHED
        )
        .select_related("procedure__agency")
        .first()
    )
    if version is None:
        return Status(
            422, _field_errors({"procedure": "Không có thủ tục đang áp dụng với mã này."})
        )
    agency = None
    if body.agency:
        agency = Agency.objects.filter(code=body.agency.strip(), is_active=True).first()
        if agency is None:
            return Status(422, _field_errors({"agency": "Không có cơ quan với mã định danh này."}))
    try:
        dossier, created = actions.submit_via_api(
            user=user,
            key=key,
            version=version,
            form=body.form,
            delivery=body.delivery,
            delivery_address=body.delivery_address,
            attachments=[
                actions.Attachment(a.component, a.filename, a.content_base64)
                for a in body.attachments
            ],
            fingerprint=actions.request_fingerprint(body.dict()),
            agency=agency,
        )
    except actions.IdempotencyConflict as exc:
        return Status(409, {"detail": exc.errors["Idempotency-Key"], "message": "Xung đột khóa."})
    except actions.DossierError as exc:
        return Status(422, _field_errors(exc.errors))
    return Status(201 if created else 200, _out(dossier))


@router.post(
    "/dossiers/lookup",
    auth=None,
    response={200: LookupOut, 404: Message, 429: Message},
    summary="Public look-up by dossier code and look-up secret (no sign-in, rate limited)",
)
def lookup(request: HttpRequest, body: LookupIn, response: HttpResponse) -> Any:
    try:
        status = queries.public_lookup(body.code, body.secret, client=client_address(request))
    except queries.TooManyLookups:
        raise HttpError(
            429, "Bạn đã tra cứu quá nhiều lần; vui lòng thử lại sau một phút."
        ) from None
    if status is None:
        return Status(404, {"detail": "Mã hồ sơ hoặc mã tra cứu không đúng."})
    return Status(
        200,
        LookupOut(
            code=status.code,
            procedure=status.procedure,
            agency=status.agency,
            state=status.state,
            state_label=status.state_label,
            submitted_at=local(status.submitted_at),
            appointment_at=local(status.appointment_at),
            clock_paused=status.paused,
            applicant_initials=status.applicant_initials,
        ),
    )


@router.get(
    "/dossiers/{code}",
    auth=signed_in,
    response={200: DossierOut, 404: Message},
    summary="One of my dossiers, with its status timeline",
)
def dossier_status(request: HttpRequest, code: str) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    try:
        dossier = queries.access_dossier(user, code)
    except Http404:
        return Status(404, {"detail": "Không tìm thấy hồ sơ."})
    return Status(200, _out(dossier))
