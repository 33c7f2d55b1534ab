"""The one interface every payment gateway sits behind (cổng thanh toán).

Legal sources: Decree 45/2020/ND-CP art. 9 (fees paid online in electronic procedures) and
Decree 118/2025/ND-CP (payment within the one-stop process). The protocols are described in
docs/payments.md: VNPay 2.1.0 (`vnpay.py`, confirmed from the gateway's published pages) and
the national payment platform PayGov (`paygov.py`, reconstructed).

The ledger (models, actions, the IPN and return views) codes against `Gateway` only. Three
sources report on one transaction and each yields an `Outcome` only after its signature was
verified: the browser's return and the gateway's callback (`read_callback`), and the query
the server makes itself (`query`). Errors are typed so that callers decide on the type, never
on text: `GatewayUnavailable` may be retried later, `BadSignature` must leave no trace,
`GatewayRefused` carries the gateway's own code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol


class GatewayError(Exception):
    """Base of every error a gateway adapter raises."""


class GatewayUnavailable(GatewayError):
    """Timeout, network error or a 5xx answer: nothing is known, ask again later."""


class BadSignature(GatewayError):
    """A missing or wrong checksum (or another merchant's message): record nothing from it."""


class GatewayRefused(GatewayError):
    """The gateway answered, correctly signed, with an error code."""

    def __init__(self, code: str, raw: Mapping[str, str] | None = None, message: str = "") -> None:
        self.code = code
        self.raw: dict[str, str] = dict(raw or {})
        super().__init__(message or f"gateway refused with code {code}")


Status = Literal["paid", "failed", "cancelled", "pending", "unknown"]
RefundStatus = Literal["refunded", "submitted", "rejected"]


@dataclass(frozen=True)
class Outcome:
    """One verified answer about one transaction (callback, return or query)."""

    txn_ref: str
    amount: int  # VND, integer (VNPay's x100 already undone)
    status: Status  # "unknown": the gateway has no such transaction
    gateway_code: str  # e.g. VNPay vnp_ResponseCode / vnp_TransactionStatus as "00/00"
    transaction_no: str  # the gateway's own transaction number ("" if none)
    paid_at: datetime | None  # aware
    raw: dict[str, str]  # the fields as received, for the event log (never the secret)
    gateway: str  # the adapter that verified it ("vnpay" | "paygov" | "counter")


@dataclass(frozen=True)
class RefundOutcome:
    status: RefundStatus
    gateway_code: str
    raw: dict[str, str]


class Gateway(Protocol):
    name: str  # "vnpay" | "paygov"

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
        """The signed URL the citizen's browser is sent to."""
        ...

    def read_callback(self, query: Mapping[str, str]) -> Outcome:
        """Verify, then read, a return or callback; raises BadSignature."""
        ...

    def query(self, *, txn_ref: str, created_at: datetime, client_ip: str) -> Outcome:
        """Ask the gateway (QueryDR / QUERY); GatewayUnavailable on timeout."""
        ...

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
    ) -> RefundOutcome: ...


def gateway(name: str = "vnpay") -> Gateway:
    """The named gateway, configured from settings (TINHSO_VNPAY_* / TINHSO_PAYGOV_*)."""
    # Imported here: each adapter reads settings when built, and the ledger imports this
    # module without pulling in every protocol.
    if name == "vnpay":
        from tinhso.payments.vnpay import VNPayGateway

        return VNPayGateway.from_settings()
    if name == "paygov":
        from tinhso.payments.paygov import PayGovGateway

        return PayGovGateway.from_settings()
    raise ValueError(f"unknown payment gateway {name!r}")


def post_json(
    url: str, body: bytes, *, who: str, timeout: float, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """POST a JSON message to a gateway (`who` names it in errors) and give its answer, a JSON
    object, as parsed; checking its signature is the adapter's. A timeout, a network error or
    HTTP 5xx is `GatewayUnavailable`; another status than 200, or an answer that is not a
    JSON object, `GatewayError`."""
    import requests  # only the adapters that talk to a gateway need it

    try:
        response = requests.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            timeout=timeout,
        )
    except requests.Timeout as exc:
        raise GatewayUnavailable(f"{who} did not answer within {timeout} s") from exc
    except requests.RequestException as exc:
        raise GatewayUnavailable(f"{who} could not be reached: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise GatewayUnavailable(f"{who} answered HTTP {response.status_code}")
    if response.status_code != 200:
        raise GatewayError(f"{who} answered HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        raise GatewayError(f"{who}'s answer is not JSON") from None
    if not isinstance(answer, dict):
        raise GatewayError(f"{who}'s answer is not a JSON object")
    return answer
