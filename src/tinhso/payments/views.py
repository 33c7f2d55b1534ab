"""The gateways' doors into tinhso: VNPay's IPN and PayGov's CONFIRM (server to server), and
the citizen's return.

Legal source: Decree 45/2020/NĐ-CP art. 9 (fees paid online). Protocol: VNPay 2.1.0, as
published (docs/payments.md): the IPN verifies the signature first, finds the order, checks
the amount, applies once and answers `{"RspCode", "Message"}`; after `00` or `02` the
gateway stops calling, after anything else it calls again (up to 10 times, 5 minutes apart).

A call whose signature fails leaves no trace (an attacker could otherwise poison the record a
genuine call is compared with). The return page never marks anything paid: it shows where
things stand and, when the browser says paid before the IPN came, asks the gateway itself
(QueryDR, outside any transaction, at most once a minute per attempt however often the page
is reloaded) and applies that verified answer. A reload of the same signed URL is kept as one
event.

PayGov's CONFIRM (`paygov_confirm`, JSON POST) has the IPN's shape: checksum first (nothing
recorded when it fails), then `apply_outcome`, answered as `paygov.CONFIRM_ANSWERS` says.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tinhso.payments import actions, gateways, paygov, queries, receipts
from tinhso.payments.actions import Result
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Attempt, Event, Refund

log = logging.getLogger("tinhso.payments")

IPN_ANSWERS: dict[Result, tuple[str, str]] = {
    Result.APPLIED: ("00", "Confirm Success"),
    Result.REFUND_CASE: ("00", "Confirm Success"),  # recorded, as a refund case
    Result.ALREADY: ("02", "Order already confirmed"),
    Result.NOT_FOUND: ("01", "Order not found"),
    Result.WRONG_AMOUNT: ("04", "Invalid amount"),
    Result.UNCHANGED: ("99", "Unknown error"),
}
CAUSES_SHOWN = (
    Refund.Cause.AMOUNT_MISMATCH,
    Refund.Cause.LATE_PAYMENT,
    Refund.Cause.DUPLICATE,
)
BAD_SIGNATURE = ("97", "Invalid signature")
UNKNOWN = ("99", "Unknown error")


def _answer(pair: tuple[str, str]) -> JsonResponse:
    return JsonResponse({"RspCode": pair[0], "Message": pair[1]})


@csrf_exempt
@require_GET
def vnpay_ipn(request: HttpRequest) -> HttpResponse:
    query = {key: request.GET.get(key, "") for key in request.GET}
    try:
        outcome = gateways.gateway("vnpay").read_callback(query)
    except gateways.BadSignature:
        return _answer(BAD_SIGNATURE)
    except Exception:  # the gateway calls again after 99; the log says why
        log.exception("VNPay IPN could not be read")
        return _answer(UNKNOWN)
    try:
        applied = actions.apply_outcome(outcome, Event.Kind.CALLBACK)
    except Exception:
        log.exception("VNPay IPN for %s could not be applied", outcome.txn_ref)
        return _answer(UNKNOWN)
    return _answer(IPN_ANSWERS[applied.result])


# What each result of `apply_outcome` is answered with, by name (paygov.CONFIRM_ANSWERS).
CONFIRM_RESULTS: dict[Result, str] = {
    Result.APPLIED: "confirmed",
    Result.REFUND_CASE: "confirmed",  # recorded, as a refund case
    Result.ALREADY: "already",
    Result.NOT_FOUND: "not_found",
    Result.WRONG_AMOUNT: "wrong_amount",  # recorded, as a refund case
    Result.UNCHANGED: "error",
}


def _confirm_answer(what: str) -> JsonResponse:
    return JsonResponse(paygov.confirm_answer(what), json_dumps_params={"ensure_ascii": False})


def _json_object(request: HttpRequest) -> dict[str, Any] | None:
    """The POSTed JSON object, or None (not UTF-8, not JSON, not an object, or a form body the
    edge has already read as a form, so its raw bytes are gone: the platform sends JSON only)."""
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RawPostDataException):
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_POST
def paygov_confirm(request: HttpRequest) -> HttpResponse:
    message = _json_object(request)
    if message is None:  # nothing in it can be verified
        return _confirm_answer("bad_checksum")
    try:
        outcome = paygov.PayGovGateway.from_settings().read_confirm(message)
    except gateways.BadSignature:
        return _confirm_answer("bad_checksum")
    except Exception:  # not configured, an unreadable amount or time: the platform calls again
        log.exception("PayGov CONFIRM could not be read")
        return _confirm_answer("error")
    try:
        applied = actions.apply_outcome(outcome, Event.Kind.CALLBACK)
    except Exception:
        log.exception("PayGov CONFIRM for %s could not be applied", outcome.txn_ref)
        return _confirm_answer("error")
    return _confirm_answer(CONFIRM_RESULTS[applied.result])


@require_GET
def vnpay_return(request: HttpRequest) -> HttpResponse:
    query = {key: request.GET.get(key, "") for key in request.GET}
    try:
        outcome = gateways.gateway("vnpay").read_callback(query)
    except gateways.BadSignature:
        return render(request, "payments/return.html", {"forged": True}, status=400)
    except gateways.GatewayError:
        log.exception("VNPay return could not be read")
        return render(request, "payments/return.html", {"unreadable": True}, status=400)
    attempt = actions.record_return(outcome, signature=query.get("vnp_SecureHash", ""))
    checked = False
    if (
        attempt is not None
        and attempt.state in (Attempt.State.CREATED, Attempt.State.PENDING)
        and outcome.status == "paid"
        and actions.claim_return_query(attempt)
    ):
        # The browser's word is not enough: ask the gateway (outside any transaction).
        try:
            checked = actions.confirm_by_query(attempt) is not None
        except (gateways.GatewayError, PaymentError):
            # The page shows where things stand; the IPN and the periodic query settle it.
            log.exception("VNPay return for %s could not be confirmed", attempt.txn_ref)
        attempt.refresh_from_db()
    context = {
        "attempt": attempt,
        "charge": attempt.charge if attempt else None,
        "dossier": attempt.charge.dossier if attempt else None,
        "browser_status": outcome.status,
        "checked": checked,
        # The case the gateway's own report opened (a person's refund of a paid attempt is
        # not news for this page): it says why the money came back and whether it is due.
        "refund_case": attempt.refunds.filter(cause__in=CAUSES_SHOWN).order_by("pk").first()
        if attempt
        else None,
    }
    return render(request, "payments/return.html", context, status=200 if attempt else 404)


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """Biên lai điện tử as a PDF, for the dossier's owner or an official who sees it."""
    found = queries.access_receipt(request.user, pk)
    response = HttpResponse(receipts.render_pdf(found), content_type="application/pdf")
    name = f"bien-lai-{found.series}-{found.year}-{found.number:07d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
