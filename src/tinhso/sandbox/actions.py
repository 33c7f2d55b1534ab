"""What the embedded VNPay sandbox changes: a tester's choice, the merchant's IPN answer, a
refund. Each audited in its own transaction; the IPN is called between two of them, never
inside one.

Legal source: none of its own (a stand-in for the intermediary of Decree 45/2020/ND-CP art. 9).
"""

from __future__ import annotations

import logging
from datetime import datetime

import requests
from django.conf import settings
from django.db import IntegrityError, transaction

from tinhso.core import audit
from tinhso.sandbox import vnpay as side
from tinhso.sandbox.models import BankTransaction

log = logging.getLogger(__name__)

IPN_PATH = "/payments/vnpay/ipn"
FIRST_TRANSACTION_NO = 14_000_000  # VNPay's numbers are 8 digits


def record_choice(
    pay: side.PayRequest, status: BankTransaction.Status, *, at: datetime
) -> BankTransaction | None:
    """Record the tester's choice on a payment request; None if it was already decided."""
    try:
        with transaction.atomic():
            txn = BankTransaction.objects.create(
                tmn_code=pay.fields["vnp_TmnCode"],
                txn_ref=pay.txn_ref,
                amount=pay.amount,
                order_info=pay.fields["vnp_OrderInfo"],
                status=status,
                transaction_no="",
                pay_date=at,
                create_date=pay.fields["vnp_CreateDate"],
            )
            txn.transaction_no = str(FIRST_TRANSACTION_NO + txn.pk)
            txn.save(update_fields=["transaction_no"])
            audit.record(
                "sandbox.vnpay.decide",
                txn,
                changes={"txn_ref": txn.txn_ref, "amount": txn.amount, "status": txn.status},
            )
    except IntegrityError:
        return None  # a second click, a reload or the back button: the first choice stands
    return txn


def result_fields(txn: BankTransaction) -> dict[str, str]:
    """The signed return and IPN fields for a recorded transaction."""
    cancelled = txn.status == BankTransaction.Status.CANCELLED
    return side.result_fields(
        tmn_code=txn.tmn_code,
        txn_ref=txn.txn_ref,
        amount=txn.amount,
        order_info=txn.order_info,
        response_code=txn.response_code,
        transaction_status=txn.transaction_status,
        # VNPay sends 0 when the customer cancelled before any transaction was made.
        transaction_no="0" if cancelled else txn.transaction_no,
        pay_date=txn.pay_date,
        secret=settings.VNPAY_HASH_SECRET,
    )


def deliver_ipn(txn: BankTransaction, fields: dict[str, str]) -> str:
    """Call the merchant's IPN as the gateway does (GET, signed query) and keep its answer.

    Called outside any transaction: the merchant is this same site, whose IPN handler opens
    its own. The answer, or why there was none, is logged and stored for the tester.
    """
    url = f"{settings.SITE_URL.rstrip('/')}{IPN_PATH}?{side.as_query(fields)}"
    try:
        response = requests.get(url, timeout=settings.PAYMENTS_GATEWAY_TIMEOUT)
        try:
            body = response.json()
            answer = f"{body.get('RspCode', '?')} {body.get('Message', '')}".strip()
        except (ValueError, AttributeError):
            answer = f"HTTP {response.status_code}: {response.text[:200]}"
    except requests.RequestException as exc:
        answer = f"{type(exc).__name__}: {exc}"[:300]
    log.info("sandbox IPN for %s answered %s", txn.txn_ref, answer)
    with transaction.atomic():
        BankTransaction.objects.filter(pk=txn.pk).update(ipn_answer=answer)
        audit.record("sandbox.vnpay.ipn", txn, changes={"answer": answer})
    txn.ipn_answer = answer
    return answer


def refund(txn_pk: int, amount: int, *, full: bool) -> tuple[str, BankTransaction]:
    """Refund `amount` of a paid transaction: VNPay's answer code and the transaction.

    "95" the transaction was not paid, "93" the amount is not refundable (more than what is
    left, or a full refund of another amount; a code VNPay's refund table is reported to
    use, unconfirmed), "00" refunded (the sandbox settles at once).
    """
    with transaction.atomic():
        txn = BankTransaction.objects.select_for_update().get(pk=txn_pk)
        if txn.status != BankTransaction.Status.PAID:
            return "95", txn
        left = txn.amount - txn.refunded_amount
        if amount <= 0 or amount > left or (full and amount != left):
            return "93", txn
        txn.refunded_amount += amount
        txn.save(update_fields=["refunded_amount"])
        audit.record(
            "sandbox.vnpay.refund",
            txn,
            changes={"amount": amount, "refunded_amount": txn.refunded_amount, "full": full},
        )
    return "00", txn
