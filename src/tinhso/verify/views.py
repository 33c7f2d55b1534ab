"""The public verification page of electronic results (/xac-thuc/<code>): no sign-in, for
whoever holds the code printed on the paper or scans its QR code.

Shows the document's kind, dossier number, issuer, date of issue, SHA-256 and whether its
signature is valid, nothing personal beyond what the paper prints; a visitor uploads a PDF and
learns whether it is that document, unaltered, with a valid signature. The uploaded file is
checked in memory and not kept. Unknown codes are a 404 and counted per client address
(`queries.find`), 429 past the limit.

Legal sources: Decree 45/2020/NĐ-CP (electronic results), Decree 13/2023/NĐ-CP (no personal
data on a public page beyond the document's own).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tinhso.core.middleware import client_address
from tinhso.dossiers.uploads import RejectedFile, check_file, size_label
from tinhso.verify import actions, codes, queries
from tinhso.verify.models import ElectronicResult


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> Any:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
def start(request: HttpRequest) -> HttpResponse:
    """Nhập mã xác thực: the code printed under the QR code, typed."""
    typed = (request.GET.get("ma") or "").strip()
    if typed:
        code = codes.normalise(typed)
        if not code:  # cannot be a code (nor a URL path segment): unknown, counted, 404
            return _unknown(request, typed)
        return redirect("verify:page", code=code)
    return _page(request, "verify/start.html", {})


def _unknown(request: HttpRequest, typed: str) -> Any:
    """The not-found page for a code that is not one, counted as a failed try."""
    try:
        queries.find(typed, client=client_address(request))
    except queries.TooManyTries as exc:
        return _wait(request, exc, "verify/not_found.html", {})
    return _page(request, "verify/not_found.html", {}, status=404)


def _read_upload(request: HttpRequest) -> tuple[bytes | None, str]:
    """The uploaded file's bytes, or None and why (Vietnamese)."""
    upload = request.FILES.get("tep")
    if upload is None:
        return None, _("Vui lòng chọn tệp PDF cần kiểm tra.")
    most = int(settings.DOSSIER_MAX_FILE_BYTES)
    if upload.size is not None and upload.size > most:
        return None, _("Tệp lớn hơn %(most)s.") % {"most": size_label(most)}
    content = upload.read(most + 1)
    if len(content) > most:
        return None, _("Tệp lớn hơn %(most)s.") % {"most": size_label(most)}
    try:
        kind = check_file(upload.name or "tep.pdf", content, already_in_dossier=0)
    except RejectedFile as exc:
        return None, str(exc.message)
    if kind != "pdf":
        return None, _("Chỉ kiểm tra được tệp PDF.")
    return content, ""


def _facts(electronic: ElectronicResult) -> dict[str, Any]:
    """What the page shows: the row only (the signature's outcome recorded when sealed or
    re-checked, with its date); the stored file is not read and nothing is verified."""
    return {
        "electronic": electronic,
        "printed_code": codes.printed(electronic.code),
        "max_file": size_label(int(settings.DOSSIER_MAX_FILE_BYTES)),
    }


def _wait(
    request: HttpRequest, exc: queries.TooManyTries, template: str, context: dict[str, Any]
) -> Any:
    response = _page(request, template, {**context, "retry_after": exc.retry_after}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, code: str) -> HttpResponse:
    client = client_address(request)
    try:
        electronic = queries.find(code, client=client)
    except queries.TooManyTries as exc:
        return _wait(request, exc, "verify/not_found.html", {})
    if electronic is None:
        return _page(request, "verify/not_found.html", {}, status=404)
    context = _facts(electronic)
    status = 200
    if request.method == "POST":
        try:
            queries.allow_upload(client)
        except queries.TooManyTries as exc:
            return _wait(request, exc, "verify/page.html", {**context, "upload_wait": True})
        content, error = _read_upload(request)
        if content is None:
            context["upload_error"], status = error, 422
        else:
            context["copy"] = actions.check_copy(electronic, content)
    return _page(request, "verify/page.html", context, status=status)
