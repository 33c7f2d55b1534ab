"""Every reason the payment ledger refuses, declared once (`tinhso.core.errors`).

Legal sources: Law on Fees and Charges 2015 (what may be charged), Decree 45/2020/NĐ-CP
art. 9 (online payment of fees), Decree 123/2020/NĐ-CP (receipts).

A charge or attempt out of the person's reach is NOT_FOUND; a charge whose state does not
allow the action now (already paid, nothing to pay, a refund above what was paid) is
CONFLICT; input the person can correct is INVALID with the field it is about. Gateway failures
are not refusals: they are `gateways.GatewayError`s, retried or shown as "try again later".
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, DomainError, Kind, declare


class PaymentError(DomainError):
    """A refusal of a payment action (one of the codes below); nothing was written."""


def _d(name: str, kind: Kind, message: Any) -> Code:
    return declare("payments", name, kind, message)


INVALID, CONFLICT, FORBIDDEN, NOT_FOUND = (
    Kind.INVALID,
    Kind.CONFLICT,
    Kind.FORBIDDEN,
    Kind.NOT_FOUND,
)

# --- out of reach (404) ---
CHARGE_NOT_FOUND = _d("charge_not_found", NOT_FOUND, _("Không tìm thấy khoản phải nộp."))

# --- no role (403) ---
NOT_ALLOWED = _d(
    "not_allowed", FORBIDDEN, _("Ông/Bà không có vai trò để thực hiện thao tác thanh toán này.")
)

# --- the state of the charge or dossier (409) ---
FEE_DATA_INVALID = _d(
    "fee_data_invalid",
    CONFLICT,  # the procedure's fee table, not the citizen's input: an administrator fixes it
    _("Bảng phí, lệ phí của thủ tục không hợp lệ; quản trị viên cần sửa lại."),
)
NOTHING_DUE = _d("nothing_due", CONFLICT, _("Hồ sơ không có khoản phí, lệ phí phải nộp lúc này."))
NOT_SUBMITTED = _d(
    "not_submitted", CONFLICT, _("Hồ sơ chưa được nộp nên chưa thể thu phí, lệ phí.")
)
ALREADY_PAID = _d("already_paid", CONFLICT, _("Khoản phí, lệ phí này đã được nộp."))
ONLINE_PAYMENT_IN_PROGRESS = _d(
    "online_payment_in_progress",
    CONFLICT,
    _(
        "Người nộp đang thanh toán trực tuyến khoản này; chờ kết quả (hoặc đến khi giao dịch "
        "hết hạn) rồi mới thu tại quầy, để người nộp không phải nộp hai lần."
    ),
)
NOT_PAID = _d(
    "not_paid", CONFLICT, _("Giao dịch này chưa được thanh toán nên không thể hoàn tiền.")
)
REFUND_TOO_LARGE = _d(
    "refund_too_large",
    CONFLICT,
    _("Số tiền hoàn vượt quá số tiền còn có thể hoàn ({left} đồng)."),
)
REFUND_NOT_OPEN = _d(
    "refund_not_open", CONFLICT, _("Yêu cầu hoàn tiền này không còn ở trạng thái chờ xử lý.")
)
GATEWAY_NOT_CONFIGURED = _d(
    "gateway_not_configured",
    CONFLICT,
    _("Cổng thanh toán chưa được cấu hình; vui lòng nộp phí tại Bộ phận Một cửa."),
)

# --- input the person can correct (422) ---
FEE_ANSWER_INVALID = _d(
    "fee_answer_invalid", INVALID, _("Câu trả lời trên tờ khai không dùng để tính phí được.")
)
UNKNOWN_GATEWAY = _d("unknown_gateway", INVALID, _("Không có cổng thanh toán này."))
UNKNOWN_DUE = _d("unknown_due", INVALID, _("Thời điểm nộp phí không hợp lệ."))
METHOD_INVALID = _d(
    "method_invalid", INVALID, _("Hình thức nộp tại quầy chỉ gồm tiền mặt hoặc thẻ.")
)
RECEIPT_NO_REQUIRED = _d(
    "receipt_no_required", INVALID, _("Hãy ghi số biên lai (tối đa 60 ký tự).")
)
AMOUNT_INVALID = _d("amount_invalid", INVALID, _("Số tiền phải là số nguyên đồng lớn hơn 0."))
REASON_REQUIRED = _d("reason_required", INVALID, _("Hãy ghi lý do hoàn tiền."))
SETTLEMENT_INVALID = _d("settlement_invalid", INVALID, _("Tệp đối soát không đọc được: {why}"))
