"""The citizen's pages of the data store: list, detail and download, upload, delete, share,
and who read what; and the page an official of the named agency opens from a shared link.

Legal sources: Decree 45/2020/NĐ-CP (the store), Decree 13/2023/NĐ-CP and the Law on
Personal Data Protection 2025 (the owner sees every official read). Views only parse,
authorise (`queries.access_*`) and call one action; refusals are `DatastoreError`s, shown by
the pages' one handler (another person's document is a 404, and nothing changes).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tinhso.core.errors import Kind
from tinhso.datastore import actions, queries
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.forms import ReadForm, ShareForm, UploadForm
from tinhso.datastore.models import StoredDocument
from tinhso.dossiers.uploads import limits, size_label


def _download(document: StoredDocument) -> FileResponse:
    name = document.file_name
    if not name.lower().endswith(f".{document.file_kind}"):
        name = f"{name}.{document.file_kind}"
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=name)


PAGE_SIZE = 25  # rows on one page of the list and of "who read what"


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Kho dữ liệu của tôi: newest first, PAGE_SIZE a page (`?trang=`)."""
    page = Paginator(queries.my_documents(request.user), PAGE_SIZE).get_page(
        request.GET.get("trang")
    )
    return render(
        request,
        "datastore/mine.html",
        {"documents": page.object_list, "page": page, "today": timezone.localdate()},
    )


def _detail_context(request: HttpRequest, document: StoredDocument, form: Any) -> dict[str, Any]:
    shares = [
        {
            "share": s,
            "url": request.build_absolute_uri(
                reverse("datastore:shared", args=[queries.share_token(s)])
            ),
            "active": s.expires_at > timezone.now(),
        }
        for s in queries.shares_of(document)
    ]
    return {
        "document": document,
        "expired": document.is_expired(timezone.localdate()),
        "shares": shares,
        "form": form,
        "share_days": actions.share_days(),
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = queries.access_document(request.user, pk)
    form = ShareForm(initial={"days": actions.share_days()})
    return render(request, "datastore/detail.html", _detail_context(request, document, form))


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    return _download(queries.access_document(request.user, pk))


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            file = data["file"]
            # bounded: one byte more than the limit is enough for check_file to refuse it
            content = file.read(limits().max_file_bytes + 1)
            try:
                document = actions.upload(
                    user=request.user,
                    kind=data["kind"],
                    file_name=file.name or "tep",
                    content=content,
                    number=data["number"],
                    issuer_name=data["issuer_name"],
                    issued_on=data["issued_on"],
                    expires_on=data["expires_on"],
                )
            except DatastoreError as exc:
                if exc.kind is not Kind.INVALID:
                    raise
                for field, message in exc.errors.items():
                    form.add_error(None if field == "__all__" else field, message)
            else:
                messages.success(request, _("Đã thêm giấy tờ vào kho dữ liệu."))
                return redirect("datastore:detail", pk=document.pk)
    return render(
        request,
        "datastore/upload.html",
        {
            "form": form,
            "types": limits().types_label,
            "max_file": size_label(limits().max_file_bytes),
        },
        status=status,
    )


@require_POST
@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = queries.access_document(request.user, pk)
    if request.POST.get("confirm") != "1":  # nothing undoes a deletion: it is asked twice
        messages.error(request, _("Hãy đánh dấu ô xác nhận nếu Ông/Bà muốn xóa hẳn giấy tờ này."))
        return redirect("datastore:detail", pk=document.pk)
    actions.delete_upload(document, user=request.user)
    messages.success(request, _("Đã xóa giấy tờ khỏi kho dữ liệu."))
    return redirect("datastore:mine")


@require_POST
@login_required
def share(request: HttpRequest, pk: int) -> HttpResponse:
    document = queries.access_document(request.user, pk)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            actions.share(
                document,
                user=request.user,
                agency=form.cleaned_data["agency"],
                days=form.cleaned_data["days"],
            )
        except DatastoreError as exc:
            if exc.kind is not Kind.INVALID:
                raise
            for field, message in exc.errors.items():
                form.add_error(None if field == "__all__" else field, message)
        else:
            messages.success(
                request,
                _("Đã tạo đường dẫn chia sẻ; hãy gửi đường dẫn này cho cơ quan được chia sẻ."),
            )
            return redirect("datastore:detail", pk=document.pk)
    return render(
        request, "datastore/detail.html", _detail_context(request, document, form), status=422
    )


@login_required
def reads(request: HttpRequest) -> HttpResponse:
    """Ai đã xem giấy tờ của tôi: newest first, PAGE_SIZE a page (`?trang=`)."""
    page = Paginator(queries.reads_of_my_documents(request.user), PAGE_SIZE).get_page(
        request.GET.get("trang")
    )
    return render(request, "datastore/reads.html", {"reads": page.object_list, "page": page})


@login_required
def shared(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    """An official of the named agency opens a shared link. GET only shows a confirmation
    (which agency, until when, a reason) and records nothing; the read is recorded, then the
    file sent, on the POST of that form, which the CSRF check ties to this site. So an
    `<img src>` or a link in another page the official opens cannot make a read appear on
    the owner's "Ai đã xem" page. Anyone else, a forged or an expired link: 404, nothing
    recorded."""
    access = queries.access_shared(request.user, token)
    form = ReadForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                actions.record_read(
                    access.share.document,
                    official=request.user,
                    agency=access.agency,
                    reason=form.cleaned_data["reason"],
                )
            except DatastoreError as exc:
                if exc.kind is not Kind.INVALID:
                    raise
                for field, message in exc.errors.items():
                    form.add_error(None if field == "__all__" else field, message)
            else:
                return _download(access.share.document)
    return render(
        request,
        "datastore/shared.html",
        {"form": form, "share": access.share, "token": token},
        status=status,
    )
