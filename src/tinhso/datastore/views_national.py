"""The citizen's page "Lấy giấy tờ từ Kho dữ liệu quốc gia": their results held by the
national data store, asked by their personal identification number (GetKetQuaGiayTo), and
taking one into their store here (GetGiayToByUrl, then `actions.add_from_national_store`
through `national.enter`).

Legal source: Decree 45/2020/NĐ-CP (what the state already holds is not asked for again; a
document taken from the national store, `DuocLayTuKhoDMQG`). Only the signed-in citizen's
own number is ever asked: the page takes no number from the request. The file to take is
named by its national URL, and only a URL of the list the national store gives for this
citizen at the moment of the POST is taken (anything else is a form error). The network
calls happen with no transaction open; `national.enter(once=True)` then enters the file in
its own transaction, once per citizen and URL, audited as `datastore.from_national_store`.
When the national store is not configured, unreachable, slow or refuses, the page says so
and nothing is written.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tinhso.core.errors import Kind
from tinhso.datastore import errors, national
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import DocumentKind
from tinhso.people.models import Citizen

log = logging.getLogger(__name__)


class TakeForm(forms.Form):
    tep = forms.CharField(
        max_length=500,
        error_messages={
            "required": gettext_lazy("Hãy chọn giấy tờ cần lấy."),
            "max_length": gettext_lazy("Giấy tờ được chọn không hợp lệ."),
        },
    )


def _citizen(request: HttpRequest) -> Citizen:
    user = request.user
    citizen = Citizen.objects.filter(user=user).first() if user.is_authenticated else None
    if citizen is None:  # an official or an organisation's account: no personal store
        raise DatastoreError(errors.NO_STORE)
    return citizen


def _ask(store: national.NationalStore, citizen: Citizen) -> list[national.NationalDocument]:
    # every kind the catalogue knows a national result code for: the citizen asks for what
    # they hold, not for one procedure's needs
    codes = (
        DocumentKind.objects.exclude(national_code="")
        .order_by("national_code")
        .values_list("national_code", flat=True)
        .distinct()
    )
    return store.results(
        owner_id=citizen.personal_id,
        requester_id=citizen.personal_id,
        requester_name=citizen.full_name,
        procedure_code="",
        wanted=[(code, "") for code in codes],
    )


def _problem(exc: national.NationalStoreError) -> tuple[str, int]:
    """The page's Vietnamese message and status for what the national store did; the
    adapter's detail (addresses, the portal's codes) goes to the log, not to the page."""
    if isinstance(exc, national.NationalStoreNotConfigured):
        return (
            _(
                "Hệ thống chưa được kết nối với Kho dữ liệu quốc gia nên chưa lấy được giấy tờ "
                "từ đó. Ông/Bà vẫn có thể tải giấy tờ lên kho hoặc nộp kèm hồ sơ."
            ),
            503,
        )
    log.warning("national store: %s", exc)
    if isinstance(exc, national.NationalStoreUnavailable):
        return (
            _(
                "Kho dữ liệu quốc gia đang không trả lời (mất kết nối hoặc quá thời gian chờ). "
                "Chưa có gì thay đổi trong kho của Ông/Bà; hãy thử lại sau ít phút."
            ),
            503,
        )
    return (
        _(
            "Kho dữ liệu quốc gia từ chối yêu cầu hoặc trả về dữ liệu không dùng được. Chưa có "
            "gì thay đổi trong kho của Ông/Bà; hãy thử lại sau hoặc liên hệ Bộ phận Một cửa."
        ),
        502,
    )


def _rows(citizen: Citizen, found: list[national.NationalDocument]) -> list[dict[str, Any]]:
    """One row per national file; `taken` when the store already holds the paper: the same
    file, or a document of the same kind and number (`national.held`), e.g. the copy
    digitised at the counter."""
    holdings = national.Holdings(citizen)
    kinds = {d.result_code: national.kind_of(d) for d in found}
    rows = []
    for d in found:
        kind = kinds[d.result_code]
        named = kind.name if kind.national_code and kind.national_code == d.result_code else ""
        for f in d.files:
            rows.append(
                {
                    "kind": named or d.name,
                    "document": d,
                    "file": f,
                    "taken": holdings.holds(d, f, kind),
                }
            )
    return rows


def _page(
    request: HttpRequest,
    citizen: Citizen,
    *,
    rows: list[dict[str, Any]] | None = None,
    problem: str = "",
    form: TakeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "datastore/national.html",
        {"citizen": citizen, "rows": rows, "problem": problem, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def national_store(request: HttpRequest) -> HttpResponse:
    citizen = _citizen(request)
    form = TakeForm(request.POST) if request.method == "POST" else None
    try:
        store = national.NationalStore.from_settings()
        found = _ask(store, citizen)
    except national.NationalStoreError as exc:
        problem, status = _problem(exc)
        if form is not None and not form.is_valid():
            status = 422  # the malformed choice is the person's to correct, whatever the store
        return _page(request, citizen, problem=problem, form=form, status=status)
    if form is None:
        return _page(request, citizen, rows=_rows(citizen, found))
    if form.is_valid():
        wanted = form.cleaned_data["tep"]
        chosen = next(((d, f) for d in found for f in d.files if f.url == wanted), None)
        if chosen is None:
            form.add_error(
                "tep",
                _(
                    "Giấy tờ được chọn không có trong danh sách Kho dữ liệu quốc gia trả về cho "
                    "Ông/Bà; hãy chọn lại từ danh sách dưới đây."
                ),
            )
        else:
            try:
                stored = national.enter(
                    citizen, chosen[0], chosen[1], store=store, actor=request.user, once=True
                )
            except national.AlreadyTaken:
                form.add_error(
                    "tep", _("Giấy tờ này đã có trong kho dữ liệu của Ông/Bà, không lấy lại.")
                )
                return _page(request, citizen, rows=_rows(citizen, found), form=form, status=409)
            except national.NationalStoreError as exc:
                problem, status = _problem(exc)
                return _page(
                    request, citizen, rows=_rows(citizen, found), problem=problem, status=status
                )
            except DatastoreError as exc:
                if exc.kind is not Kind.INVALID:
                    raise
                log.warning("national store file refused: %s", exc)
                form.add_error(
                    "tep",
                    _(
                        "Tệp nhận được từ Kho dữ liệu quốc gia không đúng định dạng giấy tờ được "
                        "chấp nhận nên chưa được đưa vào kho."
                    ),
                )
            else:
                messages.success(
                    request, _("Đã lấy giấy tờ từ Kho dữ liệu quốc gia vào kho của Ông/Bà.")
                )
                return redirect("datastore:detail", pk=stored.pk)
    return _page(request, citizen, rows=_rows(citizen, found), form=form, status=422)
