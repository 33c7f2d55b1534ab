"""/api/v1/dossiers: submission for other channels, status, and the public look-up.

`POST /dossiers` needs an `Idempotency-Key` header: a retried request with the same key and
body returns the dossier made the first time (200), never a second one; the same key with a
different body is refused (409, `dossiers.idempotency_key_reused`). Bad e-form data or files
give 422 with one entry per field. Refusals carry the code declared in `dossiers/errors.py`:
`{"code", "message", "detail"}` (see `DossierRefused`).

Who may submit: the signed-in citizen (session, with CSRF), or a client application of
another channel (`tinhso.people.clients`) holding the `dossiers.submit` scope, by its key in
`Authorization: Bearer <key>` or `X-API-Key: <key>` (both accepted). A client submits for an
applicant named in the body (`applicant`); keys are scoped to the client.

A signed-in citizen submits as themselves: the form's identity fields (those the e-form
prefills from the citizen's name, personal ID, phone and e-mail) come from the account, and a
body naming another person there is refused (422 on those fields). Filing for another
person is declared in `on_behalf` ({name, personal_id, relation}; Decree 118/2025/NĐ-CP,
Civil Code 2015 Art. 138-143) with the authorisation document as the attachment whose
`component` is "authorisation" (422 `attachments.authorisation` without it, unless the
relation is a legal representative's of a minor; docs/dossiers.md). An unknown or
revoked key is 401, a missing scope 403, over the client's per-minute limit 429 with
`Retry-After`: typed errors `{"detail", "code"}` answered by `tinhso.api.main`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Router, Schema, Status
from ninja.security import APIKeyHeader, HttpBearer

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core import compiled_reads
from tinhso.core.errors import Kind
from tinhso.core.middleware import client_address
from tinhso.dossiers import actions, errors, queries
from tinhso.dossiers.actions.drafts import OnBehalf
from tinhso.dossiers.actions.submission import submission_event
from tinhso.dossiers.errors import DossierError
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.receipt import local
from tinhso.people import clients
from tinhso.people.models import ApiClient, ApiScope
from tinhso.people.security import signed_in
from tinhso.places.models import Agency

router = Router()


class ClientKey(APIKeyHeader):
    """A client application's key in the `X-API-Key` header, checked for one scope."""

    param_name = "X-API-Key"

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiClient | None:
        # No header: not this scheme, try the next. A header with a bad key: refused (401).
        return clients.admit(key, self.scope) if key else None


class ClientBearer(HttpBearer):
    """The same key as `Authorization: Bearer <key>`."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        return clients.admit(token, self.scope)


# The client schemes come first: the session scheme checks CSRF, which a machine never has.
submitters = [
    ClientBearer(ApiScope.DOSSIERS_SUBMIT),
    ClientKey(ApiScope.DOSSIERS_SUBMIT),
    signed_in,
]


class AttachmentIn(Schema):
    component: str
    filename: str
    content_base64: str


class ApplicantIn(Schema):
    """Người nộp hồ sơ: required when a client application submits, refused otherwise."""

    personal_id: str
    full_name: str
    phone: str = ""
    email: str = ""
    address: str = ""


class OnBehalfIn(Schema):
    """Nộp thay: the person represented (the dossier's applicant) and the relation to them;
    for a signed-in citizen only."""

    name: str = ""
    personal_id: str = ""
    relation: str = ""


class DossierIn(Schema):
    procedure: str
    form: dict[str, Any]
    delivery: str
    delivery_address: str = ""
    agency: str | None = None
    attachments: list[AttachmentIn] = []
    applicant: ApplicantIn | None = None
    on_behalf: OnBehalfIn | None = None


class EventOut(Schema):
    at: datetime
    state: str
    label: str
    note: str


class DossierOut(Schema):
    code: str
    # Only in the response that created the dossier: the secret is stored hashed.
    lookup_secret: str | None
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


class DossierMessage(Schema):
    detail: Any
    message: str = ""


class TooMany(Schema):
    """Too many failed look-ups: `retry_after` seconds (also the `Retry-After` header)."""

    detail: str
    retry_after: int


class DossierRefused(Schema):
    """An action's refusal (`tinhso.core.errors`): its stable `code` (`dossiers.*`), the
    Vietnamese `message`, and `detail`: the message again (404, 409), or for 422 one entry
    per field `{"loc", "field", "msg", "type"}`, `loc` being the field's path in the body
    (`["body", "form", "ho_ten"]`) or `["header", "Idempotency-Key"]`."""

    code: str = ""
    message: str = ""
    detail: Any


class Refusal(Schema):
    """A client application's request refused: 401 `invalid_api_key` (or no session),
    403 `missing_scope`, 429 `rate_limited` (with `Retry-After`)."""

    detail: str
    code: str = ""


def _out(dossier: Dossier, *, created: bool = False) -> DossierOut:
    """`created`: the dossier this request made, whose only event is its submission's."""
    made = submission_event(dossier) if created else None
    events = [made] if made is not None else dossier.events.all()
    return DossierOut(
        code=dossier.code or "",
        lookup_secret=dossier.issued_secret or None,
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
            for e in events
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
    return {"detail": detail, "message": _("Dữ liệu không hợp lệ.")}


def _invalid(exc: DossierError) -> Status:
    """An INVALID refusal of this endpoint: the API's body (`DomainError.as_json`) with each
    field's path split as clients read it (`form.ho_ten` → `["body", "form", "ho_ten"]`, the
    key → `["header", "Idempotency-Key"]`)."""
    body = exc.as_json()
    for entry in body["detail"]:
        field = entry["field"]
        if field == "Idempotency-Key":
            entry["loc"] = ["header", field]
        elif field:
            entry["loc"] = ["body", *field.split(".")]
        entry["field"] = entry["loc"][-1]
    return Status(422, body)


def _published_version(code: str) -> ProcedureVersion | None:
    """The procedure's published version, with its procedure and agency: compiled once per
    process and run prepared (`tinhso.core.compiled_reads`; the queryset's building was a
    tenth of the submission's Python)."""
    found = compiled_reads.objects(
        "dossiers.api.published_version",
        ProcedureVersion,
        lambda m: compiled_reads.first_of(
            ProcedureVersion.objects.filter(
                procedure__code=m.text("code"), state=ProcedureVersion.State.PUBLISHED
            ).select_related("procedure__agency")
        ),
        {"code": code},
    )
    return found[0] if found else None


@router.post(
    "/dossiers",
    auth=submitters,
    response={
        200: DossierOut,
        201: DossierOut,
        401: Refusal,
        403: Refusal,
        409: DossierRefused,
        413: DossierMessage,
        422: DossierRefused,
        429: Refusal,
    },
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
        return _invalid(errors.invalid(errors.IDEMPOTENCY_KEY_LENGTH, "Idempotency-Key"))
    # The body is read here, not by ninja, so that a body over Django's size limit gets a
    # 413 with a message instead of an unexpected error.
    try:
        raw = request.body
    except RequestDataTooBig:
        return Status(
            413,
            {
                "detail": _("Yêu cầu quá lớn; hãy giảm dung lượng tệp đính kèm."),
                "message": _("Yêu cầu quá lớn."),
            },
        )
    try:
        body = DossierIn.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        return Status(422, _pydantic_errors(exc))
    caller = request.auth  # type: ignore[attr-defined]
    client = caller if isinstance(caller, ApiClient) else None
    if client is None and body.applicant is not None:
        return _invalid(errors.invalid(errors.APPLICANT_ONLY_FOR_CLIENTS, "applicant"))
    if client is not None and body.on_behalf is not None:
        return _invalid(errors.invalid(errors.ON_BEHALF_ONLY_FOR_ACCOUNTS, "on_behalf"))
    version = _published_version(body.procedure.strip())
    if version is None:
        return _invalid(errors.invalid(errors.UNKNOWN_PROCEDURE, "procedure"))
    agency = None
    if body.agency:
        agency = Agency.objects.filter(code=body.agency.strip(), is_active=True).first()
        if agency is None:
            return _invalid(errors.invalid(errors.UNKNOWN_AGENCY, "agency"))
    try:
        dossier, created = actions.submit_via_api(
            user=None if client else caller,
            client=client,
            applicant=actions.Applicant(**body.applicant.dict()) if body.applicant else None,
            on_behalf=OnBehalf(
                body.on_behalf.name, body.on_behalf.personal_id, body.on_behalf.relation
            )
            if body.on_behalf
            else None,
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
    except DossierError as exc:
        if exc.kind is not Kind.INVALID:
            raise  # the API's one handler: 409 (key reused, procedure closed) or 404
        return _invalid(exc)
    return Status(201 if created else 200, _out(dossier, created=created))


@router.post(
    "/dossiers/lookup",
    auth=None,
    response={200: LookupOut, 404: DossierMessage, 429: TooMany},
    summary="Public look-up by dossier code and look-up secret (no sign-in, rate limited)",
)
def lookup(request: HttpRequest, body: LookupIn, response: HttpResponse) -> Any:
    try:
        status = queries.public_lookup(body.code, body.secret, client=client_address(request))
    except queries.TooManyLookups as exc:
        response["Retry-After"] = str(exc.retry_after)
        return Status(
            429,
            {
                "detail": _(
                    "Bạn đã tra cứu sai quá nhiều lần; vui lòng thử lại sau %(seconds)d giây."
                )
                % {"seconds": exc.retry_after},
                "retry_after": exc.retry_after,
            },
        )
    if status is None:
        return Status(404, {"detail": _("Mã hồ sơ hoặc mã tra cứu không đúng.")})
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


def _access(request: HttpRequest, code: str) -> Dossier:
    """The caller's dossier: the signed-in owner's, or one the calling client submitted."""
    caller = request.auth  # type: ignore[attr-defined]
    if isinstance(caller, ApiClient):
        return queries.access_dossier_for_client(caller, code)
    return queries.access_dossier(caller, code)


@router.get(
    "/dossiers/{code}",
    auth=submitters,
    response={200: DossierOut, 401: Refusal, 403: Refusal, 404: DossierMessage, 429: Refusal},
    summary="One of my dossiers (or one this client submitted), with its status timeline",
)
def dossier_status(request: HttpRequest, code: str) -> Any:
    try:
        dossier = _access(request, code)
    except Http404:
        return Status(404, {"detail": _("Không tìm thấy hồ sơ.")})
    return Status(200, _out(dossier))


@router.post(
    "/dossiers/{code}/lookup-secret",
    auth=submitters,
    response={
        200: DossierOut,
        401: Refusal,
        403: Refusal,
        404: DossierMessage,
        409: DossierRefused,
        429: Refusal,
    },
    summary="Issue a new look-up secret (the old one stops working); returned once",
)
def reissue_lookup_secret(request: HttpRequest, code: str) -> Any:
    try:
        dossier = _access(request, code)
    except Http404:
        return Status(404, {"detail": _("Không tìm thấy hồ sơ.")})
    caller = request.auth  # type: ignore[attr-defined]
    if isinstance(caller, ApiClient):
        renewed = actions.reissue_lookup_secret(dossier, client=caller)
    else:
        renewed = actions.reissue_lookup_secret(dossier, user=caller)
    return Status(200, _out(renewed))
