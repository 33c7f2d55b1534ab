"""What the ledger's tests share: a dossier that owes fees, a fake gateway speaking the
`gateways.Gateway` interface, and VNPay callbacks signed by hand (HMAC-SHA512 over the
sorted, form-encoded fields, as docs/payments.md describes), independently of vnpay.py."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, urlencode

from django.utils import timezone

from tests import factories
from tests.dossiers.conftest import make_version
from tinhso.dossiers.models import Dossier
from tinhso.payments import gateways
from tinhso.payments.gateways import GatewayUnavailable, Outcome, RefundOutcome

FEES = [
    {
        "kind": "phi",
        "code": "LLTP",
        "name": "Phí cung cấp thông tin lý lịch tư pháp",
        "amount": 200000,
        "due": "submission",
        "exempt": {"field": "doi_tuong", "values": ["ho_ngheo"]},
    },
    {
        "kind": "phi",
        "code": "BS",
        "name": "Phí cấp bản sao",
        "amount": 8000,
        "due": "before_result",
        "per": "so_ban_sao",
    },
]
SECRET = "TINHSOTESTSECRET0123456789ABCDEF"
TMN = "TSTEST01"


def world() -> dict[str, Any]:
    province = factories.province()
    agencies = factories.agencies(province, "STP")
    version = make_version(agencies["STP"], fees=FEES)
    citizen = factories.citizen()
    return {"province": province, "agencies": agencies, "version": version, "citizen": citizen}


def dossier(w: dict[str, Any], number: int = 1, **form: Any) -> Dossier:
    return Dossier.objects.create(
        code=f"000.00.03.H66-261205-{number:04d}",
        version=w["version"],
        agency=w["agencies"]["STP"],
        owner=w["citizen"],
        applicant_name="Nguyễn Văn An",
        applicant_email="an.nguyen@example.com",
        form_data={"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12", **form},
        state=Dossier.State.SUBMITTED,
        submitted_at=timezone.now(),
        fee_total=200000,
        fee_status=Dossier.FeeStatus.UNPAID,
    )


def use_test_merchant(settings: Any) -> None:
    settings.VNPAY_TMN_CODE = TMN
    settings.VNPAY_HASH_SECRET = SECRET
    settings.VNPAY_URL = "https://pay.example.vn/paymentv2/vpcpay.html"
    settings.VNPAY_API_URL = "http://127.0.0.1:9/api"


def _encode(text: str) -> str:
    return quote_plus(text, safe="").replace("~", "%7E")


def signed(fields: Mapping[str, str], secret: str = SECRET) -> dict[str, str]:
    """`fields` with the vnp_SecureHash VNPay would append, computed here by hand."""
    data = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(fields.items()) if v != "")
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()
    return {**fields, "vnp_SecureHash": digest}


def callback(
    txn_ref: str,
    amount: int,
    *,
    code: str = "00",
    status: str = "00",
    transaction_no: str = "14000001",
    secret: str = SECRET,
    tmn: str = TMN,
) -> dict[str, str]:
    """An IPN or return as the gateway sends it, with Vietnamese order text in it."""
    return signed(
        {
            "vnp_Amount": str(amount * 100),
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": "VNP14000001",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": "Thanh toan phi le phi ho so 000.00.03.H66-261205-0001",
            "vnp_PayDate": "20261205143512",
            "vnp_ResponseCode": code,
            "vnp_TmnCode": tmn,
            "vnp_TransactionNo": transaction_no,
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": txn_ref,
        },
        secret,
    )


def query_string(fields: Mapping[str, str]) -> str:
    return urlencode(fields)


def outcome(
    txn_ref: str,
    amount: int,
    status: gateways.Status = "paid",
    transaction_no: str = "14000001",
    gateway: str = "vnpay",
) -> Outcome:
    return Outcome(
        txn_ref=txn_ref,
        amount=amount,
        status=status,
        gateway_code="00/00" if status == "paid" else "24/02",
        transaction_no=transaction_no if status == "paid" else "",
        paid_at=timezone.now() if status == "paid" else None,
        raw={"vnp_TxnRef": txn_ref},
        gateway=gateway,
    )


@dataclass
class FakeGateway:
    """A gateway that answers queries from a table (or fails as told) and counts calls."""

    name: str = "vnpay"
    answers: dict[str, Outcome | Exception] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    refunds: list[tuple[str, int, bool]] = field(default_factory=list)
    refund_status: gateways.RefundStatus = "refunded"

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
        return f"https://fake.example/pay?ref={txn_ref}&amount={amount}"

    def read_callback(self, query: Mapping[str, str]) -> Outcome:
        raise gateways.BadSignature("the fake gateway signs nothing")

    def query(self, *, txn_ref: str, created_at: datetime, client_ip: str) -> Outcome:
        self.asked.append(txn_ref)
        answer = self.answers.get(txn_ref, GatewayUnavailable("no answer"))
        if isinstance(answer, Exception):
            raise answer
        return answer

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
        self.refunds.append((txn_ref, amount, full))
        return RefundOutcome(status=self.refund_status, gateway_code="00", raw={})
