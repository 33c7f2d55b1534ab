"""The citizen's pages of the data store: list, detail and download, upload, delete, share
and revoke a share, and who read what, for their own store and for the store of each
organisation they are a member of; and the page an official of the named agency opens from
a shared link.

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
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.core.errors import Kind
from tinhso.datastore import actions, errors, permissions, queries
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.forms import ReadForm, ShareForm, UploadForm
from tinhso.datastore.models import StoredDocument
from tinhso.dossiers.uploads import limits, size_label
from tinhso.people.models import Organisation


def _download(document: StoredDocument) -> FileResponse:
    name = document.file_name
    if not name.lower().endswith(f".{document.file_kind}"):
        name = f"{name}.{document.file_kind}"
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=name)


PAGE_SIZE = 25  # rows on one page of the list and of "who read what"


def _stores(request: HttpRequest, store: Organisation | None) -> dict[str, Any]:
    """The store switcher's context: the organisations the user keeps a store for as a
    member, and which store the page is about (None: the user's own)."""
    return {"store": store, "organisations": list(permissions.organisations_of(request.user))}


@login_required
def mine(request: HttpRequest, organisation: int | None = None) -> HttpResponse:
    """Kho dữ liệu của tôi, or of an organisation the user is a member of: newest first,
    PAGE_SIZE a page (`?trang=`)."""
    store = (
        queries.access_organisation(request.user, organisation)
        if organisation is not None
        else None
    )
    page = Paginator(queries.store_documents(request.user, store), PAGE_SIZE).get_page(
        request.GET.get("trang")
    )
    return render(
        request,
        "datastore/mine.html",
        {
            "documents": page.object_list,
            "page": page,
            "today": timezone.localdate(),
            **_stores(request, store),
        },
    )


def _detail_context(request: HttpRequest, document: StoredDocument, form: Any) -> dict[str, Any]:
    now = timezone.now()
    shares = [
        {
            "share": s,
            "url": request.build_absolute_uri(
                reverse("datastore:shared", args=[queries.share_token(s)])
            ),
            "active": s.is_active(now),
        }
        for s in queries.shares_of(document)
    ]
    return {
        **_stores(request, document.organisation),
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
def upload(request: HttpRequest, organisation: int | None = None) -> HttpResponse:
    # checked before the form is read: a non-member's POST reads and writes nothing
    store = (
        queries.access_organisation(request.user, organisation)
        if organisation is not None
        else None
    )
    form = UploadForm(request.POST or None, request.FILES or None, organisation=store is not None)
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
                    organisation=store,
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
            **_stores(request, store),
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
    if document.organisation_id is not None:
        return redirect("datastore:organisation", organisation=document.organisation_id)
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


@require_http_methods(["GET", "POST"])
@login_required
def revoke(request: HttpRequest, pk: int, share_pk: int) -> HttpResponse:
    """Thu hồi: the owner ends one of the document's shares (another's share: 404). Asked
    twice, without script: the detail page's "Thu hồi" opens this page (GET, changes
    nothing), which says what revoking does and posts `confirm=1`; a POST without it shows
    the same page and changes nothing."""
    document = queries.access_document(request.user, pk)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        actions.revoke_share(document, share_pk, user=request.user)
        messages.success(
            request,
            _("Đã thu hồi đường dẫn chia sẻ; cơ quan không thể xem giấy tờ qua đường dẫn này nữa."),
        )
        return redirect("datastore:detail", pk=document.pk)
    share = queries.share_of(document, share_pk)
    if not share.is_active(timezone.now()):  # already revoked or ended: nothing to confirm
        messages.info(request, _("Đường dẫn chia sẻ này đã hết hiệu lực hoặc đã được thu hồi."))
        return redirect("datastore:detail", pk=document.pk)
    return render(
        request,
        "datastore/revoke.html",
        {**_stores(request, document.organisation), "document": document, "share": share},
    )


@login_required
def reads(request: HttpRequest, organisation: int | None = None) -> HttpResponse:
    """Ai đã xem giấy tờ: of the user's own store, or of an organisation's the user is a
    member of; newest first, PAGE_SIZE a page (`?trang=`)."""
    store = (
        queries.access_organisation(request.user, organisation)
        if organisation is not None
        else None
    )
    page = Paginator(queries.reads_of_store(request.user, store), PAGE_SIZE).get_page(
        request.GET.get("trang")
    )
    return render(
        request,
        "datastore/reads.html",
        {"reads": page.object_list, "page": page, **_stores(request, store)},
    )


@login_required
def shared(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    """An official of the named agency opens a shared link. GET only shows a confirmation
    (which agency, until when, a reason) and records nothing; the read is recorded, then the
    file sent, on the POST of that form, which the CSRF check ties to this site. So an
    `<img src>` or a link in another page the official opens cannot make a read appear on
    the owner's "Ai đã xem" page. Anyone else, a forged or an expired link: 404, nothing
    recorded. A link its owner revoked: a page saying so (409), nothing recorded."""
    try:
        access = queries.access_shared(request.user, token)
    except DatastoreError as exc:
        if exc.code is not errors.SHARE_REVOKED:
            raise
        return _revoked(request, exc)
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
                    share=access.share,
                )
            except DatastoreError as exc:
                if exc.code is errors.SHARE_REVOKED:
                    return _revoked(request, exc)
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


def _revoked(request: HttpRequest, exc: DatastoreError) -> HttpResponse:
    return render(
        request, "datastore/shared_revoked.html", {"message": exc.message}, status=exc.status
    )
