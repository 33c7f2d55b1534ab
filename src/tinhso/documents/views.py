"""Pages for officials: the daily work of clerks (văn thư), leaders, specialists and signers.

"Việc của tôi", the document list with search, a paper document's intake, a new draft, and a
document's page with the signature check and every step its state allows for the viewer:
register or reject, assign, record progress, finish, link, answer the sender's recall or
update, approve, sign, issue, recall. Thin like the API: parse (`forms.py`), load through
`queries.access_document`, check the role in the document's agency, call one action, then
POST-redirect-GET with a message. Officials only, signed in with the second factor; anyone
else gets 404 and nothing changes.

Legal source: Decree 30/2020/NĐ-CP Điều 14–16 (outgoing: approval, signature, number,
issuance), Điều 20–24 (incoming: check of authenticity and integrity, registration,
assignment, handling, follow-up).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tinhso.core.errors import Kind
from tinhso.documents import actions, forms, numbering, permissions, queries, worklist
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import (
    Assignment,
    Certificate,
    Document,
    Progress,
    Register,
    ReviewStep,
    StatusEvent,
)
from tinhso.people.models import Role, RoleAssignment, User
from tinhso.people.queries import agencies_where
from tinhso.people.security import is_fully_signed_in
from tinhso.places.models import Agency


def official_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in officials who passed the second factor; 404 for everyone else."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if getattr(user, "kind", "") != User.Kind.OFFICIAL or not is_fully_signed_in(user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _load(request: HttpRequest, pk: int) -> Document:
    """The document if the user may see it; otherwise a NOT_FOUND refusal (the 404 page)."""
    return queries.access_document(request.user, pk)


# The API's names of input fields (what a refusal names) → this app's form fields.
FORM_FIELDS = {
    "signer_username": "signer",
    "unit_code": "unit",
    "assignment_id": "assignment",
    "related_id": "related",
}


def _show(form: django_forms.Form, exc: DocumentError) -> None:
    """Input the person can correct, beside its field (or above the form); any other refusal
    is answered by the pages' handler (`DomainErrorMiddleware`)."""
    if exc.kind is not Kind.INVALID:
        raise exc
    for field, message in exc.errors.items():
        name = FORM_FIELDS.get(field, field)
        form.add_error(name if name in form.fields else None, message)


# --- lists --------------------------------------------------------------------------------


@official_required
def my_work(request: HttpRequest) -> HttpResponse:
    """Việc của tôi: what waits for the user, overdue first."""
    found = worklist.tasks(request.user, timezone.now())
    user = request.user
    return render(
        request,
        "documents/my_work.html",
        {
            "tasks": found,
            "counts": worklist.counts(found),
            "can_intake": agencies_where(user, Role.CLERK).exists(),
            "can_draft": permissions.drafting_agencies(user).exists(),
        },
    )


# The document list shows at most this many documents, best match first.
LIST_LENGTH = 100


@official_required
def document_list(request: HttpRequest) -> HttpResponse:
    """The documents the user may see, searched and filtered (`queries.search`): best match
    first when there is text (the ranking order is kept), newest first otherwise. A bad
    filter (an unknown choice, a malformed date) is shown with its message and no result."""
    user: Any = request.user
    agencies = Agency.objects.filter(roles__user=user, is_active=True).distinct().order_by("name")
    # The secret registers only for the agency's clerks and leaders (who see secret documents).
    keepers = Agency.objects.filter(
        roles__user=user, roles__role__in=[Role.CLERK, Role.LEADER], is_active=True
    )
    registers = (
        Register.objects.filter(agency__in=agencies)
        .filter(Q(secret=False) | Q(agency__in=keepers))
        .select_related("agency")
    )
    form = forms.ListForm(
        request.GET or None,
        agencies=agencies,
        registers=registers.order_by("-year", "direction", "secret", "agency__name"),
        auto_id="%s",
    )
    docs: Any = Document.objects.none()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        agency, register = data.get("agency"), data["register"]
        docs = queries.search(
            queries.visible_documents(user),
            data["q"].strip(),
            direction=data["direction"],
            state=data["state"],
            doc_type=data["doc_type"],
            agency_id=agency.pk if agency else None,
            register_id=register.pk if register else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            first=LIST_LENGTH,  # only the shown ones are ranked (all that may precede them)
        ).select_related("agency")[:LIST_LENGTH]
    elif not form.is_bound:
        docs = queries.visible_documents(user).select_related("agency")[:100]
    return render(
        request,
        "documents/list.html",
        {"documents": docs, "form": form},
        status=422 if form.errors else 200,
    )


# --- paper intake and new drafts ----------------------------------------------------------


@official_required
def paper_intake(request: HttpRequest) -> HttpResponse:
    """Tiếp nhận văn bản giấy: the clerk uploads the scan with the register fields."""
    agencies = agencies_where(request.user, Role.CLERK)
    if not agencies.exists():
        raise Http404
    form = forms.PaperForm(
        request.POST or None,
        request.FILES or None,
        agencies=agencies,
        initial={"agency": agencies.first(), "doc_type": "CV"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            doc = actions.record_paper_document(
                data["agency"],
                doc_type=data["doc_type"],
                subject=data["subject"],
                number_and_notation=data["number_and_notation"],
                sender_name=data["sender_name"],
                document_date=data["document_date"],
                pdf=data["scan"],
                actor=request.user,
            )
        except DocumentError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("Đã tiếp nhận văn bản giấy. Văn bản đang chờ vào sổ."))
            return redirect("documents:detail", pk=doc.pk)
    return render(
        request,
        "documents/paper.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _draft_file(cleaned: tuple[str, bytes] | None) -> dict[str, Any]:
    """The file arguments of `actions.create_draft` and `revise_draft`: a PDF as `pdf`, a
    DOCX as `docx` (the action converts it with LibreOffice)."""
    if cleaned is None:
        return {}
    name, data = cleaned
    if data.startswith(b"%PDF-"):
        return {"pdf": data, "file_name": name[:200]}
    return {"docx": data, "file_name": name[:200]}


@official_required
def new_draft(request: HttpRequest) -> HttpResponse:
    """Soạn dự thảo: upload a PDF or DOCX, or fill the agency template."""
    agencies = permissions.drafting_agencies(request.user)
    if not agencies.exists():
        raise Http404
    signers = permissions.signers(agencies)
    internal = (
        Agency.objects.filter(
            province_id__in=agencies.values("province_id"),
            is_active=True,
        )
        .exclude(level=Agency.Level.UNIT)
        .order_by("name")
    )
    form = forms.DraftForm(
        request.POST or None,
        request.FILES or None,
        agencies=agencies,
        signers=signers,
        internal=internal,
        initial={"agency": agencies.first(), "doc_type": "CV"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency, signer = data["agency"], data["signer"]
        position = data["signer_position"] or (
            RoleAssignment.objects.filter(user=signer, agency=agency, role=Role.LEADER)
            .values_list("title", flat=True)
            .first()
            or ""
        )
        recipients = [
            actions.RecipientSpec(a.code, a.name) for a in data["internal"] if a != agency
        ] + [actions.RecipientSpec(p.organ_id, p.name) for p in data["external"]]
        try:
            doc = actions.create_draft(
                agency,
                doc_type=data["doc_type"],
                subject=data["subject"],
                content=data["content"],
                unit=data["unit"].strip(),
                urgency=data["urgency"],
                secrecy=data["secrecy"] or "",
                signer=signer,
                signer_position=position,
                place=data["place"],
                recipients=recipients,
                actor=request.user,
                **_draft_file(data["file"]),
            )
        except DocumentError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("Đã tạo dự thảo."))
            return redirect("documents:detail", pk=doc.pk)
    return render(
        request,
        "documents/new_draft.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


# --- a document's page and its steps ------------------------------------------------------


def _active_assignments(doc: Document) -> Any:
    return (
        doc.assignments.filter(state__in=Assignment.ACTIVE)
        .select_related("unit", "assignee", "document__agency")
        .order_by("id")
    )


def _allowed(user: Any, doc: Document) -> dict[str, bool]:
    """Which steps the page offers `user`: exactly those whose rule lets them
    (`documents.permissions`, the rule the action applies again)."""
    return permissions.offers(user, doc)


# URL slug → step. The step name is also its form prefix (unique field ids on the page).
SLUGS = {
    "vao-so": "register",
    "tu-choi": "reject",
    "phan-cong": "assign",
    "hoan-thanh": "finish",
    "tien-do": "progress",
    "lien-ket": "link",
    "tra-loi-thay-doi": "answer",
    "trinh": "submit",
    "sua": "revise",
    "duyet": "approve",
    "tra-lai": "return",
    "ky": "sign",
    "phat-hanh": "issue",
    "thu-hoi": "recall",
}


def _units(doc: Document) -> Any:
    return Agency.objects.filter(parent=doc.agency, is_active=True).order_by("name")


def _people(doc: Document) -> Any:
    return (
        User.objects.filter(roles__agency=doc.agency, kind=User.Kind.OFFICIAL, is_active=True)
        .distinct()
        .order_by("full_name")
    )


def _reviewers(doc: Document) -> Any:
    """Who may be put in the review chain (`permissions.reviewers`). The signer is among them:
    leaving them out emptied the list in every agency whose only leader signs; chosen
    anywhere, the action moves them last."""
    return permissions.reviewers(doc.agency)


def _form(
    step: str, doc: Document, data: Any = None, files: Any = None
) -> django_forms.Form | None:
    if step == "submit":
        return forms.SubmitForm(data, prefix=step, reviewers=_reviewers(doc))
    if step == "revise":
        return forms.ReviseForm(data, files, prefix=step)
    if step == "approve":
        return forms.ReviewForm(data, prefix=step)
    if step == "return":
        return forms.ReturnForm(data, prefix=step)
    if step in ("reject", "recall"):
        return forms.ReasonForm(data, prefix=step)
    if step == "assign":
        return forms.AssignForm(data, prefix=step, units=_units(doc), people=_people(doc))
    if step == "finish":
        return forms.FinishForm(data, prefix=step)
    if step == "progress":
        return forms.ProgressForm(data, prefix=step, assignments=_active_assignments(doc))
    if step == "link":
        return forms.LinkForm(data, prefix=step)
    if step == "answer":
        return forms.AnswerForm(data, prefix=step)
    if step == "sign":
        return forms.SignForm(data, prefix=step)
    return None


def _certificate(user: Any) -> Certificate | None:
    try:
        return actions.user_certificate(user)
    except DocumentError:
        return None


def _detail(
    request: HttpRequest, doc: Document, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    allowed = _allowed(request.user, doc)
    step_forms = {step: _form(step, doc) for step, ok in allowed.items() if ok}
    step_forms.update(bound or {})
    codes = dict(StatusEvent.Code.choices)
    return render(
        request,
        "documents/detail.html",
        {
            "doc": doc,
            "type_name": numbering.DOCUMENT_TYPES.get(doc.doc_type, ("", ""))[0],
            "files": doc.files.all(),
            "statuses": doc.statuses.all(),
            "assignments": doc.assignments.select_related("unit", "assignee"),
            "progress": Progress.objects.filter(assignment__document=doc)
            .select_related("author", "assignment__unit", "assignment__assignee")
            .order_by("at", "id"),
            "review_steps": doc.review_steps.select_related("reviewer").order_by(
                "round", "position"
            ),
            "current_step": actions.current_step(doc)
            if doc.state == Document.State.IN_REVIEW
            else None,
            "recipients": [
                (r, codes.get(r.last_status, "")) for r in doc.recipients.order_by("name")
            ],
            "related": doc.related.all(),
            "report": doc.signature_report,
            "allowed": allowed,
            "forms": step_forms,
            "certificate": _certificate(request.user) if allowed["sign"] else None,
            "now": timezone.now(),
        },
        status=status,
    )


@official_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _load(request, pk))


@official_required
def document_file(request: HttpRequest, pk: int, file_id: int) -> HttpResponse:
    doc = _load(request, pk)
    f = doc.files.filter(pk=file_id).first()
    if f is None:
        raise Http404
    response = HttpResponse(
        bytes(f.data), content_type=f.content_type or "application/octet-stream"
    )
    # The file's own name (an issued document's is its number: 15-QD-UBND.pdf), encoded
    # for any name (RFC 6266); the type is never sniffed.
    response["Content-Disposition"] = content_disposition_header(True, f.name or f"tep-{f.pk}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _run(step: str, doc: Document, data: dict[str, Any], user: Any) -> str:
    """Call the step's action; the success message."""
    if step == "register":
        doc = actions.register_incoming(doc, actor=user)
        return _("Đã vào sổ văn bản đến, số đến %(n)02d.") % {"n": doc.register_number}
    if step == "reject":
        actions.reject_incoming(doc, reason=data["reason"], actor=user)
        return _("Đã từ chối tiếp nhận văn bản; nơi gửi được báo lý do.")
    if step == "assign":
        actions.assign(
            doc,
            instruction=data["instruction"],
            days=data["days"],
            unit=data["unit"],
            assignee=data["assignee"],
            actor=user,
        )
        return _("Đã phân công xử lý.")
    if step == "progress":
        actions.record_progress(
            doc, note=data["note"], assignment=data.get("assignment"), actor=user
        )
        return _("Đã ghi tiến độ xử lý.")
    if step == "finish":
        actions.finish(doc, result=data["result"], actor=user)
        return _("Đã hoàn thành xử lý văn bản.")
    if step == "link":
        related = actions.related_document(user, data["related"]) if data.get("related") else None
        actions.link(doc, related=related, dossier_code=data.get("dossier_code", ""), actor=user)
        return _("Đã liên kết.")
    if step == "answer":
        accept = data["accept"] == "yes"
        actions.answer_change(doc, accept=accept, actor=user)
        return (
            _("Đã đồng ý yêu cầu của nơi gửi.") if accept else _("Đã từ chối yêu cầu của nơi gửi.")
        )
    if step == "submit":
        actions.submit_draft(doc, reviewers=data["chain"] or None, actor=user)
        return _("Đã trình duyệt dự thảo.")
    if step == "revise":
        actions.revise_draft(
            doc, subject=data.get("subject", ""), actor=user, **_draft_file(data["file"])
        )
        return _("Đã cập nhật dự thảo; các phiên bản trước vẫn được lưu.")
    if step == "approve":
        doc = actions.approve_draft(doc, actor=user, comment=data.get("comment", ""))
        if doc.state == Document.State.APPROVED:
            return _("Đã duyệt dự thảo; văn bản chờ ký.")
        return _("Đã duyệt; dự thảo được chuyển người duyệt tiếp theo.")
    if step == "return":
        actions.return_draft(doc, comment=data["comment"], actor=user)
        return _("Đã trả lại dự thảo cho người soạn thảo.")
    if step == "sign":
        # The token PIN goes to the action only; it is never stored or logged.
        actions.sign_document(doc, signer=user, pin=data.get("pin", ""))
        return _("Đã ký số văn bản.")
    if step == "issue":
        doc = actions.issue_document(doc, actor=user)
        return _("Đã phát hành văn bản số %(n)s.") % {"n": doc.number_and_notation}
    if step == "recall":
        actions.recall_document(doc, reason=data["reason"], actor=user)
        return _("Đã thu hồi văn bản; nơi nhận được báo.")
    raise Http404


# Step → the state its action leaves the document in, and what to say when the document is
# already there (the step done twice: a reload, a second press). Steps that may be repeated
# (assign, progress, link, revise, answer) or whose result state is also a starting state
# (return: a draft) have none.
DONE = {
    "register": (Document.State.REGISTERED, gettext_lazy("Văn bản đã được vào sổ.")),
    "reject": (Document.State.REJECTED, gettext_lazy("Văn bản đã được từ chối tiếp nhận.")),
    "finish": (Document.State.FINISHED, gettext_lazy("Văn bản đã được hoàn thành xử lý.")),
    "submit": (Document.State.IN_REVIEW, gettext_lazy("Dự thảo đã được trình duyệt.")),
    "approve": (Document.State.APPROVED, gettext_lazy("Dự thảo đã được duyệt.")),
    "sign": (Document.State.SIGNED, gettext_lazy("Văn bản đã được ký.")),
    "issue": (Document.State.ISSUED, gettext_lazy("Văn bản đã được phát hành.")),
    "recall": (Document.State.RECALLED, gettext_lazy("Văn bản đã được thu hồi.")),
}


def _already_done(step: str, doc: Document, user: Any) -> str | None:
    """What to say when `doc` is already where `step` would take it; None otherwise. Asked
    only after a CONFLICT (the rules refuse a role before the state), so the person holds
    the step's role and only the state stood in the way."""
    if step == "approve" and doc.state == Document.State.IN_REVIEW:
        # Their own review step of the current round is approved: the chain moved on.
        step_now = actions.current_step(doc)
        if (
            step_now is not None
            and doc.review_steps.filter(
                round=step_now.round, reviewer_id=user.pk, state=ReviewStep.State.APPROVED
            ).exists()
        ):
            return _("Bạn đã duyệt dự thảo này; dự thảo đang chờ người duyệt tiếp theo.")
        return None
    done = DONE.get(step)
    if done is not None and doc.state == done[0]:
        return str(done[1])
    return None


def _redirect_303(doc: Document) -> HttpResponse:
    response = redirect("documents:detail", pk=doc.pk)
    response.status_code = 303  # a reload of the page shown next does not post again
    return response


def _refused(request: HttpRequest, step: str, doc: Document, exc: DocumentError) -> HttpResponse:
    """A refused step (FORBIDDEN or CONFLICT) on the document's own page: the reason on top
    and the status that says it (403, 409), as the API; or, when the step was already done,
    a plain note and back to the page (303). Nothing changes in either case."""
    if exc.kind is Kind.CONFLICT:
        doc.refresh_from_db()
        note = _already_done(step, doc, request.user)
        if note is not None:
            messages.info(request, note)
            return _redirect_303(doc)
    messages.error(request, exc.message)
    return _detail(request, doc, status=exc.status)


@sensitive_post_parameters("sign-pin")
@official_required
@require_POST
def act(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """One step on one document. A document out of reach is 404; a role the person does not
    hold for this step (403) or a state or turn that does not allow it (409) shows the
    document's page with the reason on top and that status (the rule of
    `documents.permissions`, as in the API); a step already done says so and goes back to
    the page (303); bad input re-renders the page with the messages beside the fields
    (422). Nothing changes in any of these cases."""
    step = SLUGS.get(slug)
    if step is None:
        raise Http404
    doc = _load(request, pk)
    user = request.user
    # Who may, before reading the input (as the action does).
    try:
        permissions.require(permissions.RULES[step], user, doc)
    except DocumentError as exc:
        if exc.kind not in (Kind.FORBIDDEN, Kind.CONFLICT):
            raise
        return _refused(request, step, doc, exc)
    form = _form(step, doc, request.POST, request.FILES)
    if form is not None and not form.is_valid():
        return _detail(request, doc, {step: form}, status=422)
    data = dict(form.cleaned_data) if form is not None else {}
    if isinstance(form, forms.SubmitForm):
        data["chain"] = form.chain()
    try:
        message = _run(step, doc, data, user)
    except DocumentError as exc:
        if exc.kind in (Kind.FORBIDDEN, Kind.CONFLICT):
            return _refused(request, step, doc, exc)
        if form is None or exc.kind is not Kind.INVALID:
            raise
        _show(form, exc)
        return _detail(request, doc, {step: form}, status=422)
    messages.success(request, message)
    return redirect("documents:detail", pk=doc.pk)
