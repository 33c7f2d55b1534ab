"""VNPay payment gateway, protocol version 2.1.0 (cổng thanh toán VNPAY).

Legal source: Decree 45/2020/ND-CP art. 9 (fees paid online through an intermediary). The
protocol is VNPay's own published integration text (sandbox.vnpayment.vn/apis/docs:
"thanh-toan-pay/pay.html" and "truy-van-hoan-tien/querydr&refund.html"), summarised with
what is confirmed and what is not in docs/payments.md.

Three parts: the signing primitives (pure, also used by the embedded sandbox, which speaks
the protocol on the gateway's side), the readers of the gateway's messages, and
`VNPayGateway`, the adapter behind `gateways.Gateway`. The merchant web API is called with an
explicit timeout and never inside a database transaction (the caller's rule).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone as dj_timezone

from tinhso.payments.gateways import (
    BadSignature,
    GatewayError,
    GatewayRefused,
    GatewayUnavailable,
    Outcome,
    RefundOutcome,
    RefundStatus,
    Status,
    post_json,
)

VERSION = "2.1.0"
GMT7 = timezone(timedelta(hours=7), "GMT+7")
TIME_FORMAT = "%Y%m%d%H%M%S"
HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")  # never part of what is signed

# Pipe-joined signatures of the merchant web API, in the published order. The QueryDR answer's
# order is published; the refund answer's is the same without the promotion fields
# (docs/payments.md says which parts are confirmed).
QUERY_REQUEST_HASH = [
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
]
QUERY_ANSWER_HASH = [
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
]
REFUND_REQUEST_HASH = [
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
]
REFUND_ANSWER_HASH = QUERY_ANSWER_HASH[:13]

# Answer codes of the merchant web API that say our request was wrong (merchant, format,
# checksum): nothing is known about the transaction, and asking again will not help.
API_REQUEST_REFUSED = {"02", "03", "97"}
API_NOT_FOUND = "91"
API_TRY_LATER = {"94", "99"}  # a duplicate request within the interval; "other error"

_ORDER_INFO_KEEP = re.compile(r"[^A-Za-z0-9 .:_\-]+")
_SPACES = re.compile(r" {2,}")


# --- Signing ------------------------------------------------------------------------------


def encode(value: str) -> str:
    """Form-encode one name or value as VNPay's own samples do (PHP `urlencode`).

    Space becomes "+" and every byte but letters, digits and "-_." is percent-encoded.
    Python's `quote_plus` also leaves "~" alone, where PHP and Java encode it: a return URL
    holding "~" would otherwise be signed differently by the two sides.
    """
    return quote_plus(value, safe="", encoding="utf-8").replace("~", "%7E")


def signing_data(fields: Mapping[str, str]) -> str:
    """The string that is signed: non-empty `vnp_*` fields but the hash, sorted, encoded."""
    items = sorted(
        (name, value)
        for name, value in fields.items()
        if name.startswith("vnp_") and name not in HASH_FIELDS and value not in ("", None)
    )
    return "&".join(f"{encode(name)}={encode(str(value))}" for name, value in items)


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def sign(fields: Mapping[str, str], secret: str) -> str:
    """The `vnp_SecureHash` of a payment request, a return or an IPN."""
    return hmac_sha512(secret, signing_data(fields))


def sign_pipe(fields: Mapping[str, Any], order: list[str], secret: str) -> str:
    """The hash of a merchant web API message: the named fields joined by "|" ("" if absent)."""
    return hmac_sha512(secret, "|".join(_text(fields.get(name)) for name in order))


def same_hash(expected: str, received: str) -> bool:
    """Constant-time comparison; VNPay's hex may come in either case."""
    return hmac.compare_digest(expected.encode("ascii"), received.strip().lower().encode("utf-8"))


def signed_query(fields: Mapping[str, str], secret: str) -> str:
    """`fields` as a query string followed by their `vnp_SecureHash`."""
    return f"{signing_data(fields)}&vnp_SecureHash={sign(fields, secret)}"


def verify(fields: Mapping[str, str], *, secret: str, tmn_code: str) -> dict[str, str]:
    """The `vnp_*` fields of a signed message, once its hash and merchant are checked.

    Raises BadSignature on a missing or wrong hash, or on another merchant's message (a
    correctly signed message for another merchant code cannot be about our orders).
    """
    received = fields.get("vnp_SecureHash") or ""
    if not received:
        raise BadSignature("vnp_SecureHash is missing")
    if not same_hash(sign(fields, secret), received):
        raise BadSignature("vnp_SecureHash does not match")
    if fields.get("vnp_TmnCode", "") != tmn_code:
        raise BadSignature(f"vnp_TmnCode {fields.get('vnp_TmnCode', '')!r} is not ours")
    return {name: str(value) for name, value in fields.items() if name.startswith("vnp_")}


# --- Field formats ------------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in GMT+7, whatever the server's zone."""
    if moment.tzinfo is None:
        raise ValueError("VNPay times are built from aware datetimes")
    return moment.astimezone(GMT7).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """An aware datetime from VNPay's `yyyyMMddHHmmss` (GMT+7)."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=GMT7)


def clean_order_info(text: str) -> str:
    """`vnp_OrderInfo` as VNPay accepts it: no diacritics ("đ" → "d"), only letters, digits,
    space and `.:_-` (other characters are signed differently by different encoders)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    kept = _ORDER_INFO_KEEP.sub(" ", bare)
    return _SPACES.sub(" ", kept).strip()[:255]


def to_amount(vnp_amount: str) -> int:
    """Đồng from VNPay's amount (× 100)."""
    if not (vnp_amount.isascii() and vnp_amount.isdecimal()) or int(vnp_amount) % 100:
        raise GatewayError(f"vnp_Amount {vnp_amount!r} is not a whole number of đồng × 100")
    return int(vnp_amount) // 100


def status_of(response_code: str, transaction_status: str) -> Status:
    """The ledger's status for a pair of VNPay codes.

    "00/00" is paid; "24" the citizen cancelled; "01" (not completed) is pending. "07" means
    the account was debited and the transaction is held as suspicious: the money may have
    moved, so it stays pending for the query to settle rather than being called failed.
    Everything else (11 expired, 51 insufficient balance, 65 limit, ...) failed.
    """
    if response_code == "00" and transaction_status == "00":
        return "paid"
    if response_code == "24":
        return "cancelled"
    if response_code == "07" or transaction_status in {"01", "07"}:
        return "pending"
    return "failed"


def query_status(transaction_status: str) -> Status:
    """The ledger's status for the transaction status a QueryDR answer reports.

    "00" paid; "01" not completed and "07" held as suspicious are pending; "05"/"06" (a
    refund in progress) and "09" (a refund refused) are about a payment that did happen;
    "02" error and "04" reversed failed.
    """
    if transaction_status in {"00", "05", "06", "09"}:
        return "paid"
    if transaction_status in {"01", "07"}:
        return "pending"
    return "failed"


REFUND_TYPES = {"02", "03"}  # vnp_TransactionType of a full and a partial refund


def refund_state(fields: Mapping[str, str]) -> RefundStatus | None:
    """Where a refund of this transaction stands, from a verified QueryDR answer's fields, or
    None when the answer says nothing about a refund.

    "05" and "06" (a refund in progress: being processed, sent to the bank) are submitted and
    "09" (a refund refused) rejected, whatever the type **[C]**; "00" with the type of a
    refund ("02" full, "03" partial) is refunded **[U]**: VNPay's text lists the types and the
    statuses but not, in so many words, what the query says once a refund is done. Anything
    else (the payment itself, "00" with type "01") says nothing: the refund stays as it is."""
    status = fields.get("vnp_TransactionStatus", "")
    if status in {"05", "06"}:
        return "submitted"
    if status == "09":
        return "rejected"
    if status == "00" and fields.get("vnp_TransactionType", "") in REFUND_TYPES:
        return "refunded"
    return None


def outcome_of(fields: Mapping[str, str], *, status: Status, gateway_code: str) -> Outcome:
    """An Outcome from verified fields (a return, an IPN or a QueryDR answer)."""
    pay_date = fields.get("vnp_PayDate", "")
    try:
        paid_at = parse_time(pay_date) if status == "paid" and pay_date else None
    except ValueError:
        raise GatewayError(f"vnp_PayDate {pay_date!r} is not yyyyMMddHHmmss") from None
    transaction_no = fields.get("vnp_TransactionNo", "")
    return Outcome(
        txn_ref=fields.get("vnp_TxnRef", ""),
        amount=to_amount(fields.get("vnp_Amount", "")),
        status=status,
        gateway_code=gateway_code,
        transaction_no="" if transaction_no in ("", "0") else transaction_no,
        paid_at=paid_at,
        raw={name: _text(value) for name, value in fields.items()},
        gateway="vnpay",
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- The adapter --------------------------------------------------------------------------


def _now() -> datetime:
    return dj_timezone.now()


@dataclass
class VNPayGateway:
    """The `Gateway` for one VNPay merchant (terminal)."""

    tmn_code: str
    hash_secret: str
    pay_url: str
    api_url: str
    timeout: float
    order_type: str = "other"
    locale: str = "vn"
    name: str = "vnpay"

    def __repr__(self) -> str:  # the secret never reaches a log or a traceback
        return f"VNPayGateway(tmn_code={self.tmn_code!r}, pay_url={self.pay_url!r})"

    @classmethod
    def from_settings(cls) -> VNPayGateway:
        values = {
            "TINHSO_VNPAY_TMN_CODE": settings.VNPAY_TMN_CODE,
            "TINHSO_VNPAY_HASH_SECRET": settings.VNPAY_HASH_SECRET,
            "TINHSO_VNPAY_URL": settings.VNPAY_URL,
            "TINHSO_VNPAY_API_URL": settings.VNPAY_API_URL,
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ImproperlyConfigured(f"VNPay is not configured: set {', '.join(missing)}")
        return cls(
            tmn_code=settings.VNPAY_TMN_CODE,
            hash_secret=settings.VNPAY_HASH_SECRET,
            pay_url=settings.VNPAY_URL,
            api_url=settings.VNPAY_API_URL,
            timeout=settings.PAYMENTS_GATEWAY_TIMEOUT,
        )

    # The citizen's browser -----------------------------------------------------------

    def payment_fields(
        self,
        *,
        txn_ref: str,
        amount: int,
        order_info: str,
        return_url: str,
        client_ip: str,
        created_at: datetime,
        expires_at: datetime,
        bank_code: str = "",
    ) -> dict[str, str]:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError(f"amount must be a positive number of đồng, not {amount!r}")
        if not txn_ref:
            raise ValueError("txn_ref is required")
        fields = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": txn_ref,
            "vnp_OrderInfo": clean_order_info(order_info),
            "vnp_OrderType": self.order_type,
            "vnp_Locale": self.locale,
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip,
            "vnp_CreateDate": format_time(created_at),
            "vnp_ExpireDate": format_time(expires_at),
        }
        if bank_code:
            fields["vnp_BankCode"] = bank_code
        return fields

    def start(
        self,
        *,
        txn_ref: str,
        amount: int,
        order_info: str,
        return_url: str,
        client_ip: str,
        created_at: datetime,
        expires_at: datetime,
    ) -> str:
        fields = self.payment_fields(
            txn_ref=txn_ref,
            amount=amount,
            order_info=order_info,
            return_url=return_url,
            client_ip=client_ip,
            created_at=created_at,
            expires_at=expires_at,
        )
        separator = "&" if "?" in self.pay_url else "?"
        return f"{self.pay_url}{separator}{signed_query(fields, self.hash_secret)}"

    def read_callback(self, query: Mapping[str, str]) -> Outcome:
        fields = verify(query, secret=self.hash_secret, tmn_code=self.tmn_code)
        code = fields.get("vnp_ResponseCode", "")
        transaction_status = fields.get("vnp_TransactionStatus", "")
        return outcome_of(
            fields,
            status=status_of(code, transaction_status),
            gateway_code=f"{code}/{transaction_status}",
        )

    # The merchant web API ------------------------------------------------------------

    def query(self, *, txn_ref: str, created_at: datetime, client_ip: str) -> Outcome:
        request = {
            "vnp_RequestId": _request_id(),
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": txn_ref,
            "vnp_OrderInfo": clean_order_info(f"Truy van giao dich {txn_ref}"),
            "vnp_TransactionDate": format_time(created_at),
            "vnp_CreateDate": format_time(_now()),
            "vnp_IpAddr": client_ip,
        }
        request["vnp_SecureHash"] = sign_pipe(request, QUERY_REQUEST_HASH, self.hash_secret)
        answer = self._post(request, QUERY_ANSWER_HASH)
        code = answer.get("vnp_ResponseCode", "")
        if code == API_NOT_FOUND:
            return Outcome(
                txn_ref=txn_ref,
                amount=0,
                status="unknown",
                gateway_code=code,
                transaction_no="",
                paid_at=None,
                raw=answer,
                gateway="vnpay",
            )
        self._raise_for_code(code, answer)
        if answer.get("vnp_TxnRef", "") != txn_ref:
            raise BadSignature(f"the answer is about {answer.get('vnp_TxnRef')!r}, not {txn_ref!r}")
        # The answer's response code says the query worked; the transaction's state is its
        # status.
        transaction_status = answer.get("vnp_TransactionStatus", "")
        return outcome_of(
            answer,
            status=query_status(transaction_status),
            gateway_code=f"{code}/{transaction_status}",
        )

    def refund(
        self,
        *,
        txn_ref: str,
        amount: int,
        created_at: datetime,
        transaction_no: str,
        requested_by: str,
        client_ip: str,
        full: bool,
    ) -> RefundOutcome:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError(f"amount must be a positive number of đồng, not {amount!r}")
        request = {
            "vnp_RequestId": _request_id(),
            "vnp_Version": VERSION,
            "vnp_Command": "refund",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionType": "02" if full else "03",
            "vnp_TxnRef": txn_ref,
            "vnp_Amount": str(amount * 100),
            "vnp_TransactionNo": transaction_no or "0",
            "vnp_TransactionDate": format_time(created_at),
            "vnp_CreateBy": requested_by,
            "vnp_CreateDate": format_time(_now()),
            "vnp_IpAddr": client_ip,
            "vnp_OrderInfo": clean_order_info(f"Hoan tien giao dich {txn_ref}"),
        }
        request["vnp_SecureHash"] = sign_pipe(request, REFUND_REQUEST_HASH, self.hash_secret)
        answer = self._post(request, REFUND_ANSWER_HASH)
        code = answer.get("vnp_ResponseCode", "")
        if code in API_REQUEST_REFUSED or code == "99":
            self._raise_for_code(code, answer)
        if code != "00":  # 91 not found, 94 a refund in progress, 95 not paid, ...
            return RefundOutcome(status="rejected", gateway_code=code, raw=answer)
        transaction_status = answer.get("vnp_TransactionStatus", "")
        status: RefundStatus = "refunded" if transaction_status == "00" else "submitted"
        return RefundOutcome(status=status, gateway_code=f"{code}/{transaction_status}", raw=answer)

    def _raise_for_code(self, code: str, answer: dict[str, str]) -> None:
        if code == "00":
            return
        if code in API_TRY_LATER:
            raise GatewayUnavailable(f"VNPay answered {code}: ask again later")
        raise GatewayRefused(code, answer)

    def _post(self, request: dict[str, str], answer_order: list[str]) -> dict[str, str]:
        """POST one merchant web API message; the answer's fields once its hash is checked."""
        body = post_json(
            self.api_url, json.dumps(request).encode("ascii"), who="VNPay", timeout=self.timeout
        )
        answer = {str(name): _text(value) for name, value in body.items()}
        received = answer.get("vnp_SecureHash", "")
        if not received:
            raise BadSignature("the answer has no vnp_SecureHash")
        if not same_hash(sign_pipe(answer, answer_order, self.hash_secret), received):
            raise BadSignature("the answer's vnp_SecureHash does not match")
        if answer.get("vnp_TmnCode", "") != self.tmn_code:
            raise BadSignature("the answer is for another merchant")
        return answer


def _request_id() -> str:
    """`vnp_RequestId`: unique within the day (32 hex characters)."""
    return uuid.uuid4().hex
