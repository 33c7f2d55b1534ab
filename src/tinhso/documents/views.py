"""Pages for officials: the document list with search, a document's page, registering it.

Legal source: Decree 30/2020/NĐ-CP Điều 20–22 (the clerk checks authenticity and integrity of
electronic documents, shows the result and registers them).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.documents import actions, numbering, queries
from tinhso.documents.models import Direction, Document
from tinhso.people.models import Role
from tinhso.people.queries import AccessDenied, has_role
from tinhso.people.security import is_fully_signed_in


def _official(request: HttpRequest) -> None:
    if not is_fully_signed_in(request.user):
        raise Http404


def _load(request: HttpRequest, pk: int) -> Document:
    try:
        return queries.access_document(request.user, pk)
    except AccessDenied:
        raise Http404 from None


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    _official(request)
    q = request.GET.get("q", "").strip()
    direction = request.GET.get("direction", "")
    state = request.GET.get("state", "")
    doc_type = request.GET.get("doc_type", "")
    docs = queries.search(
        queries.visible_documents(request.user),
        q,
        direction=direction if direction in Direction.values else "",
        state=state if state in Document.State.values else "",
        doc_type=doc_type if doc_type in numbering.DOCUMENT_TYPES else "",
    ).select_related("agency")[:100]
    return render(
        request,
        "documents/list.html",
        {
            "documents": docs,
            "q": q,
            "direction": direction,
            "state": state,
            "doc_type": doc_type,
            "directions": Direction.choices,
            "states": Document.State.choices,
            "types": [(code, name) for code, (name, _abbr) in numbering.DOCUMENT_TYPES.items()],
        },
    )


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _official(request)
    doc = _load(request, pk)
    return render(
        request,
        "documents/detail.html",
        {
            "doc": doc,
            "type_name": numbering.DOCUMENT_TYPES.get(doc.doc_type, ("", ""))[0],
            "files": doc.files.all(),
            "statuses": doc.statuses.all(),
            "assignments": doc.assignments.select_related("unit", "assignee"),
            "recipients": doc.recipients.all(),
            "report": doc.signature_report,
            "can_register": doc.state == Document.State.RECEIVED
            and has_role(request.user, Role.CLERK, doc.agency),
        },
    )


@login_required
def document_file(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    _official(request)
    doc = _load(request, pk)
    f = doc.files.filter(pk=file_id).first()
    if f is None:
        raise Http404
    response = HttpResponse(
        bytes(f.data), content_type=f.content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{f.pk}-{f.name.encode("ascii", "ignore").decode() or "tep"}"'
    )
    return response


@login_required
@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    _official(request)
    doc = _load(request, pk)
    if not has_role(request.user, Role.CLERK, doc.agency):
        raise Http404
    try:
        doc = actions.register_incoming(doc, actor=request.user)
        messages.success(
            request, _("Đã vào sổ văn bản đến, số đến %(n)02d.") % {"n": doc.register_number}
        )
    except actions.DocumentError as exc:
        messages.error(request, str(exc))
    return redirect("documents:detail", pk=doc.pk)
