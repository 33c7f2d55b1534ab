"""Citizen pages: the submission journey, "my dossiers", the receipt and the public look-up.

Thin, like the API: parse, load through an access helper, call one action, render.
Legal sources as in `tinhso.dossiers.actions`.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tinhso.catalogue import eforms
from tinhso.catalogue.components import sort_components
from tinhso.catalogue.models import ProcedureVersion
from tinhso.core.middleware import client_address
from tinhso.core.workdays import VIETNAM
from tinhso.datastore import prefill
from tinhso.dossiers import actions, issued, queries
from tinhso.dossiers.actions import drafts as filing
from tinhso.dossiers.datastore import store_for
from tinhso.dossiers.errors import NO_OPEN_SUPPLEMENT, UNKNOWN_STORED_DOCUMENT
from tinhso.dossiers.models import Dossier, Rating
from tinhso.dossiers.receipt import local, render_receipt
from tinhso.dossiers.uploads import RejectedFile, limits, size_label
from tinhso.payments import actions as payments
from tinhso.payments import gateways
from tinhso.payments import queries as payment_queries
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Charge, Receipt
from tinhso.places.models import Agency

STEPS = [
    ("form", gettext_lazy("Tờ khai")),
    ("files", gettext_lazy("Giấy tờ")),
    ("delivery", gettext_lazy("Nhận kết quả")),
    ("review", gettext_lazy("Xem lại và nộp")),
]


def _published(code: str) -> ProcedureVersion:
    return get_object_or_404(
        ProcedureVersion.objects.select_related("procedure__agency"),
        procedure__code=code,
        state=ProcedureVersion.State.PUBLISHED,
    )


def _agency_choices(version: ProcedureVersion) -> list[Agency]:
    if version.procedure.agency_id:
        return []
    levels = {"commune": Agency.Level.COMMUNE, "province": Agency.Level.DEPARTMENT}
    wanted = [levels[level] for level in version.procedure.levels if level in levels]
    return list(
        Agency.objects.filter(is_active=True, level__in=wanted or [Agency.Level.COMMUNE]).order_by(
            "name"
        )[:500]
    )


@login_required
def start(request: HttpRequest, code: str) -> HttpResponse:
    """Nộp hồ sơ trực tuyến: what is needed, and a button that opens a draft."""
    version = _published(code)
    choices = _agency_choices(version)
    error = ""
    if request.method == "POST":
        agency = None
        if choices:
            agency = next((a for a in choices if a.code == request.POST.get("agency")), None)
        try:
            draft = actions.start_draft(version, user=request.user, agency=agency)
        except actions.DossierError as exc:
            error = next(iter(exc.errors.values()))
        else:
            return redirect("dossiers:draft-form", pk=draft.pk)
    drafts = queries.my_dossiers(request.user).filter(version=version, state=Dossier.State.DRAFT)
    return render(
        request,
        "dossiers/start.html",
        {
            "version": version,
            "components": version.components.all(),
            "sorted": sort_components(version.components.all()),
            "agencies": choices,
            "error": error,
            "drafts": drafts,
            "accepts_online": version.accepts_online(),
        },
        status=422 if error else 200,
    )


def _step_context(dossier: Dossier, step: str) -> dict[str, Any]:
    names = [s for s, _label in STEPS]
    return {
        "dossier": dossier,
        "version": dossier.version,
        "steps": STEPS,
        "step": step,
        "step_number": names.index(step) + 1,
        "step_count": len(STEPS),
    }


def _submitted_goes_to_its_dossier(view: Any) -> Any:
    """A draft's pages, reached again after it was submitted (the browser's Back button, an
    old tab), lead to the submitted dossier instead of a 404 that looks like a lost dossier."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, pk, *args, **kwargs)
        except Http404:
            code = queries.submitted_code_of_draft(request.user, pk)
            if code is None:
                raise
            messages.info(request, _("Hồ sơ này đã được nộp; đây là trang theo dõi hồ sơ."))
            return redirect("dossiers:detail", code=code)

    return wrapped


def _posted_on_behalf(request: HttpRequest) -> filing.OnBehalf | None:
    """The "Nộp thay" part of the form step; None when the citizen files for themselves."""
    if request.POST.get("nop-thay") != "1":
        return None
    return filing.OnBehalf(
        request.POST.get("on_behalf_name", ""),
        request.POST.get("on_behalf_personal_id", ""),
        request.POST.get("on_behalf_relation", ""),
    )


@login_required
@_submitted_goes_to_its_dossier
def draft_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The e-form, with who files first. The applicant's identity fields are not inputs: they
    show what the account (or the "Nộp thay" declaration) gives; a request that still sends
    them with another person's data is refused beside them."""
    dossier = queries.access_draft(request.user, pk)
    version = dossier.version
    errors: dict[str, str] = {}
    data = dossier.form_data
    posted: filing.OnBehalf | None = None
    if request.method == "POST":
        posted = _posted_on_behalf(request)
        try:
            if "nop-thay" in request.POST:  # a post without the choice keeps the declaration
                filing.declare_filing(dossier, posted, user=request.user)
        except actions.DossierError as exc:
            errors.update({k.replace(".", "_"): v for k, v in exc.errors.items()})
        locked = filing.locked_identity(version, request.user, filing.declaration(dossier))
        data = {
            name: request.POST.get(name, "")
            for name in version.eform_schema.get("properties", {})
            if name not in locked or name in request.POST
        }
        errors.update(actions.save_form(dossier, data, user=request.user))
        if not errors:
            return redirect("dossiers:draft-files", pk=dossier.pk)
        data = dossier.form_data
    locked = filing.locked_identity(version, request.user, filing.declaration(dossier))
    fields = eforms.fields(version.eform_schema, version.eform_layout, data, errors)
    # each value still as its source gave it says where it came from (datastore/prefill.py)
    sourced = prefill.sources(version.eform_schema or {}, version.eform_layout, request.user, data)
    fields = [dataclasses.replace(f, source=sourced.get(f.name, "")) for f in fields]
    declared = filing.declaration(dossier)
    shown = posted if request.method == "POST" and posted is not None else declared
    context = _step_context(dossier, "form") | {
        "fields": [f for f in fields if f.name not in locked],
        "identity": [(f, locked[f.name]) for f in fields if f.name in locked],
        "errors": errors,
        "holder": filing.account_identity(request.user),
        "on_behalf": request.POST.get("nop-thay") == "1"
        if "nop-thay" in request.POST
        else declared is not None,
        "behalf": shown,
        "relations": filing.RELATION_CHOICES,
    }
    return render(request, "dossiers/draft_form.html", context, status=422 if errors else 200)


def _components_view(dossier: Dossier, user: Any = None) -> list[dict[str, Any]]:
    """Each component with its files and, given `user`, what their data store offers for it
    (`dossiers.datastore.matches`: the component's kind, valid documents only)."""
    files = list(dossier.files.select_related("from_stored"))
    components = list(dossier.version.components.all())
    offers = store_for(user).offers(components) if user is not None else {}
    return [
        {
            "component": c,
            "files": [f for f in files if f.component_id == c.pk],
            "store": offers.get(c.pk, []),
        }
        for c in components
    ]


@login_required
@_submitted_goes_to_its_dossier
def draft_files(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = queries.access_draft(request.user, pk)
    if request.method == "POST":
        missing = actions.missing_components(dossier)
        lacking = filing.filing_errors(dossier).get(filing.AUTHORISATION_SLOT, "")
        if not missing and not lacking:
            return redirect("dossiers:draft-delivery", pk=dossier.pk)
        for component in missing:
            messages.error(request, _("Chưa đính kèm “%s”.") % component.name[:120])
        if lacking:
            messages.error(request, lacking)
    return _render_files(
        request, dossier, "dossiers/draft_files.html", _step_context(dossier, "files")
    )


def _render_files(
    request: HttpRequest, dossier: Dossier, template: str, context: dict[str, Any]
) -> HttpResponse:
    rules = limits()
    used = sum(f.size for f in dossier.files.all())
    items = _components_view(dossier, request.user)
    notes = set(id(c) for c in sort_components(i["component"] for i in items).notes)
    context |= {
        "components": items,
        "required_items": [i for i in items if i["component"].required],
        "optional_items": [
            i
            for i in items
            if not i["component"].required and (id(i["component"]) not in notes or i["files"])
        ],
        "notes": [i["component"] for i in items if id(i["component"]) in notes and not i["files"]],
        "authorisation": _authorisation(dossier),
        "limits": rules,
        "max_file": size_label(rules.max_file_bytes),
        "max_dossier": size_label(rules.max_dossier_bytes),
        "used": size_label(used) if used else "0 KB",
    }
    return render(request, template, context)


def _authorisation(dossier: Dossier) -> dict[str, Any] | None:
    """The authorisation slot of a dossier filed on behalf: its files and whether needed."""
    if not dossier.is_on_behalf:
        return None
    return {
        "files": dossier.authorisation_files(),
        "required": filing.authorisation_required_for(dossier),
        "slot": filing.AUTHORISATION_SLOT,
    }


def _component_id(request: HttpRequest) -> int:
    value = request.POST.get("component", "")
    return int(value) if value.isdigit() else 0


def _upload(request: HttpRequest, dossier: Dossier) -> tuple[int, list[str]]:
    component_id = _component_id(request)
    added, problems = 0, []
    uploads = request.FILES.getlist("files")
    if not uploads:
        problems.append(_("Vui lòng chọn ít nhất một tệp."))
    authorisation = request.POST.get("component") == filing.AUTHORISATION_SLOT
    for upload in uploads:
        try:
            if authorisation:
                filing.attach_authorisation(
                    dossier, upload.name or "tep", upload.read(), user=request.user
                )
            else:
                actions.attach_file(
                    dossier, component_id, upload.name or "tep", upload.read(), user=request.user
                )
        except RejectedFile as exc:
            problems.append(exc.message)
        except actions.DossierError as exc:
            problems.extend(exc.errors.values())
        else:
            added += 1
    return added, problems


def _upload_response(
    request: HttpRequest, added: int, problems: list[str], back: str
) -> HttpResponse:
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if wants_json and not added:  # shown in place, next to the upload form
        return JsonResponse({"added": 0, "errors": problems}, status=422)
    if added:
        messages.success(request, _("Đã tải lên %(n)d tệp.") % {"n": added})
    for problem in problems:
        messages.error(request, problem)
    if wants_json:  # the page reloads and shows the messages
        return JsonResponse({"added": added, "errors": problems})
    return redirect(back)


@login_required
@require_POST
def draft_upload(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = queries.access_draft(request.user, pk)
    added, problems = _upload(request, dossier)
    back = reverse("dossiers:draft-files", kwargs={"pk": dossier.pk})
    return _upload_response(request, added, problems, back)


@login_required
@require_POST
def draft_pick(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = queries.access_draft(request.user, pk)
    try:
        actions.attach_from_datastore(
            dossier,
            _component_id(request),
            request.POST.get("ref", ""),
            user=request.user,
        )
    except actions.DossierError as exc:
        if exc.code is UNKNOWN_STORED_DOCUMENT:
            # not this citizen's (or expired, or no such document): its existence not told
            raise Http404(str(exc.message)) from None
        for problem in exc.errors.values():
            messages.error(request, problem)
    else:
        messages.success(request, _("Đã chọn giấy tờ từ kho dữ liệu."))
    return redirect("dossiers:draft-files", pk=dossier.pk)


@login_required
@require_POST
def remove_file(request: HttpRequest, file_pk: int) -> HttpResponse:
    item = queries.access_file(request.user, file_pk)
    dossier = item.dossier
    try:
        actions.remove_file(item, user=request.user)
    except actions.DossierError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xóa tệp “%s”.") % item.original_name)
    if dossier.is_draft:
        return redirect("dossiers:draft-files", pk=dossier.pk)
    return redirect("dossiers:detail", code=dossier.code)


@login_required
@_submitted_goes_to_its_dossier
def draft_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = queries.access_draft(request.user, pk)
    errors: dict[str, str] = {}
    chosen, address = dossier.delivery, dossier.delivery_address
    if request.method == "POST":
        chosen = request.POST.get("delivery", "")
        address = request.POST.get("delivery_address", "")
        try:
            actions.choose_delivery(dossier, chosen, address, user=request.user)
        except actions.DossierError as exc:
            errors = exc.errors
        else:
            return redirect("dossiers:draft-review", pk=dossier.pk)
    options = [
        (value, Dossier.Delivery(value).label)
        for value in actions.delivery_options(dossier.version)
    ]
    context = _step_context(dossier, "delivery") | {
        "options": options,
        "chosen": chosen,
        "address": address,
        "errors": errors,
    }
    return render(request, "dossiers/draft_delivery.html", context, status=422 if errors else 200)


@login_required
@_submitted_goes_to_its_dossier
def draft_review(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = queries.access_draft(request.user, pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            submitted = actions.submit(dossier, user=request.user)
        except actions.DossierError as exc:
            errors = exc.errors
        else:
            messages.success(
                request, _("Đã nộp hồ sơ. Mã hồ sơ của Ông/Bà là %s.") % submitted.code
            )
            return _with_secret(redirect("dossiers:detail", code=submitted.code), submitted)
    else:
        errors = actions.submission_errors(dossier)
    version = dossier.version
    fields = eforms.fields(version.eform_schema, version.eform_layout, dossier.form_data, {})
    context = _step_context(dossier, "review") | {
        "fields": fields,
        "components": _components_view(dossier),
        "authorisation": _authorisation(dossier),
        "fee": _fee_estimate(dossier),
        "errors": errors,
    }
    return render(
        request,
        "dossiers/draft_review.html",
        context,
        status=422 if errors and request.method == "POST" else 200,
    )


FEE_DUE_LABELS = {
    "submission": gettext_lazy("nộp khi nộp hồ sơ"),
    "before_result": gettext_lazy("nộp trước khi nhận kết quả"),
}


def _fee_estimate(dossier: Dossier) -> dict[str, Any] | None:
    """What this draft will owe once submitted online, from the same rule the charge uses
    (`payments.fees.compute`), so the citizen sees it before pressing "Nộp hồ sơ". None when
    the table cannot price it (the agency then says what is owed)."""
    from tinhso.payments import fees

    try:
        computed = fees.compute(dossier.version.fees, dossier.form_data, channel="online")
    except fees.FeeError:
        return None
    owed = [line for line in computed.lines if line.due in FEE_DUE_LABELS]
    return {
        "lines": [{"line": line, "due": FEE_DUE_LABELS[line.due]} for line in owed],
        "total": sum(line.amount for line in owed),
    }


@login_required
@require_POST
def draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = queries.access_draft(request.user, pk)
    actions.discard_draft(dossier, user=request.user)
    messages.success(request, _("Đã xóa bản nháp."))
    return redirect("dossiers:mine")


# --- my dossiers -----------------------------------------------------------------------------
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    dossiers = list(queries.my_dossiers(request.user))
    submitted = [d for d in dossiers if not d.is_draft]
    # Whether each owes a fee, in one query for the page (payments.queries.payment_states)
    fees = payment_queries.payment_states(submitted)
    for d in submitted:
        state = fees.get(d.pk, "none")
        setattr(d, "fee_tag", {"state": state, "label": MINE_FEE_TAGS.get(state, "")})  # noqa: B010
    return render(
        request,
        "dossiers/mine.html",
        {"drafts": [d for d in dossiers if d.is_draft], "dossiers": submitted},
    )


def _with_secret(response: HttpResponse, dossier: Dossier) -> HttpResponse:
    """The secret just issued stays visible to this browser on the dossier's pages a while."""
    return issued.remember(response, dossier, reverse("dossiers:detail", args=[dossier.code]))


# Rating is offered once the dossier has its outcome (Decree 118/2025: rating the result).
_RATABLE = {Dossier.State.RETURNED, Dossier.State.REFUSED, Dossier.State.REJECTED}

# A dossier that will not be handled any more is not paid for (a refused paid one becomes a
# refund case instead).
_NOT_PAYABLE = {Dossier.State.REFUSED, Dossier.State.REJECTED, Dossier.State.WITHDRAWN}


# payments.queries.payment_state, as the pages name it.
PAYMENT_STATES = {
    "unpaid": gettext_lazy("Chưa nộp phí, lệ phí"),
    "pending": gettext_lazy("Đang chờ xác nhận thanh toán"),
    "paid": gettext_lazy("Đã nộp phí, lệ phí"),
    "refund_case": gettext_lazy("Chờ hoàn trả phí, lệ phí"),
    "refunded": gettext_lazy("Đã hoàn trả phí, lệ phí"),
}


# The tag "Hồ sơ của tôi" puts beside a dossier: what the citizen has to do, said plainly.
MINE_FEE_TAGS = {
    **PAYMENT_STATES,
    "unpaid": gettext_lazy("Chờ thanh toán phí, lệ phí"),
}


def payment_view(dossier: Dossier) -> dict[str, Any]:
    """The dossier's charges as its pages show them: lines, total, state and receipt."""
    charges = list(Charge.objects.filter(dossier=dossier).order_by("pk"))
    receipts = {r.charge_id: r for r in Receipt.objects.filter(charge__in=charges)}
    state = payment_queries.payment_state(dossier) if charges else "none"
    return {
        "state": state,
        "label": PAYMENT_STATES.get(state, ""),
        "total": sum(c.total for c in charges),
        "charges": [
            {
                "charge": c,
                "receipt": receipts.get(c.pk),
                "payable": c.state == Charge.State.OPEN and dossier.state not in _NOT_PAYABLE,
            }
            for c in charges
        ],
    }


def _detail_context(
    request: HttpRequest,
    dossier: Dossier,
    *,
    data: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    supplement = dossier.open_supplement()
    paused = queries.paused_so_far(dossier)
    version = dossier.version
    fields = []
    if supplement:
        values = dict(dossier.form_data) | dict(data or {})
        fields = [
            f
            for f in eforms.fields(version.eform_schema, version.eform_layout, values, errors)
            if f.name in supplement.fields
        ]
    components = _components_view(dossier)
    asked = set(supplement.components.values_list("pk", flat=True)) if supplement else set()
    return {
        "rating_open": dossier.state in _RATABLE and dossier.can_be_rated(),
        "all_components": [c["component"] for c in components],
        "supplement_files": [
            f for f in dossier.files.all() if supplement and f.supplement_id == supplement.pk
        ],
        "dossier": dossier,
        "secret": issued.recall(request, dossier),
        "version": version,
        "events": list(dossier.events.all()),
        "supplement": supplement,
        "supplements": list(dossier.supplements.all()),
        "supplement_fields": fields,
        "supplement_components": [c for c in components if c["component"].pk in asked],
        "paused_hours": round(paused.total_seconds() / 3600, 1),
        "results": list(dossier.results.select_related("electronic")),
        "authorisation": _authorisation(dossier),
        "rating": getattr(dossier, "rating", None) if hasattr(dossier, "rating") else None,
        "rating_levels": Rating.Level.choices,
        "appointment": local(dossier.appointment_at),
        "submitted": local(dossier.submitted_at),
        "max_file": size_label(limits().max_file_bytes),
        "limits": limits(),
        "payment": payment_view(dossier),
    }


def _refused(request: HttpRequest, dossier: Dossier, exc: actions.DossierError) -> HttpResponse:
    """A refused action on "my dossier": the dossier's page with the reason, answered with
    the refusal's status (409 wrong state, 422 input to correct), as the API answers it."""
    for problem in exc.errors.values():
        messages.error(request, problem)
    return render(
        request, "dossiers/detail.html", _detail_context(request, dossier), status=exc.status
    )


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    dossier = queries.access_dossier(request.user, code)
    if request.method == "POST":
        return _pay(request, dossier)
    return render(request, "dossiers/detail.html", _detail_context(request, dossier))


def _pay(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    """Thanh toán trực tuyến: the citizen is sent to the gateway's page for the open charge
    (VNPay; the embedded sandbox outside production). Posted to the dossier's own page (its
    form names the charge) since the charge is only ever paid from there."""
    raw = request.POST.get("charge", "").strip()
    charge = (
        Charge.objects.filter(dossier=dossier, pk=int(raw)).first()
        if raw.isascii() and raw.isdigit()
        else None
    )
    if charge is None or dossier.state in _NOT_PAYABLE:
        messages.error(request, _("Hồ sơ không có khoản phí, lệ phí chờ thanh toán."))
        return redirect("dossiers:detail", code=dossier.code)
    return_url = settings.SITE_URL.rstrip("/") + reverse("payments:vnpay_return")
    try:
        attempt = payments.start_attempt(charge, "vnpay", client_address(request), return_url)
    except PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("dossiers:detail", code=dossier.code)
    except gateways.GatewayError:
        messages.error(
            request,
            _("Chưa kết nối được cổng thanh toán. Ông/Bà vui lòng thử lại sau ít phút."),
        )
        return redirect("dossiers:detail", code=dossier.code)
    return redirect(attempt.payment_url)


@login_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    dossier = queries.access_dossier(request.user, code)
    # The secret is printed only while this browser still holds it (see `issued`).
    dossier.issued_secret = issued.recall(request, dossier)
    if dossier.received_at is not None:  # received: the legal receipt with the appointment
        from tinhso.dossiers import forms_pdf

        pdf = forms_pdf.receipt(dossier)
    else:  # online, not yet received: the provisional electronic receipt
        pdf = render_receipt(dossier)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bien-nhan-{dossier.code}.pdf"'
    return response


@login_required
@require_POST
def reissue_secret(request: HttpRequest, code: str) -> HttpResponse:
    """Cấp mã tra cứu mới: the old secret stops working; the new one is shown on the page."""
    dossier = queries.access_dossier(request.user, code)
    try:
        renewed = actions.reissue_lookup_secret(dossier, user=request.user)
    except actions.DossierError as exc:
        return _refused(request, dossier, exc)
    messages.success(
        request, _("Đã cấp mã tra cứu mới. Mã cũ không còn dùng được; hãy ghi lại mã mới.")
    )
    return _with_secret(redirect("dossiers:detail", code=renewed.code), renewed)


@login_required
@require_POST
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    dossier = queries.access_dossier(request.user, code)
    try:
        actions.withdraw(dossier, user=request.user, reason=request.POST.get("reason", ""))
    except actions.DossierError as exc:
        return _refused(request, dossier, exc)
    messages.success(request, _("Đã rút hồ sơ %s.") % dossier.code)
    return redirect("dossiers:detail", code=code)


@login_required
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    dossier = queries.access_dossier(request.user, code)
    try:
        actions.rate(
            dossier,
            request.POST.get("level", ""),
            request.POST.get("comment", ""),
            user=request.user,
        )
    except actions.DossierError as exc:
        return _refused(request, dossier, exc)
    messages.success(request, _("Cảm ơn Ông/Bà đã đánh giá."))
    return redirect("dossiers:detail", code=code)


@login_required
@require_POST
def supplement_upload(request: HttpRequest, code: str) -> HttpResponse:
    dossier = queries.access_dossier(request.user, code)
    added, problems = _upload(request, dossier)
    back = reverse("dossiers:detail", kwargs={"code": code}) + "#bo-sung"
    return _upload_response(request, added, problems, back)


@login_required
@require_POST
def supplement_answer(request: HttpRequest, code: str) -> HttpResponse:
    """Nộp bổ sung: the files, corrected fields and a note, in one form and one press."""
    dossier = queries.access_dossier(request.user, code)
    supplement = dossier.open_supplement()
    if supplement is None:
        return _refused(request, dossier, actions.DossierError(NO_OPEN_SUPPLEMENT))
    added, problems = _supplement_files(request, dossier, supplement)
    data = {name: request.POST.get(name, "") for name in supplement.fields}
    note = request.POST.get("note", "")
    errors: dict[str, str] = {}
    if not problems:
        try:
            actions.answer_supplement(dossier, data, note, user=request.user)
        except actions.DossierError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Đã nộp bổ sung hồ sơ."))
            return redirect("dossiers:detail", code=code)
    if added:  # kept: the citizen does not choose them again
        messages.success(request, _("Đã tải lên %(n)d tệp.") % {"n": added})
    dossier.refresh_from_db()
    context = _detail_context(request, dossier, data=data, errors=errors)
    context |= {"answer_problems": problems + list(errors.values()), "note": note}
    return render(request, "dossiers/detail.html", context, status=422)


def _supplement_files(
    request: HttpRequest, dossier: Dossier, supplement: Any
) -> tuple[int, list[str]]:
    """Attach the files sent with an answer: one input per component asked for, or any
    component the citizen picks when the officer named none."""
    asked = {c.pk for c in supplement.components.all()}
    batches: list[tuple[int, list[Any]]] = [
        (pk, request.FILES.getlist(f"files-{pk}")) for pk in sorted(asked)
    ]
    if request.FILES.getlist("files"):
        batches.append((_component_id(request), request.FILES.getlist("files")))
    added, problems = 0, []
    for component_id, uploads in batches:
        for upload in uploads:
            try:
                actions.attach_file(
                    dossier, component_id, upload.name or "tep", upload.read(), user=request.user
                )
            except RejectedFile as exc:
                problems.append(f"{upload.name}: {exc.message}")
            except actions.DossierError as exc:
                problems.extend(exc.errors.values())
            else:
                added += 1
    return added, problems


@login_required
def download_file(request: HttpRequest, file_pk: int) -> FileResponse:
    item = queries.access_file(request.user, file_pk)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name)


@login_required
def download_result(request: HttpRequest, result_pk: int) -> FileResponse:
    result = queries.access_result(request.user, result_pk)
    name = f"{result.name}.{result.kind}"
    return FileResponse(result.file.open("rb"), as_attachment=True, filename=name)


# --- public look-up --------------------------------------------------------------------------
def _too_many(exc: queries.TooManyLookups) -> str:
    """When to try again, in seconds and as the time of day (Vietnam)."""
    at = (timezone.now() + timedelta(seconds=exc.retry_after)).astimezone(VIETNAM)
    return _(
        "Ông/Bà đã tra cứu sai quá nhiều lần; vui lòng thử lại sau %(seconds)d giây (từ %(time)s)."
    ) % {"seconds": exc.retry_after, "time": at.strftime("%H:%M:%S")}


def lookup(request: HttpRequest) -> HttpResponse:
    """Tra cứu hồ sơ: code + look-up secret, no sign-in, same answer for every miss."""
    retry_after = 0
    code = (request.POST.get("ma") or request.GET.get("ma") or "").strip()
    secret = (request.POST.get("ma-tra-cuu") or request.GET.get("ma-tra-cuu") or "").strip()
    status, error, code_status = None, "", 200
    if code and secret:
        try:
            status = queries.public_lookup(code, secret, client=client_address(request))
        except queries.TooManyLookups as exc:
            error, code_status, retry_after = _too_many(exc), 429, exc.retry_after
        else:
            if status is None:
                error = _("Mã hồ sơ hoặc mã tra cứu không đúng.")
                code_status = 404
    elif request.method == "POST" or secret:
        error = _("Vui lòng nhập cả mã hồ sơ và mã tra cứu.")
        code_status = 422
    return _lookup_page(request, code, status, error, code_status, retry_after)


def lookup_link(request: HttpRequest, token: str) -> HttpResponse:
    """The receipt's QR link: opens the dossier's status in any browser, nothing to type."""
    status, error, code_status, retry_after = None, "", 200, 0
    try:
        status = queries.public_lookup_by_link(token, client=client_address(request))
    except queries.TooManyLookups as exc:
        error, code_status, retry_after = _too_many(exc), 429, exc.retry_after
    else:
        if status is None:
            error = _(
                "Đường dẫn tra cứu không còn hiệu lực (có thể mã tra cứu đã được cấp lại). "
                "Vui lòng nhập mã hồ sơ và mã tra cứu."
            )
            code_status = 404
    return _lookup_page(request, "", status, error, code_status, retry_after)


def _lookup_page(
    request: HttpRequest,
    code: str,
    status: Any,
    error: str,
    code_status: int,
    retry_after: int = 0,
) -> HttpResponse:
    response = render(
        request,
        "dossiers/lookup.html",
        {
            "code": status.code if status else code,
            "status": status,
            "error": error,
            "appointment": local(status.appointment_at) if status else None,
            "submitted": local(status.submitted_at) if status else None,
            "events": [(local(at), state, label) for at, state, label in status.events]
            if status
            else [],
        },
        status=code_status,
    )
    response["Cache-Control"] = "no-store"
    if retry_after:
        response["Retry-After"] = str(retry_after)
    # same-origin, not no-referrer: with no-referrer the browser posts the form with
    # "Origin: null", which the CSRF check refuses; other sites still get no referrer.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response
