"""The national payment platform of the public-service portal (PayGov, Nền tảng thanh toán
trực tuyến của Cổng Dịch vụ công quốc gia): INIT, CONFIRM, QUERY and GET_BILL.

Legal sources: Decree 45/2020/ND-CP art. 9 (fees paid online through the national portal's
platform) and Decision 766/QD-TTg (indicator 3.6: `DuocThanhToanTrucTuyen` = 1 for a dossier
paid through it).

RECONSTRUCTED, NOT CONFIRMED. No official technical text was available: the messages follow
two independent Vietnamese one-stop systems (docs/payments.md, "PayGov"). Every field name and
hash order is therefore kept in this one place (`FIELD`, `HASH_ORDER`), and what differs
between deployments (address, partner code, secret, bearer token, message version) comes from
the environment. Where even the reconstruction is silent, this module chooses and says so:
- every message from the platform that changes the ledger (CONFIRM, the QUERY and GET_BILL
  answers) must carry `MaXacThuc` over the CONFIRM order, absent fields counting as "";
  an INIT answer's `MaXacThuc` is checked when present;
- times are `yyyyMMddHHmmss` in GMT+7, amounts whole đồng;
- the return address and the expiry are not part of INIT (registered with the platform);
- refunds are not part of the messages: `refund` raises GatewayRefused("unsupported"), and the
  ledger's refund case is settled outside (through the intermediary and the treasury);
- CONFIRM reaches us as a JSON POST at `/payments/paygov/confirm` (the address is registered
  with the platform), must say `LoaiBanTin` CONFIRM and, when it names one, `MaTienTe` VND;
  the reconstruction gives no answer, so tinhso answers `{"MaLoi", "MoTaLoi"}` with the codes
  of VNPay's IPN contract (`CONFIRM_ANSWERS`), unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tinhso.payments.gateways import (
    BadSignature,
    GatewayError,
    GatewayRefused,
    Outcome,
    RefundOutcome,
    Status,
    post_json,
)
from tinhso.payments.vnpay import format_time, parse_time

# The platform's field names, by what they mean ([T]: two implementations agree on these).
FIELD = {
    "message": "LoaiBanTin",
    "version": "PhienBan",
    "partner": "MaDoiTac",
    "reference": "MaThamChieu",
    "amount": "SoTien",
    "payment_kind": "LoaiHinhThanhToan",
    "channel": "MaKenhThanhToan",
    "device": "MaThietBi",
    "language": "NgonNgu",
    "currency": "MaTienTe",
    "bank": "MaNganHang",
    "description": "ThongTinGiaoDich",
    "time": "ThoiGianGD",
    "ip": "Ip",
    "checksum": "MaXacThuc",
    "receipt": "ThongTinBienLai",
    "error": "MaLoi",
    "transaction_no": "MaGiaoDich",
    "state": "TrangThaiGD",
    "pay_url": "UrlThanhToan",
}
F = FIELD

# What `MaXacThuc` covers, in order, before the secret is appended (SHA-256, hex).
HASH_ORDER = {
    "INIT": [
        F["message"],
        F["version"],
        F["partner"],
        F["reference"],
        F["amount"],
        F["payment_kind"],
        F["channel"],
        F["device"],
        F["language"],
        F["currency"],
        F["bank"],
        F["description"],
        F["time"],
        F["ip"],
    ],
    "CONFIRM": [
        F["message"],
        F["error"],
        F["partner"],
        F["reference"],
        F["amount"],
        F["currency"],
        F["transaction_no"],
        F["bank"],
        F["time"],
        F["description"],
    ],
    "QUERY": [F["message"], F["version"], F["partner"], F["reference"], F["time"]],
}
HASH_ORDER["GET_BILL"] = HASH_ORDER["QUERY"]
ANSWER_ORDER = HASH_ORDER["CONFIRM"]  # [U] chosen: see the module's docstring

# Fixed values of INIT ([T] as both implementations send them; channel and device [U]).
PAYMENT_KIND = "PAY"
CHANNEL = "WEB"
DEVICE = "DESKTOP"
LANGUAGE = "vi-VN"
CURRENCY = "VND"

# Our answer to a CONFIRM, by what happened: (MaLoi, MoTaLoi). [U] chosen: the codes and the
# retry rule of VNPay's IPN (00 and 02 end the platform's calls, anything else asks it to call
# again), since the reconstruction of the platform's messages gives no answer format.
CONFIRM_ANSWERS: dict[str, tuple[str, str]] = {
    "confirmed": ("00", "Xác nhận thành công"),
    "not_found": ("01", "Không tìm thấy giao dịch"),
    "already": ("02", "Giao dịch đã được xác nhận trước đó"),
    "wrong_amount": ("04", "Số tiền không khớp"),
    "bad_checksum": ("97", "Mã xác thực không hợp lệ"),
    "error": ("99", "Lỗi không xác định, vui lòng gửi lại"),
}


def confirm_answer(what: str) -> dict[str, str]:
    """The JSON body tinhso answers a CONFIRM with (`CONFIRM_ANSWERS`)."""
    code, message = CONFIRM_ANSWERS[what]
    return {F["error"]: code, "MoTaLoi": message}


# TrangThaiGD in a QUERY answer.
QUERY_STATES: dict[str, Status] = {"1": "paid", "3": "pending", "4": "failed"}
NOT_FOUND = {"04", "91"}  # [U] MaLoi of a QUERY about a reference the platform never saw


def checksum(message: Mapping[str, Any], order: list[str], secret: str) -> str:
    """`MaXacThuc`: SHA-256 hex of the named fields and the secret, joined by "|"."""
    values = ["" if message.get(name) is None else str(message.get(name)) for name in order]
    return hashlib.sha256("|".join([*values, secret]).encode("utf-8")).hexdigest()


def _same(expected: str, received: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), received.strip().lower().encode())


@dataclass
class PayGovGateway:
    """The `Gateway` for one partner (đối tác) of the national payment platform."""

    url: str
    partner_code: str
    secret: str
    token: str
    version: str
    timeout: float
    name: str = "paygov"

    def __repr__(self) -> str:  # the secret and token never reach a log
        return f"PayGovGateway(partner_code={self.partner_code!r}, url={self.url!r})"

    @classmethod
    def from_settings(cls) -> PayGovGateway:
        values = {
            "TINHSO_PAYGOV_URL": settings.PAYGOV_URL,
            "TINHSO_PAYGOV_PARTNER_CODE": settings.PAYGOV_PARTNER_CODE,
            "TINHSO_PAYGOV_SECRET": settings.PAYGOV_SECRET,
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ImproperlyConfigured(f"PayGov is not configured: set {', '.join(missing)}")
        return cls(
            url=settings.PAYGOV_URL,
            partner_code=settings.PAYGOV_PARTNER_CODE,
            secret=settings.PAYGOV_SECRET,
            token=settings.PAYGOV_TOKEN,
            version=settings.PAYGOV_VERSION,
            timeout=settings.PAYMENTS_GATEWAY_TIMEOUT,
        )

    # INIT ------------------------------------------------------------------------------

    def init_message(
        self,
        *,
        txn_ref: str,
        amount: int,
        order_info: str,
        client_ip: str,
        created_at: datetime,
        receipt: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError(f"amount must be a positive number of đồng, not {amount!r}")
        message: dict[str, Any] = {
            F["message"]: "INIT",
            F["version"]: self.version,
            F["partner"]: self.partner_code,
            F["reference"]: txn_ref,
            F["amount"]: str(amount),
            F["payment_kind"]: PAYMENT_KIND,
            F["channel"]: CHANNEL,
            F["device"]: DEVICE,
            F["language"]: LANGUAGE,
            F["currency"]: CURRENCY,
            F["bank"]: "",
            F["description"]: order_info,
            F["time"]: format_time(created_at),
            F["ip"]: client_ip,
        }
        message[F["checksum"]] = checksum(message, HASH_ORDER["INIT"], self.secret)
        # The receipt's details (MaTTHC, MaHoSo, MaDonVi, KhoBac, PhiLePhi[] ...) are not
        # signed; the caller gives them as the platform names them.
        message[F["receipt"]] = dict(receipt or {})
        return message

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
        receipt: Mapping[str, Any] | None = None,
    ) -> str:
        """INIT, then the platform's payment page (a network call: never in a transaction).

        `return_url` and `expires_at` have no field in the reconstructed INIT: the return
        address is registered with the platform for the partner code.
        """
        message = self.init_message(
            txn_ref=txn_ref,
            amount=amount,
            order_info=order_info,
            client_ip=client_ip,
            created_at=created_at,
            receipt=receipt,
        )
        answer = self._post(message, signed=False)
        self._raise_for_error(answer)
        pay_url = answer.get(F["pay_url"], "")
        if not pay_url.startswith(("https://", "http://")):
            raise GatewayError("the INIT answer has no payment address")
        return pay_url

    # CONFIRM ---------------------------------------------------------------------------

    def read_callback(self, query: Mapping[str, str]) -> Outcome:
        """A CONFIRM from the platform, once its `MaXacThuc` and partner are checked."""
        fields = self._verified(query)
        error = fields.get(F["error"], "")
        return self._outcome(
            fields,
            status="paid" if error == "00" else "failed",
            gateway_code=error,
        )

    def read_confirm(self, message: Mapping[str, Any]) -> Outcome:
        """The body of a CONFIRM POSTed to us: verified first (BadSignature, record nothing),
        then it must be a CONFIRM (a QUERY answer is signed over the same fields: replayed
        here it is refused as a forgery) in đồng (GatewayError otherwise)."""
        outcome = self.read_callback(message)
        if outcome.raw.get(F["message"], "") != "CONFIRM":
            raise BadSignature(f"{F['message']} {outcome.raw.get(F['message'])!r} is not CONFIRM")
        currency = outcome.raw.get(F["currency"], "")
        if currency not in ("", CURRENCY):
            raise GatewayError(f"{F['currency']} {currency!r} is not {CURRENCY}")
        return outcome

    # QUERY and GET_BILL ------------------------------------------------------------------

    def _request(self, kind: str, txn_ref: str, created_at: datetime) -> dict[str, Any]:
        message: dict[str, Any] = {
            F["message"]: kind,
            F["version"]: self.version,
            F["partner"]: self.partner_code,
            F["reference"]: txn_ref,
            F["time"]: format_time(created_at),
        }
        message[F["checksum"]] = checksum(message, HASH_ORDER[kind], self.secret)
        return message

    def query(self, *, txn_ref: str, created_at: datetime, client_ip: str) -> Outcome:
        answer = self._post(self._request("QUERY", txn_ref, created_at), signed=True)
        error = answer.get(F["error"], "")
        if error in NOT_FOUND:
            return Outcome(
                txn_ref=txn_ref,
                amount=0,
                status="unknown",
                gateway_code=error,
                transaction_no="",
                paid_at=None,
                raw=answer,
                gateway="paygov",
            )
        self._raise_for_error(answer)
        if answer.get(F["reference"], "") != txn_ref:
            raise BadSignature(f"the answer is about {answer.get(F['reference'])!r}")
        state = answer.get(F["state"], "")
        if state not in QUERY_STATES:
            raise GatewayError(f"{F['state']} {state!r} is not one of 1, 3, 4")
        return self._outcome(answer, status=QUERY_STATES[state], gateway_code=f"{error}/{state}")

    def get_bill(self, *, txn_ref: str, created_at: datetime) -> dict[str, str]:
        """GET_BILL: the electronic receipt's fields as the platform sends them (verified)."""
        answer = self._post(self._request("GET_BILL", txn_ref, created_at), signed=True)
        self._raise_for_error(answer)
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
        raise GatewayRefused("unsupported", message="PayGov has no refund message")

    # Plumbing ----------------------------------------------------------------------------

    def _outcome(self, fields: dict[str, str], *, status: Status, gateway_code: str) -> Outcome:
        amount = fields.get(F["amount"], "")
        if not (amount.isascii() and amount.isdecimal()):
            raise GatewayError(f"{F['amount']} {amount!r} is not a whole number of đồng")
        time = fields.get(F["time"], "")
        try:
            paid_at = parse_time(time) if status == "paid" and time else None
        except ValueError:
            raise GatewayError(f"{F['time']} {time!r} is not yyyyMMddHHmmss") from None
        return Outcome(
            txn_ref=fields.get(F["reference"], ""),
            amount=int(amount),
            status=status,
            gateway_code=gateway_code,
            transaction_no=fields.get(F["transaction_no"], ""),
            paid_at=paid_at,
            raw=fields,
            gateway="paygov",
        )

    def _verified(self, message: Mapping[str, Any]) -> dict[str, str]:
        fields = {str(k): "" if v is None else str(v) for k, v in message.items()}
        received = fields.get(F["checksum"], "")
        if not received:
            raise BadSignature(f"{F['checksum']} is missing")
        if not _same(checksum(fields, ANSWER_ORDER, self.secret), received):
            raise BadSignature(f"{F['checksum']} does not match")
        if fields.get(F["partner"], "") != self.partner_code:
            raise BadSignature(f"{F['partner']} {fields.get(F['partner'])!r} is not ours")
        return fields

    def _raise_for_error(self, answer: dict[str, str]) -> None:
        error = answer.get(F["error"], "")
        if error != "00":
            raise GatewayRefused(error or "?", answer)

    def _post(self, message: dict[str, Any], *, signed: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = post_json(
            self.url,
            json.dumps(message, ensure_ascii=False).encode("utf-8"),
            who="PayGov",
            timeout=self.timeout,
            headers=headers,
        )
        if signed or body.get(F["checksum"]):
            return self._verified(body)
        return {str(k): "" if v is None else str(v) for k, v in body.items()}
