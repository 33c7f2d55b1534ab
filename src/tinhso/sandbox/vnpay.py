"""The gateway's side of VNPay 2.1.0, for the embedded sandbox (no I/O, no database).

Legal source: none of its own (a stand-in for the intermediary of Decree 45/2020/ND-CP
art. 9). It checks a payment request as VNPay's payment page would, builds the signed return
and IPN fields, and the signed answers of the merchant web API. The signing primitives are
tinhso.payments.vnpay's: the sandbox is there to exercise the ledger end to end, while the
signing itself is proven against hand-written vectors and an independent peer in the tests.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from tinhso.payments import vnpay
from tinhso.payments.gateways import BadSignature

REQUIRED = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
    "vnp_ExpireDate",
)
_DIGITS = re.compile(r"[0-9]+")


class InvalidRequest(Exception):
    """A payment request VNPay's page would refuse: `code` as VNPay numbers it."""

    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(code)


@dataclass(frozen=True)
class PayRequest:
    """A verified payment request (vnp_Command=pay)."""

    fields: dict[str, str]
    amount: int  # đồng
    created: datetime
    expires: datetime

    @property
    def txn_ref(self) -> str:
        return self.fields["vnp_TxnRef"]

    @property
    def return_url(self) -> str:
        return self.fields["vnp_ReturnUrl"]


def origin(url: str) -> str:
    """`scheme://host[:port]`, lower case, as browsers compare origins ("" if not http(s))."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def check_request(
    query: Mapping[str, str], *, tmn_code: str, secret: str, return_origins: Collection[str]
) -> PayRequest:
    """The request, once signed by our merchant and well formed, returning to one of
    `return_origins`; else InvalidRequest."""
    try:
        fields = vnpay.verify(query, secret=secret, tmn_code=tmn_code)
    except BadSignature:
        if query.get("vnp_SecureHash") and query.get("vnp_TmnCode") != tmn_code:
            raise InvalidRequest("02", _("Mã đơn vị chấp nhận thanh toán không đúng.")) from None
        raise InvalidRequest("97", _("Chữ ký của yêu cầu thanh toán không hợp lệ.")) from None
    missing = [name for name in REQUIRED if not fields.get(name)]
    if missing:
        raise InvalidRequest(
            "03", _("Yêu cầu thiếu trường: {names}.").format(names=", ".join(missing))
        )
    if fields["vnp_Version"] != vnpay.VERSION or fields["vnp_Command"] != "pay":
        raise InvalidRequest("03", _("Phiên bản hoặc lệnh không được hỗ trợ."))
    if fields["vnp_CurrCode"] != "VND":
        raise InvalidRequest("03", _("Chỉ nhận thanh toán bằng đồng Việt Nam (VND)."))
    amount = fields["vnp_Amount"]
    if not _DIGITS.fullmatch(amount) or int(amount) % 100 or int(amount) == 0:
        raise InvalidRequest("03", _("Số tiền không hợp lệ."))
    if urlsplit(fields["vnp_ReturnUrl"]).scheme not in {"http", "https"}:
        raise InvalidRequest("03", _("Địa chỉ trả về không hợp lệ."))
    # The demo secret is public, so anyone can sign a request: a return to another site would
    # make the sandbox an open redirect.
    if origin(fields["vnp_ReturnUrl"]) not in return_origins:
        raise InvalidRequest("03", _("Địa chỉ trả về không thuộc trang dịch vụ công này."))
    try:
        created = vnpay.parse_time(fields["vnp_CreateDate"])
        expires = vnpay.parse_time(fields["vnp_ExpireDate"])
    except ValueError:
        raise InvalidRequest("03", _("Thời gian tạo hoặc hết hạn không hợp lệ.")) from None
    return PayRequest(fields=fields, amount=int(amount) // 100, created=created, expires=expires)


def result_fields(
    *,
    tmn_code: str,
    txn_ref: str,
    amount: int,
    order_info: str,
    response_code: str,
    transaction_status: str,
    transaction_no: str,
    pay_date: datetime,
    secret: str,
) -> dict[str, str]:
    """The signed fields of a return and of the IPN (VNPay sends the same to both)."""
    paid = response_code == "00"
    fields = {
        "vnp_Amount": str(amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": f"VNP{transaction_no}" if paid else "",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": order_info,
        "vnp_PayDate": vnpay.format_time(pay_date),
        "vnp_ResponseCode": response_code,
        "vnp_TmnCode": tmn_code,
        "vnp_TransactionNo": transaction_no,
        "vnp_TransactionStatus": transaction_status,
        "vnp_TxnRef": txn_ref,
    }
    fields = {name: value for name, value in fields.items() if value}
    fields["vnp_SecureHash"] = vnpay.sign(fields, secret)
    return fields


def signed_answer(answer: dict[str, str], order: list[str], secret: str) -> dict[str, str]:
    answer["vnp_SecureHash"] = vnpay.sign_pipe(answer, order, secret)
    return answer


def as_query(fields: Mapping[str, str]) -> str:
    """Signed fields as the query string of a redirect or an IPN call."""
    return "&".join(f"{vnpay.encode(name)}={vnpay.encode(value)}" for name, value in fields.items())
