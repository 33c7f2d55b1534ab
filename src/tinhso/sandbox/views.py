"""The embedded VNPay sandbox's pages and merchant web API (served only outside production,
and only while the ledger's VNPay settings are the sandbox's own: its address, the demo secret).

Legal source: none of its own (a stand-in for the intermediary of Decree 45/2020/ND-CP art. 9).
The pay page is the gateway's payment page as the citizen sees it; the API answers QueryDR
and refund as `merchant_webapi/api/transaction` does, server to server, hence without CSRF.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.http.request import RawPostDataException, validate_host
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.payments import vnpay
from tinhso.sandbox import actions
from tinhso.sandbox import vnpay as side
from tinhso.sandbox.models import BankTransaction

CHOICES = {
    "approve": BankTransaction.Status.PAID,
    "cancel": BankTransaction.Status.CANCELLED,
    "fail": BankTransaction.Status.FAILED,
    "expire": BankTransaction.Status.EXPIRED,
}


def _only_as_the_configured_gateway(request: HttpRequest) -> None:
    """404 unless the sandbox is on and the ledger's VNPay settings are the sandbox's own.

    The URLs are not mounted in production; this holds even if someone mounts them, and also
    on an embedded-mode site configured with a real merchant: there the sandbox, signing with
    that merchant's secret, could otherwise tell the site's IPN that a charge was paid."""
    if not settings.SANDBOX or not _configured_here(request):
        raise Http404


def _configured_here(request: HttpRequest) -> bool:
    secret = settings.VNPAY_HASH_SECRET
    if not secret or secret != settings.VNPAY_DEMO_HASH_SECRET:
        return False
    target = urlsplit(settings.VNPAY_URL)
    if target.path != reverse("sandbox:vnpay-pay"):
        return False
    return side.origin(settings.VNPAY_URL) in _own_origins(request) or validate_host(
        (target.hostname or "").lower(), settings.ALLOWED_HOSTS
    )


def _own_origins(request: HttpRequest) -> set[str]:
    """This site's origins: the configured one, and the one this page was asked at (a host
    Django already checked against ALLOWED_HOSTS)."""
    return {
        side.origin(settings.SITE_URL),
        side.origin(f"{request.scheme}://{request.get_host()}/"),
    } - {""}


def vnd(amount: int) -> str:
    """150000 → "150.000 đ", as Vietnamese write amounts."""
    return f"{amount:,}".replace(",", ".") + " đ"


def _refused(request: HttpRequest, error: side.InvalidRequest) -> HttpResponse:
    return render(
        request,
        "sandbox/refused.html",
        {"code": error.code, "message": error.message},
        status=400,
    )


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """GET: the payment page for a signed request. POST: the tester's choice."""
    _only_as_the_configured_gateway(request)
    query = request.GET if request.method == "GET" else _posted_query(request)
    try:
        order = side.check_request(
            query,
            tmn_code=settings.VNPAY_TMN_CODE,
            secret=settings.VNPAY_HASH_SECRET,
            return_origins=_own_origins(request),
        )
    except side.InvalidRequest as error:
        return _refused(request, error)
    now = timezone.now()
    expired = now > order.expires
    if request.method == "GET":
        return render(
            request,
            "sandbox/pay.html",
            {
                "order": order,
                "merchant": order.fields["vnp_TmnCode"],
                "amount": vnd(order.amount),
                "expired": expired,
                "request_query": request.GET.urlencode(),
            },
        )
    choice = CHOICES.get(request.POST.get("choice", ""))
    if choice is None:
        return _refused(request, side.InvalidRequest("03", _("Lựa chọn không hợp lệ.")))
    if expired:  # whatever was clicked, a request past vnp_ExpireDate is answered 11
        choice = BankTransaction.Status.EXPIRED
    txn = actions.record_choice(order, choice, at=now)
    if txn is None:
        return render(request, "sandbox/decided.html", {"order": order}, status=409)
    fields = actions.result_fields(txn)
    if request.POST.get("no_ipn"):
        messages.info(request, NOT_TOLD)
    else:
        answer = actions.deliver_ipn(txn, fields)
        # Said as the citizen understands it, on the (Vietnamese) return page: not the
        # protocol's code and English message (the testers' list, `transactions`, keeps them).
        messages.info(request, TOLD.get(answer.split(" ", 1)[0], TOLD_NOT_RECORDED))
    separator = "&" if "?" in order.return_url else "?"
    return HttpResponseRedirect(f"{order.return_url}{separator}{side.as_query(fields)}")


# What the return page says, after the choice, about the sandbox telling the site (the IPN).
TOLD = {
    "00": gettext_lazy(
        "Cổng thanh toán thử nghiệm đã báo kết quả giao dịch cho hệ thống, và hệ thống đã ghi nhận."
    ),
    "02": gettext_lazy(
        "Cổng thanh toán thử nghiệm đã báo kết quả giao dịch cho hệ thống; hệ thống đã ghi nhận "
        "kết quả này từ trước."
    ),
}
TOLD_NOT_RECORDED = gettext_lazy(
    "Cổng thanh toán thử nghiệm đã báo kết quả giao dịch nhưng hệ thống chưa ghi nhận được; "
    "hệ thống sẽ tự hỏi lại cổng thanh toán."
)
NOT_TOLD = gettext_lazy(
    "Cổng thanh toán thử nghiệm chưa báo kết quả giao dịch cho hệ thống (theo lựa chọn khi thử "
    "nghiệm); hệ thống tự hỏi lại cổng thanh toán."
)


def _posted_query(request: HttpRequest) -> QueryDict:
    # The form carries the signed request as received: its signature is checked again.
    return QueryDict(request.POST.get("request", ""))


@require_GET
def transactions(request: HttpRequest) -> HttpResponse:
    """The sandbox's recent transactions with the merchant's IPN answers, for testers."""
    _only_as_the_configured_gateway(request)
    rows = [{"txn": txn, "amount": vnd(txn.amount)} for txn in BankTransaction.objects.all()[:50]]
    return render(request, "sandbox/transactions.html", {"rows": rows})


@csrf_exempt  # server to server: the merchant signs every message instead
@require_POST
def api(request: HttpRequest) -> JsonResponse:
    """QueryDR and refund for the transactions this sandbox recorded."""
    _only_as_the_configured_gateway(request)
    secret = settings.VNPAY_HASH_SECRET
    try:
        # A form body has been read as a form by then (the edge checks every field), and the
        # raw body is gone: the gateway's API takes JSON only, so that is a format error.
        message = json.loads(request.body)
        if not isinstance(message, dict):
            raise ValueError
        message = {str(k): "" if v is None else str(v) for k, v in message.items()}
    except (ValueError, UnicodeDecodeError, RawPostDataException):
        message = {}
    command = message.get("vnp_Command", "")
    if command == "refund":
        order_in, order_out = vnpay.REFUND_REQUEST_HASH, vnpay.REFUND_ANSWER_HASH
    else:
        order_in, order_out = vnpay.QUERY_REQUEST_HASH, vnpay.QUERY_ANSWER_HASH
    answer = {
        "vnp_ResponseId": uuid.uuid4().hex,
        "vnp_Command": command,
        "vnp_TmnCode": message.get("vnp_TmnCode", ""),
        "vnp_TxnRef": message.get("vnp_TxnRef", ""),
        "vnp_OrderInfo": message.get("vnp_OrderInfo", ""),
    }
    received = message.get("vnp_SecureHash", "")
    if command not in {"querydr", "refund"}:
        answer.update(vnp_ResponseCode="03", vnp_Message="Invalid request format")
    elif not received or not vnpay.same_hash(vnpay.sign_pipe(message, order_in, secret), received):
        answer.update(vnp_ResponseCode="97", vnp_Message="Invalid Checksum")
    elif message.get("vnp_TmnCode") != settings.VNPAY_TMN_CODE:
        answer.update(vnp_ResponseCode="02", vnp_Message="Invalid TmnCode")
    else:
        answer.update(_answer(command, message))
    return JsonResponse(side.signed_answer(answer, order_out, secret))


def _answer(command: str, message: dict[str, str]) -> dict[str, str]:
    txn = BankTransaction.objects.filter(
        tmn_code=message["vnp_TmnCode"],
        txn_ref=message.get("vnp_TxnRef", ""),
        create_date=message.get("vnp_TransactionDate", ""),
    ).first()
    if txn is None:
        return {"vnp_ResponseCode": "91", "vnp_Message": "Transaction not found"}
    if command == "refund":
        amount = message.get("vnp_Amount", "")
        if not (amount.isascii() and amount.isdecimal()) or int(amount) % 100:
            return {"vnp_ResponseCode": "03", "vnp_Message": "Invalid amount"}
        full = message.get("vnp_TransactionType") == "02"
        code, txn = actions.refund(txn.pk, int(amount) // 100, full=full)
        if code != "00":
            return {"vnp_ResponseCode": code, "vnp_Message": "Refund refused"}
        return {
            **_transaction_fields(txn),
            "vnp_ResponseCode": "00",
            "vnp_Message": "Refund success",
            "vnp_Amount": amount,
            "vnp_TransactionType": "02" if full else "03",
            "vnp_TransactionStatus": "00",
        }
    return {
        **_transaction_fields(txn),
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": txn.transaction_status,
    }


def _transaction_fields(txn: BankTransaction) -> dict[str, str]:
    return {
        "vnp_Amount": str(txn.amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_PayDate": vnpay.format_time(txn.pay_date),
        "vnp_TransactionNo": txn.transaction_no,
    }
