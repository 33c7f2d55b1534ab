import posixpath
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from tinhso.core.errors import DomainError
from tinhso.web.display import CONTRASTS, COOKIE, SIZES, display_preferences


def home(request: HttpRequest) -> HttpResponse:
    from tinhso.catalogue import queries as catalogue

    return render(
        request,
        "web/home.html",
        {
            "popular_procedures": catalogue.popular_procedures(8),
            "fields": catalogue.fields_with_procedures(),
        },
    )


def display(request: HttpRequest) -> HttpResponse:
    """Set text size and contrast from a plain link, then go back where the person was."""
    current = display_preferences(request)
    size = request.GET.get("co-chu")
    contrast = request.GET.get("tuong-phan")
    chosen = replace(
        current,
        size=size if size in SIZES else current.size,
        contrast=contrast if contrast in CONTRASTS else current.contrast,
    )
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        COOKIE,
        chosen.cookie_value(),
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


# --- Error pages ------------------------------------------------------------------------
# Django's own error pages are English and outside the site layout; these are the site's,
# in the visitor's language, each with a way back. The API keeps JSON errors.


# An API path the URL router could not match, or a refusal raised outside an operation,
# answers in the shape of every other refusal (`tinhso.core.errors.DomainError.as_json`).
_API_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "server_error"}


def _api_error(request: HttpRequest, status: int, detail: str) -> HttpResponse | None:
    if request.path.startswith("/api/"):
        code = _API_CODES.get(status, "error")
        return JsonResponse({"code": code, "message": detail, "detail": detail}, status=status)
    return None


def _error_page(
    request: HttpRequest,
    status: int,
    heading: str,
    *,
    template: str = "",
    extra: dict[str, object] | None = None,
) -> HttpResponse:
    api = _api_error(request, status, heading)
    if api is not None:
        return api
    context = {"status": status, "heading": heading, **(extra or {})}
    try:
        return render(request, template or f"web/errors/{status}.html", context, status=status)
    except DatabaseError:
        # The layout's context reads the database (the province's name): without it, the
        # static page that needs nothing.
        return server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, _("Yêu cầu không hợp lệ"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A refusal with a declared code says why (only the named signer may sign...); Django's
    # own PermissionDenied carries nothing meant for the person.
    reason = exception.message if isinstance(exception, DomainError) else ""
    return _error_page(
        request, 403, _("Bạn không có quyền xem trang này"), extra={"reason": reason}
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, _("Không tìm thấy trang"))


def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """An action refused (409 or 422) with no page of ours to go back to: the reason."""
    return _error_page(
        request,
        exc.status,
        _("Không thực hiện được yêu cầu"),
        template="web/errors/refused.html",
        extra={"messages_list": list(exc.errors.values())},
    )


def method_not_allowed(request: HttpRequest) -> HttpResponse:
    """An action's address opened in the browser (history, a bookmark, a restored tab): the
    browser would show its own English page for the bare 405; this says what happened and
    offers the page the action belongs to (the address one level up)."""
    parent = request.path.rstrip("/").rsplit("/", 1)[0] + "/"
    return _error_page(
        request,
        405,
        _("Không mở trực tiếp được địa chỉ này"),
        extra={"back_url": parent},
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check (settings.CSRF_FAILURE_VIEW): say so in words and
    offer the page it came from, when that page is on this site."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    return _error_page(
        request,
        403,
        _("Trang đã cũ, thông tin chưa được gửi"),
        template="web/errors/csrf.html",
        extra={"back_url": back},
    )


def server_error(request: HttpRequest | None = None) -> HttpResponse:
    """The 500 page: rendered without the request's context processors, so it shows even
    when the database is down."""
    if request is not None:
        api = _api_error(request, 500, _("Lỗi hệ thống; sự cố đã được ghi lại."))
        if api is not None:
            return api
    html = loader.get_template("web/errors/500.html").render(
        {"LANGUAGE_CODE": translation.get_language() or settings.LANGUAGE_CODE}
    )
    return HttpResponseServerError(html)


# --- Files under MEDIA_URL --------------------------------------------------------------
# Only files meant for anyone are served by path. Everything else a person uploads or the
# platform produces (dossier files, results, field-report photos) is private and goes
# through its app's access-checked view; its storage path is a 404 here, in every mode.
PUBLIC_MEDIA_PREFIXES = ("catalogue/forms/",)


def public_file(request: HttpRequest, path: str) -> FileResponse:
    """A public file (a procedure's blank form) by its storage path, else 404."""
    name = posixpath.normpath(path).lstrip("/")
    if name != path or not name.startswith(PUBLIC_MEDIA_PREFIXES):
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (OSError, SuspiciousFileOperation):
        raise Http404 from None
    # Only a PDF opens in the browser; any other upload (an .html or .svg among the forms)
    # downloads, is never sniffed into something else, and could not run as a page anyway.
    inline = name.lower().endswith(".pdf")
    response = FileResponse(handle, as_attachment=not inline, filename=posixpath.basename(name))
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
