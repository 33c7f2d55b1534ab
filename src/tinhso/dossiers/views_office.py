"""Officials' pages: work queues, a dossier's back-office page, forms and the tracking book.

Thin: parse, load through `queries.access_dossier_for_official`, call one action, render.
Plain forms work without JavaScript; `office.js` posts a row's form with fetch and swaps the
row for the returned fragment. Legal sources as in `tinhso.dossiers.actions`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from tinhso.catalogue.templatetags.catalogue_tags import vnd
from tinhso.core import audit
from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import (
    actions,
    clock,
    errors,
    forms_pdf,
    issued,
    lifecycle,
    permissions,
    queries,
)
from tinhso.dossiers import errors as dossier_errors
from tinhso.dossiers.models import Dossier, ProcessingPaper, StepRecord
from tinhso.dossiers.views import PAYMENT_STATES, payment_view
from tinhso.payments import actions as payment_actions
from tinhso.payments import permissions as payment_rules
from tinhso.payments import queries as payment_queries
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Attempt, Charge, Refund
from tinhso.people.models import User

PAGE_SIZE = 50
Response = TypeVar("Response", bound=HttpResponseBase)
# A row id or a number from a form: at most 18 digits, so it always fits a 64-bit integer
# column (SQLite's and PostgreSQL's bigint stop at 19 digits).
MAX_ID_DIGITS = 18


def _posted_int(text: str | None) -> int | None:
    """A posted id or number: ASCII digits only, at most `MAX_ID_DIGITS` of them; None
    otherwise. `str.isdigit()` is not enough: it is true of "²" and of other scripts'
    digits, which `int()` refuses or reads, and an id longer than the database's integer
    overflows the query (both were a 500)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_ID_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def official_required(view: Callable[..., Response]) -> Callable[..., Response]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        if getattr(request.user, "kind", "") != User.Kind.OFFICIAL:
            raise Http404(_("Không tìm thấy trang."))
        return view(request, *args, **kwargs)

    return wrapped


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@official_required
def queue(request: HttpRequest, name: str = "") -> HttpResponse:
    """Hàng đợi công việc, ordered by due time, paged. The one-stop home opens the first
    queue with work in it: the official's own, then reception, then the unit's."""
    titles = dict(queries.QUEUES)
    now = timezone.now()
    counts = queries.queue_counts(request.user, now)
    if not name:
        name = next(
            (
                key
                for key in ("cua-toi", "cho-tiep-nhan", "cho-tra-ket-qua", "don-vi")
                if counts[key]
            ),
            "cua-toi",
        )
    if name not in titles:
        raise Http404(_("Không có hàng đợi này."))
    # a page past any real one is simply empty; bounded so the offset fits the database
    page = min(max(1, _posted_int(request.GET.get("trang")) or 1), 10**9)
    rows = list(
        queries.queue(request.user, name, now).select_related(
            "version", "current_step", "current_agency", "assignee"
        )[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1]
    )
    has_next = len(rows) > PAGE_SIZE
    shown = rows[:PAGE_SIZE]
    fees = payment_states(shown)
    return render(
        request,
        "dossiers/office/queue.html",
        {
            "name": name,
            "title": titles[name],
            "queues": [(key, label, counts[key]) for key, label in queries.QUEUES],
            "rows": [_row(d, now, request.user, fees.get(d.pk, "none")) for d in shown],
            "page": page,
            "has_next": has_next,
            "colleagues": _colleagues(request.user),
            "can_assign": name in {"don-vi", "den-han-hom-nay", "sap-den-han", "qua-han"}
            and permissions.assigns_somewhere(request.user),
        },
    )


def _colleagues(user: Any) -> list[User]:
    from tinhso.people.queries import active_roles

    ids = set(active_roles(user).values_list("agency_id", flat=True))
    return list(
        User.objects.filter(roles__agency_id__in=ids, kind=User.Kind.OFFICIAL, is_active=True)
        .distinct()
        .order_by("full_name")[:200]
    )


ROW_ACTIONS: dict[str, tuple[str, Any]] = {
    Dossier.State.SUBMITTED: ("receive", gettext_lazy("Tiếp nhận")),
    Dossier.State.RECEIVED: ("forward", gettext_lazy("Chuyển bước tiếp")),
}


# The queue's fee tag: what the officer acts on (collect, wait, hand over); the refund
# states are on the dossier's page.
QUEUE_FEE_TAGS = ("unpaid", "pending", "paid")


def payment_states(dossiers: list[Dossier]) -> dict[int, str]:
    """`payments.queries.payment_state` for a page of dossiers in three queries instead of
    up to four per row (tests/dossiers/test_payment_hooks.py holds the two to the same
    answers)."""
    ids = [d.pk for d in dossiers]
    charges: dict[int, list[str]] = {}
    for dossier_id, state in Charge.objects.filter(dossier_id__in=ids).values_list(
        "dossier_id", "state"
    ):
        charges.setdefault(dossier_id, []).append(state)
    if not charges:
        return {}
    refunds: dict[int, set[str]] = {}
    for dossier_id, state in Refund.objects.filter(
        attempt__charge__dossier_id__in=list(charges)
    ).values_list("attempt__charge__dossier_id", "state"):
        refunds.setdefault(dossier_id, set()).add(state)
    pending = set(
        Attempt.objects.filter(
            charge__dossier_id__in=list(charges),
            charge__state=Charge.State.OPEN,
            state__in=(Attempt.State.CREATED, Attempt.State.PENDING),
        ).values_list("charge__dossier_id", flat=True)
    )
    open_refund = {Refund.State.REQUESTED, Refund.State.SUBMITTING, Refund.State.SUBMITTED}
    states = {}
    for dossier_id, charge_states in charges.items():
        given = refunds.get(dossier_id, set())
        if given & open_refund:
            states[dossier_id] = "refund_case"
        elif Charge.State.OPEN in charge_states:
            states[dossier_id] = "pending" if dossier_id in pending else "unpaid"
        elif Refund.State.REFUNDED in given:
            states[dossier_id] = "refunded"
        else:
            states[dossier_id] = "paid"
    return states


def _row(dossier: Dossier, now: datetime, user: Any, fee: str | None = None) -> dict[str, Any]:
    """One queue row; its quick action only when this official may take it now
    (`permissions`), and never one that needs more than a click (the forward papers, the
    leader's confirmation are on the dossier's page)."""
    due = dossier.due_at
    quick = ROW_ACTIONS.get(dossier.state)
    if quick and permissions.refusal(user, dossier, quick[0]) is not None:
        quick = None
    if fee is None:
        fee = payment_states([dossier]).get(dossier.pk, "none")
    return {
        "d": dossier,
        "due": due.astimezone(VIETNAM) if due else None,
        "overdue": bool(due and due < now and dossier.state == Dossier.State.RECEIVED),
        "row_action": quick,
        "fee": fee if fee in QUEUE_FEE_TAGS else "",
        "fee_label": PAYMENT_STATES.get(fee, ""),
    }


PREVIEWS = {"pdf": "pdf", "jpg": "image", "png": "image"}
# The actions that move a dossier along its route are shown open; the others are folded.
PRIMARY = frozenset(
    {
        "receive",
        "forward",
        "give_opinion",
        "approve",
        "attach_result",
        "mark_ready",
        "return_result",
    }
)
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


@official_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """The officer's workbench: what the citizen sent, the checklist, the history, the papers
    of the steps and the actions this official may take now."""
    dossier = queries.access_dossier_for_official(request.user, code)
    return render(request, "dossiers/office/detail.html", _detail_context(request, dossier))


# Hình thức nộp at the counter (`payments.actions.COUNTER_METHODS`), as the form names them.
COUNTER_METHODS = {"cash": gettext_lazy("Tiền mặt"), "card": gettext_lazy("Thẻ ngân hàng")}


def _counter(
    user: Any, dossier: Dossier, payment: dict[str, Any], kept: dict[str, Any]
) -> list[dict[str, Any]]:
    """The charges this official may take at the counter now (`payments.permissions.
    taking_payment`): the open ones of a dossier still payable, each with what a refused
    form sent (`kept`: charge, values, field errors)."""
    payable = [p for p in payment["charges"] if p["payable"]]
    if not payable or payment_rules.taking_payment(user, dossier) is not None:
        return []
    rows = []
    for p in payable:
        mine = kept.get("charge") == p["charge"].pk
        rows.append(
            {
                "charge": p["charge"],
                "method": kept["values"].get("method", "cash") if mine else "cash",
                "receipt_no": kept["values"].get("receipt_no", "") if mine else "",
                "errors": kept["errors"] if mine else {},
            }
        )
    return rows


def _waits_for_payment(user: Any, dossier: Dossier, available: list[str]) -> bool:
    """Whether this official would return the result but for the fee due before it
    (`permissions.returning_result`): the page says so instead of the button."""
    if dossier.state != Dossier.State.RESULT_READY or "return_result" in available:
        return False
    refused = permissions.refusal(user, dossier, "return_result")
    return refused is not None and refused.code is errors.RESULT_WAITS_FOR_PAYMENT


def _detail_context(
    request: HttpRequest,
    dossier: Dossier,
    kept: dict[str, Any] | None = None,
    counter_kept: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The detail page's context; `kept` is a refused action with what the officer sent,
    so its form is shown again filled in (files excepted: a browser never refills those);
    `counter_kept` the same for a refused counter payment."""
    code = dossier.code or ""  # a dossier in the back office always has its code
    now = timezone.now()
    report = queries.timeliness(dossier, now)
    files = list(
        dossier.files.select_related(
            "component", "from_result__dossier", "from_stored__digitised_by", "from_stored__kind"
        )
    )
    available = permissions.available(request.user, dossier)
    payment = payment_view(dossier)
    checklist = _checklist(dossier, files)
    digitise = _digitise_context(request.user, dossier, checklist)
    kept = kept or {}
    chosen = set(kept.get("chosen", ()))
    values = kept.get("values", {})
    components = list(dossier.version.components.all())
    return {
        "d": dossier,
        "payment": payment,
        "counter": _counter(request.user, dossier, payment, counter_kept or {}),
        # a refused counter form is far down a phone's page: the top says where to look
        "counter_refused": bool(counter_kept and counter_kept.get("errors")),
        "counter_methods": list(COUNTER_METHODS.items()),
        "waits_for_payment": _waits_for_payment(request.user, dossier, available),
        "report": report,
        "step_rows": [_step_row(r) for r in report.steps],
        "available": available,
        "closed": dossier.state in lifecycle.CLOSED,
        "primary": [a for a in available if a in PRIMARY],
        "secondary": [(a, lifecycle.ACTIONS[a].label) for a in available if a not in PRIMARY],
        "steps": list(dossier.route.steps.all()) if dossier.route else [],
        "assignable": queries.assignable(dossier)
        if "assign" in available and dossier.current_agency_id
        else [],
        "apology_due": queries.apology_due(dossier, now),
        "appointment": actions.current_appointment(dossier),
        "answers": _answers(dossier),
        "checklist": checklist,
        "digitise": digitise,
        "unsent": sum(1 for r in checklist if not r["present"] and not r["component"].required),
        "components": components,
        "supplement_rows": [
            {
                "c": c,
                "checked": kept.get("action") == "request_supplement" and str(c.pk) in chosen,
                "reason": values.get(f"reason-{c.pk}", "")
                if kept.get("action") == "request_supplement"
                else "",
            }
            for c in components
        ],
        "kept": kept,
        "supplements": list(dossier.supplements.all()),
        "apologies": list(dossier.apologies.all()),
        "files": [_shown(code, f, f.original_name, "giay-to") for f in files],
        "authorisation": _authorisation(code, dossier, files),
        "papers": [
            _shown(code, p, p.original_name, "trinh", kind=p.file_kind)
            for p in dossier.papers.select_related("uploaded_by", "step_record")
        ],
        "results": [
            _shown(code, r, f"{r.name}.{r.kind}", "ket-qua")
            for r in dossier.results.select_related("electronic")
        ],
        "history": list(dossier.events.all()),
        "opinions": list(dossier.opinions.select_related("agency")),
        "opinion_agencies": _opinion_agencies(dossier) if "request_opinions" in available else [],
        "paper_kinds": ProcessingPaper.Kind.choices,
    }


def _kept(request: HttpRequest, action: str, error: str) -> dict[str, Any]:
    """What the officer sent with a refused action: the texts and the choices made."""
    post = request.POST
    return {
        "action": action,
        "error": error,
        "values": {
            key: post.get(key, "")
            for key in post
            if key not in {"csrfmiddlewaretoken", "xac-nhan", "components", "agencies"}
        },
        "chosen": [*post.getlist("components"), *post.getlist("agencies")],
        "files": sorted(name for name in request.FILES if request.FILES.get(name)),
    }


def _step_row(row: queries.StepRow) -> dict[str, Any]:
    return {
        "r": row,
        "verdict": clock.Verdict(row.verdict).label if row.verdict else "",
        "outcome": StepRecord.Outcome(row.outcome).label,
    }


def _answers(dossier: Dossier) -> list[tuple[str, list[tuple[str, Any, str]]]]:
    """The e-form answers as (group title, [(label, value, type)]), in the form's order."""
    from tinhso.catalogue import eforms

    version = dossier.version
    groups: dict[str, list[tuple[str, Any, str]]] = {}
    for field in eforms.fields(version.eform_schema or {}, version.eform_layout, dossier.form_data):
        groups.setdefault(field.group, []).append((field.label, field.value, field.input_type))
    return list(groups.items())


def _authorisation(code: str, dossier: Dossier, files: list[Any]) -> dict[str, Any] | None:
    """A dossier filed on behalf: its authorisation document, for the officer to check at
    reception (Decree 118/2025/NĐ-CP; Civil Code 2015 Art. 138-143), or why none is needed."""
    from tinhso.dossiers.actions import drafts

    if not dossier.is_on_behalf:
        return None
    mine = [f for f in files if f.slot == f.Slot.AUTHORISATION]
    return {
        "files": [_shown(code, f, f.original_name, "giay-to") for f in mine],
        "required": drafts.authorisation_required_for(dossier),
    }


def _checklist(dossier: Dossier, files: list[Any]) -> list[dict[str, Any]]:
    """Per component: present, digitised (all its files, or a certified copy made at the
    counter: `digitisation.component_digitised`), reused from the data store."""
    from tinhso.dossiers.actions.digitisation import component_digitised

    rows = []
    for component in dossier.version.components.all():
        mine = [f for f in files if f.component_id == component.pk]
        digitised = component_digitised(mine)
        rows.append(
            {
                "component": component,
                "present": bool(mine),
                "digitised": digitised,
                # a scan handed in on paper, neither digitised nor reused (the "Chờ số hóa"
                # queue's rule, `digitisation.awaiting`)
                "waiting": not digitised and any(not f.digitised and not f.reused for f in mine),
                "reused": any(f.reused for f in mine),
                "count": len(mine),
            }
        )
    return rows


def _digitise_context(user: Any, dossier: Dossier, checklist: list[dict[str, Any]]) -> Any:
    """The counter's "Số hóa" form (a paper dossier, an officer of a receiving desk): the
    document kinds, each row's kind preselected by the reuse rule (docs/datastore.md)."""
    from tinhso.datastore.models import DocumentKind
    from tinhso.dossiers.actions.digitisation import may_digitise
    from tinhso.dossiers.datastore import kind_for

    if not may_digitise(user, dossier):
        return None
    kinds = list(DocumentKind.objects.all())
    for row in checklist:
        found = kind_for(row["component"], kinds)
        row["suggested_kind"] = found.pk if found is not None else None
    # the paper handed in and not digitised yet: said at the top of the page, which is where
    # the officer lands right after the intake (and from the "Chờ số hóa" queue)
    return {"kinds": kinds, "waiting": sum(1 for row in checklist if row["waiting"])}


@official_required
@require_POST
def digitise(request: HttpRequest, code: str) -> HttpResponse:
    """Số hóa một thành phần hồ sơ giấy: scan, metadata, the officer's certification; the
    copy enters the citizen's data store (`actions/digitisation.py`)."""
    from django.utils.dateparse import parse_date

    from tinhso.core.errors import DomainError
    from tinhso.datastore.models import DocumentKind
    from tinhso.dossiers.actions import digitisation
    from tinhso.dossiers.uploads import limits

    dossier = queries.access_dossier_for_official(request.user, code)
    post = request.POST
    back = reverse("dossiers:office-detail", args=[dossier.code]) + "#giay-to"
    component = _posted_int(post.get("component"))
    if component is None:
        messages.error(request, str(dossier_errors.UNKNOWN_COMPONENT.message))
        return redirect(back)
    upload = request.FILES.get("file")
    if upload is not None:
        file_name = upload.name or "ban-quet.pdf"
        content = upload.read(limits().max_file_bytes + 1)
    else:
        # the scan taken at intake (this dossier's, this component's, not digitised yet):
        # read here, before the action's transaction, like an upload
        chosen = _posted_int(post.get("scan"))
        scan = (
            dossier.files.filter(
                pk=chosen, component_id=component, digitised=False, reused=False
            ).first()
            if chosen is not None
            else None
        )
        if scan is None or not scan.file:
            messages.error(request, _("Hãy chọn tệp bản quét."))
            return redirect(back)
        file_name = scan.original_name or "ban-quet.pdf"
        with scan.file.open("rb") as stored:
            content = stored.read(limits().max_file_bytes + 1)
    kind_id = _posted_int(post.get("kind"))
    kind = DocumentKind.objects.filter(pk=kind_id).first() if kind_id is not None else None

    def day(name: str) -> Any:
        try:
            return parse_date(post.get(name, "").strip()) if post.get(name, "").strip() else None
        except ValueError:
            return None

    try:
        item = digitisation.digitise_component(
            dossier,
            component,
            officer=request.user,
            kind=kind,
            file_name=file_name,
            content=content,
            number=post.get("number", ""),
            issuer_name=post.get("issuer_name", ""),
            issued_on=day("issued_on"),
            expires_on=day("expires_on"),
        )
    except DomainError as exc:
        for problem in (exc.fields or {"": exc.message}).values():
            messages.error(request, problem)
    else:
        messages.success(
            request,
            _(
                "Đã số hóa và chứng thực “%(name)s”; bản sao điện tử đã vào kho dữ liệu của "
                "công dân."
            )
            % {"name": item.component.name[:80] if item.component else item.original_name},
        )
    return redirect(back)


def _shown(code: str, item: Any, name: str, what: str, *, kind: str = "") -> dict[str, Any]:
    kind = kind or item.kind
    return {
        "item": item,
        "name": name,
        "url": reverse("dossiers:office-file", args=[code, what, item.pk]),
        "preview": PREVIEWS.get(kind, ""),
        **(provenance(item) if what == "giay-to" else {}),
    }


def provenance(item: Any) -> dict[str, str]:
    """Where a component file came from and its signature state, for the officer: reused
    from the citizen's data store (a result of dossier X, digitised by Y, uploaded by the
    citizen, the national store) or digitised here at the counter (docs/datastore.md)."""
    stored, result = item.from_stored, item.from_result
    if stored is None and result is None:
        return {}
    if stored is not None and stored.provenance == "digitised":
        who = getattr(stored.digitised_by, "display_name", "") or str(stored.digitised_by or "")
        when = timezone.localtime(stored.created_at).strftime("%d/%m/%Y")
        source = _("số hóa bởi %(who)s ngày %(when)s") % {"who": who, "when": when}
    elif stored is not None and stored.provenance == "uploaded":
        source = _("tải lên bởi công dân")
    elif stored is not None and stored.provenance == "national_store":
        source = _("kho dữ liệu quốc gia")
    else:
        code = stored.source_dossier_code if stored is not None else ""
        code = code or (result.dossier.code if result is not None else "")
        source = _("kết quả hồ sơ %(code)s") % {"code": code}
    if item.reused:
        label = _("Tái sử dụng từ kho dữ liệu: %(source)s") % {"source": source}
    else:
        label = _("Bản số hóa tại quầy: %(source)s") % {"source": source}
    signature = stored.signature if stored is not None else ""
    signature_label = {
        "agency_verified": _("Chữ ký số của cơ quan cấp: hợp lệ (đã kiểm tra)"),
        "certified_copy": _("Bản sao điện tử do cán bộ chứng thực bằng chữ ký số"),
        "none": _("Không có chữ ký số"),
    }.get(signature, _("Chữ ký số: chưa kiểm tra"))
    return {
        "provenance": label,
        "signature": signature or "unknown",
        "signature_label": signature_label,
        "number": stored.number if stored is not None else "",
        "kind_name": stored.kind.name if stored is not None else "",
    }


@official_required
@xframe_options_sameorigin
def office_file(request: HttpRequest, code: str, what: str, pk: int) -> FileResponse:
    """A file of the dossier for an official who may see it: a component file, a paper of a
    step or a result; PDFs and images open in the page (`?tai-ve=1` downloads)."""
    dossier = queries.access_dossier_for_official(request.user, code)
    if what == "giay-to":
        item: Any = dossier.files.filter(pk=pk).first()
        name, kind = (item.original_name, item.kind) if item else ("", "")
    elif what == "trinh":
        item = dossier.papers.filter(pk=pk).first()
        name, kind = (item.original_name, item.file_kind) if item else ("", "")
    elif what == "ket-qua":
        item = dossier.results.filter(pk=pk).first()
        name, kind = (f"{item.name}.{item.kind}", item.kind) if item else ("", "")
    else:
        item = None
    if item is None or not item.file:
        raise Http404(_("Không tìm thấy tệp."))
    # An official opening a citizen's file is a read of personal data (Decree 13/2023).
    audit.record_read(item, ["file"], actor=request.user)
    if what == "giay-to" and item.from_stored_id is not None:
        # a document of the citizen's store: its owner sees who read it ("Ai đã xem")
        from tinhso.datastore import actions as datastore

        datastore.record_read(
            item.from_stored,
            official=request.user,
            agency=dossier.current_agency or dossier.agency,
            reason=_("Xem giấy tờ trong hồ sơ %(code)s") % {"code": dossier.code},
        )
    inline = kind in PREVIEWS and not request.GET.get("tai-ve")
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=name,
        content_type=CONTENT_TYPES.get(kind) or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _opinion_agencies(dossier: Dossier) -> list[Any]:
    """Agencies of the province that may be asked for an opinion (not the current one)."""
    from tinhso.places.models import Agency

    return list(
        Agency.objects.filter(
            province_id=dossier.agency.province_id,
            is_active=True,
            level__in=[Agency.Level.PROVINCE, Agency.Level.DEPARTMENT],
        )
        .exclude(pk=dossier.current_agency_id or 0)
        .order_by("name")[:100]
    )


def _perform(request: HttpRequest, dossier: Dossier, action: str) -> Any:
    user, post = request.user, request.POST
    if action == "receive":
        return actions.receive(dossier, officer=user)
    if action == "request_supplement":
        items = [
            actions.MissingItem(number, post.get(f"reason-{pk}", ""))
            for pk in post.getlist("components")
            if (number := _posted_int(pk)) is not None
        ]
        officer = user
        return actions.request_supplement(
            dossier,
            reason=post.get("reason", ""),
            fields=[],
            component_ids=[],
            officer=officer,
            items=items,
        )
    if action == "reject":
        return actions.reject(dossier, officer=user, reason=post.get("reason", ""))
    if action == "assign":
        chosen = _posted_int(post.get("to"))
        to = User.objects.filter(pk=chosen).first() if chosen is not None else None
        if to is None:
            raise errors.invalid(errors.ASSIGNEE_REQUIRED, "to")
        return actions.assign(dossier, officer=user, to=to)
    if action == "forward":
        papers = [
            actions.Paper(kind, upload.name or "tep", upload.read())
            for kind in ProcessingPaper.Kind.values
            if (upload := request.FILES.get(f"paper-{kind}")) is not None
        ]
        return actions.forward(dossier, officer=user, note=post.get("note", ""), papers=papers)
    if action == "request_opinions":
        from tinhso.places.models import Agency

        ids = [n for pk in post.getlist("agencies") if (n := _posted_int(pk)) is not None]
        return actions.request_opinions(
            dossier,
            officer=user,
            agencies=list(Agency.objects.filter(pk__in=ids, is_active=True).order_by("code")),
            question=post.get("question", ""),
        )
    if action == "give_opinion":
        return actions.give_opinion(dossier, officer=user, answer=post.get("answer", ""))
    if action == "return_to_step":
        return actions.return_to_step(
            dossier,
            officer=user,
            position=_posted_int(post.get("position")) or 0,
            reason=post.get("reason", ""),
        )
    if action == "extend":
        try:
            moment = parse_datetime(post.get("new_appointment", "") or "")
        except ValueError:  # well formed but impossible, such as 30/02
            moment = None
        if moment is None:
            raise errors.invalid(errors.NEW_APPOINTMENT_REQUIRED, "new_appointment")
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=VIETNAM)
        return actions.extend(
            dossier, officer=user, reason=post.get("reason", ""), new_appointment=moment
        )
    if action == "approve":
        return actions.approve(dossier, officer=user)
    if action == "refuse":
        return actions.refuse(dossier, officer=user, reason=post.get("reason", ""))
    if action == "attach_result":
        upload = request.FILES.get("file")
        if upload is None:
            raise errors.invalid(errors.RESULT_FILE_REQUIRED, "file")
        return actions.attach_result(
            dossier, post.get("name", "") or upload.name or "", upload.read(), officer=user
        )
    if action == "mark_ready":
        return actions.mark_ready(dossier, officer=user)
    if action == "return_result":
        return actions.return_result(dossier, officer=user, how=post.get("how", ""))
    raise Http404(_("Không có thao tác này."))


CONFIRMED = frozenset({"approve", "refuse"})


@official_required
@require_POST
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """One action on one dossier; a fetch() call gets the queue row back instead of a redirect."""
    from tinhso.dossiers.uploads import RejectedFile

    dossier = queries.access_dossier_for_official(request.user, code)
    if action not in permissions.RULES:
        raise Http404(_("Không có thao tác này."))
    refused = permissions.refusal(request.user, dossier, action)
    error, status = (refused.message, refused.status) if refused else ("", 200)
    if not error and action in CONFIRMED and request.POST.get("xac-nhan") != "1":
        # A decision is final: a page to confirm it, which works without JavaScript.
        return render(
            request,
            "dossiers/office/confirm.html",
            {
                "d": dossier,
                "action": action,
                "label": lifecycle.ACTIONS[action].label,
                "reason": request.POST.get("reason", ""),
                "papers": [
                    _shown(code, p, p.original_name, "trinh", kind=p.file_kind)
                    for p in dossier.papers.all()
                ],
            },
        )
    try:
        if not error:
            _perform(request, dossier, action)
    except actions.DossierError as exc:
        error, status = "; ".join(exc.errors.values()), exc.status
    except RejectedFile as exc:
        error, status = exc.message, 422
    if _is_fetch(request):
        dossier.refresh_from_db()
        response = render(
            request,
            "dossiers/office/_row.html",
            {"row": _row(dossier, timezone.now(), request.user), "error": error, "done": not error},
        )
        if error:
            response.status_code = status
        return response
    if error and not request.POST.get("next"):
        # Refused on the dossier's page: that page again, its form filled with what the
        # officer typed and chose, never a redirect to an empty form.
        messages.error(request, error)
        dossier.refresh_from_db()
        return render(
            request,
            "dossiers/office/detail.html",
            _detail_context(request, dossier, _kept(request, action, error)),
            status=status,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("Đã %(action)s: %(code)s.")
            % {"action": lifecycle.ACTIONS[action].label, "code": dossier.code},
        )
    return _back(request, reverse("dossiers:office-detail", args=[dossier.code]))


@official_required
@require_POST
def counter_payment(request: HttpRequest, code: str, charge: int) -> HttpResponse:
    """Thu phí, lệ phí tại quầy: the desk records a cash or card payment of one of the
    dossier's charges with the number of the paper receipt it gave
    (`payments.actions.record_counter_payment`, which checks who may)."""
    dossier = queries.access_dossier_for_official(request.user, code)
    found = payment_queries.charge_of(dossier, charge)
    if found is None:
        raise Http404(_("Không tìm thấy khoản phải nộp."))
    method = request.POST.get("method", "")
    receipt_no = request.POST.get("receipt_no", "")
    try:
        payment_actions.record_counter_payment(
            found, officer=request.user, method=method, receipt_no=receipt_no
        )
    except PaymentError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        if not exc.fields:
            messages.error(request, exc.message)
        kept = {
            "charge": found.pk,
            "values": {"method": method, "receipt_no": receipt_no.strip()[:60]},
            "errors": exc.fields,
        }
        return render(
            request,
            "dossiers/office/detail.html",
            _detail_context(request, dossier, counter_kept=kept),
            status=exc.status,
        )
    messages.success(
        request,
        _("Đã ghi nhận khoản thu %(amount)s đồng (%(method)s), biên lai số %(receipt_no)s.")
        % {
            "amount": vnd(found.total),
            "method": COUNTER_METHODS[method],
            "receipt_no": receipt_no.strip(),
        },
    )
    return redirect(reverse("dossiers:office-detail", args=[dossier.code]) + "#phi-le-phi")


@official_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Phân công hàng loạt: each selected dossier goes through `actions.assign`."""
    chosen = _posted_int(request.POST.get("to"))
    to = User.objects.filter(pk=chosen).first() if chosen is not None else None
    done, refused = 0, []
    for code in request.POST.getlist("codes"):
        try:
            dossier = queries.access_dossier_for_official(request.user, code)
            if to is None:
                raise errors.invalid(errors.ASSIGNEE_REQUIRED, "to")
            actions.assign(dossier, officer=request.user, to=to)
            done += 1
        except (actions.DossierError, Http404) as exc:
            refused.append(f"{code}: {exc}")
    if done:
        messages.success(
            request,
            ngettext("Đã phân công %(count)d hồ sơ.", "Đã phân công %(count)d hồ sơ.", done)
            % {"count": done},
        )
    for line in refused:
        messages.error(request, line)
    return _back(request, reverse("dossiers:office-queue", args=["don-vi"]))


@official_required
def form_pdf(request: HttpRequest, code: str, form: str) -> HttpResponse:
    dossier = queries.access_dossier_for_official(request.user, code)
    dossier.issued_secret = issued.recall(request, dossier)
    if form == "01" and dossier.received_at:
        pdf = forms_pdf.receipt(dossier)
    elif form == "02" and (request_ := dossier.supplements.order_by("-pk").first()):
        pdf = forms_pdf.supplement_request(request_)
    elif form == "03" and dossier.state == Dossier.State.REJECTED:
        pdf = forms_pdf.refusal(dossier)
    elif form == "04" and (apology := dossier.apologies.order_by("-pk").first()):
        pdf = forms_pdf.apology(apology)
    elif form == "kiem-soat":
        pdf = forms_pdf.tracking_sheet(dossier)
    else:
        raise Http404(_("Không có biểu mẫu này cho hồ sơ."))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-{form}.pdf"'
    return response


@official_required
def tracking_book(request: HttpRequest) -> HttpResponse:
    """Sổ theo dõi hồ sơ of the official's agencies (received dossiers, newest first)."""
    rows = (
        queries.visible_to_official(request.user)
        .exclude(received_at__isnull=True)
        .select_related("version", "agency", "reception_agency")
        .order_by("-received_at")[:5000]
    )
    data = forms_pdf.tracking_book(list(rows))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="so-theo-doi-ho-so.xlsx"'
    return response


@official_required
def intake_pick(request: HttpRequest) -> HttpResponse:
    """Counter intake starts here: find the procedure the citizen asks for."""
    from tinhso.catalogue import queries as catalogue
    from tinhso.catalogue.models import Procedure

    q = request.GET.get("q", "")[:200]
    # Officers often type the national code (e.g. 1.001193): match it exactly first.
    exact = list(
        Procedure.objects.filter(
            code=q.strip(), is_active=True, current_version__isnull=False
        ).select_related("agency")
    )
    # the search's rows are tuples of what the list prints (code, name, agency, levels)
    found: list[Procedure | catalogue.ListedProcedure] = [
        *exact,
        *(catalogue.search(q, limit=30).items if q.strip() and not exact else []),
    ]
    receivable = [
        procedure
        for procedure in found
        if permissions.receivable_competent_agencies(
            request.user, catalogue.competent_agencies(procedure)
        )
    ]
    return render(
        request,
        "dossiers/office/intake_pick.html",
        {"q": q, "procedures": receivable, "searched": bool(q.strip())},
    )


def _counter_offers(
    officer: Any, personal_id: str, components: list[Any], *, read: bool
) -> dict[int, list[Any]]:
    """What the store of the citizen with `personal_id` offers for each component, for the
    counter's picker (the citizen at the desk gives their ID). Looking it up is a read of
    their personal data, audited (`read`: once, when the officer asks for it)."""
    from tinhso.core.identifiers import InvalidIdentifier, validate_personal_id
    from tinhso.dossiers.datastore import store_for
    from tinhso.people.models import Citizen

    if not personal_id:
        return {}
    try:
        validate_personal_id(personal_id)
    except InvalidIdentifier:
        return {}
    citizen = Citizen.objects.filter(personal_id=personal_id, user__isnull=False).first()
    if citizen is None:
        return {}
    if read:
        audit.record_read(citizen, ["stored_documents"], actor=officer)
    return store_for(citizen.user).offers(components)


@official_required
def intake(request: HttpRequest, code: str) -> HttpResponse:
    """Tiếp nhận trực tiếp / qua bưu chính: the officer enters the dossier for the citizen."""
    from django.shortcuts import get_object_or_404

    from tinhso.catalogue import eforms
    from tinhso.catalogue import queries as catalogue
    from tinhso.catalogue.models import ProcedureVersion

    version = get_object_or_404(
        ProcedureVersion.objects.select_related("procedure__agency"),
        procedure__code=code,
        state=ProcedureVersion.State.PUBLISHED,
    )
    # A commune-level procedure has no single competent agency: the officer picks the
    # commune's committee among those their desk may receive for.
    choices = permissions.receivable_competent_agencies(
        request.user, catalogue.competent_agencies(version.procedure).select_related("commune")
    )
    if not choices:
        raise Http404(_("Không tìm thấy trang."))
    post = request.POST
    picked = post.get("agency", "")
    agency = (
        choices[0] if len(choices) == 1 else next((a for a in choices if str(a.pk) == picked), None)
    )
    names = list((version.eform_schema or {}).get("properties", {}))
    data: dict[str, Any] = {name: post.get(name, "") for name in names} if post else {}
    problems: dict[str, str] = {}
    components_list = list(version.components.all())
    if request.method == "POST":
        components = []
        for component in version.components.all():
            upload = request.FILES.get(f"component-{component.pk}")
            if upload is not None:
                components.append(
                    actions.PaperComponent(
                        component.pk,
                        upload.name or "tep",
                        upload.read(),
                        post.get(f"digitised-{component.pk}") == "on",
                    )
                )
        try:
            dossier = actions.intake(
                version,
                officer=request.user,
                channel=post.get("channel", "counter"),
                personal_id=post.get("personal_id", ""),
                full_name=post.get("full_name", ""),
                phone=post.get("phone", ""),
                email=post.get("email", ""),
                address=post.get("address", ""),
                form={k: v for k, v in data.items() if v != ""},
                components=components,
                delivery=post.get("delivery", ""),
                delivery_address=post.get("delivery_address", ""),
                agency=agency,
                reused={
                    c.pk: post.get(f"stored-{c.pk}", "")
                    for c in components_list
                    if post.get(f"stored-{c.pk}")
                },
            )
        except actions.DossierError as exc:
            if exc.code is dossier_errors.UNKNOWN_STORED_DOCUMENT:
                raise Http404(str(exc.message)) from None  # not that citizen's: not told
            problems = exc.errors
        else:
            messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
            # Mẫu 01 printed now carries the look-up secret (stored hashed, see `issued`).
            return issued.remember(
                redirect("dossiers:office-detail", code=dossier.code),
                dossier,
                reverse("dossiers:office-detail", args=[dossier.code]),
            )
    # Listed only when the page is shown (GET, or a POST refused and shown again), and every
    # listing is the audited read of that citizen's personal data: an invalid POST with a
    # typed ID must not list another's store unaudited.
    looked_up = (post.get("personal_id") if post else request.GET.get("cccd", "")) or ""
    offers = _counter_offers(request.user, looked_up.strip(), components_list, read=True)
    fields = eforms.fields(
        version.eform_schema,
        version.eform_layout,
        data,
        {k.removeprefix("form."): v for k, v in problems.items()},
    )
    return render(
        request,
        "dossiers/office/intake.html",
        {
            "version": version,
            "fields": fields,
            "errors": problems,
            "post": post,
            "components": [
                {"c": c, "store": offers.get(c.pk, []), "chosen": post.get(f"stored-{c.pk}", "")}
                for c in components_list
            ],
            "looked_up": looked_up.strip(),
            "deliveries": actions.delivery_options(version),
            "agency_choices": choices if len(choices) > 1 else [],
            "picked_agency": picked,
        },
        status=422 if problems else 200,
    )
