"""The HTTP API at /api/v1/ (django-ninja): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Errors are typed: 422 with one entry per field for invalid input, 401/403/404 with a
`detail` message; an action's refusal (`tinhso.core.errors.DomainError`) carries its stable
`code` and `message` too, with the status its kind gives (422, 409, 403, 404); and never
a bare 500 (unexpected errors are logged and answered as a typed 500 without internals).
A client application's key refused (`tinhso.people.clients`) is `{"detail", "code"}` with
401 (`invalid_api_key`), 403 (`missing_scope`) or 429 (`rate_limited`, with `Retry-After`).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from tinhso.catalogue.api import router as catalogue_router
from tinhso.core.errors import DomainError
from tinhso.documents.api import router as documents_router
from tinhso.dossiers.api import router as dossiers_router
from tinhso.dvcqg.api import router as dvcqg_router
from tinhso.feedback.api import router as feedback_router
from tinhso.ioc.api import router as ioc_router
from tinhso.people.api import router as people_router
from tinhso.people.clients import ClientRefused
from tinhso.places.api import router as places_router

log = logging.getLogger("tinhso.api")

api = NinjaAPI(
    title="tinhso API",
    version="1",
    description="API của nền tảng chính quyền số tinhso.",
    urls_namespace="api-v1",
    docs_url="/docs" if settings.API_DOCS else None,
)


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ())]
        details.append(
            {
                "loc": loc,
                "field": loc[-1] if loc else "",
                "msg": error.get("msg", ""),
                "type": error.get("type", ""),
            }
        )
    return api.create_response(
        request,
        {"code": "invalid_input", "detail": details, "message": "Dữ liệu không hợp lệ."},
        status=422,
    )


@api.exception_handler(DomainError)
def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The one mapping of a domain error to a response: its code's kind is the status."""
    return api.create_response(request, exc.as_json(), status=exc.status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "Cần đăng nhập."}, status=401)


@api.exception_handler(ClientRefused)
def client_refused(request: HttpRequest, exc: ClientRefused) -> HttpResponse:
    response = api.create_response(
        request, {"detail": exc.message, "code": exc.code}, status=exc.status
    )
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="tinhso"'
    return response


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over Django's size limit read by ninja (any JSON operation; the public look-up
    takes no sign-in): the 413 the dossier submission answers, not an unexpected 500."""
    return api.create_response(
        request,
        {"detail": _("Yêu cầu quá lớn."), "message": _("Yêu cầu quá lớn.")},
        status=413,
    )


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unexpected error in %s %s", request.method, request.path)
    return api.create_response(
        request, {"detail": "Lỗi hệ thống; sự cố đã được ghi lại."}, status=500
    )


@api.get("/health", tags=["system"], summary="Liveness and database check")
def health(request: HttpRequest) -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}


api.add_router("/places", places_router, tags=["places"])
api.add_router("/people", people_router, tags=["people"])
# Each domain's router declares its own paths (e.g. /procedures, /dossiers, /documents).
api.add_router("", catalogue_router, tags=["catalogue"])
api.add_router("", dossiers_router, tags=["dossiers"])
api.add_router("", documents_router, tags=["documents"])
api.add_router("", feedback_router, tags=["feedback"])
api.add_router("", ioc_router, tags=["ioc"])
api.add_router("", dvcqg_router, tags=["dvcqg"])
