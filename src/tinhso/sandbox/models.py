"""The bank side of the embedded VNPay sandbox: what the stand-in gateway remembers.

Legal source: none of its own; it stands in for the intermediary of Decree 45/2020/ND-CP art. 9
so that the demo and the tests can pay end to end. Never served in production mode.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BankTransaction(models.Model):
    """Giao dịch phía cổng thanh toán (sandbox): one tester's choice on one payment request."""

    class Status(models.TextChoices):
        PAID = "paid", _("thành công")
        CANCELLED = "cancelled", _("khách hàng hủy")
        FAILED = "failed", _("thất bại")
        EXPIRED = "expired", _("quá thời gian thanh toán")

    tmn_code = models.CharField(_("mã đơn vị (vnp_TmnCode)"), max_length=16)
    txn_ref = models.CharField(_("mã tham chiếu (vnp_TxnRef)"), max_length=100)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    order_info = models.CharField(_("nội dung thanh toán"), max_length=255, blank=True)
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices)
    transaction_no = models.CharField(_("mã giao dịch (vnp_TransactionNo)"), max_length=20)
    pay_date = models.DateTimeField(_("thời điểm xử lý"))
    # As the request sent it (yyyyMMddHHmmss, GMT+7): QueryDR and refund name the
    # transaction by it (vnp_TransactionDate).
    create_date = models.CharField(_("thời điểm tạo yêu cầu (vnp_CreateDate)"), max_length=14)
    refunded_amount = models.PositiveBigIntegerField(_("đã hoàn (đồng)"), default=0)
    ipn_answer = models.TextField(_("trả lời IPN của đơn vị"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("thời điểm tạo"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("giao dịch thử nghiệm")
        verbose_name_plural = _("giao dịch thử nghiệm")
        constraints = [
            models.UniqueConstraint(
                fields=["tmn_code", "txn_ref"], name="sandbox_one_transaction_per_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tmn_code} {self.txn_ref}"

    # (vnp_ResponseCode, vnp_TransactionStatus) for the payment's outcome.
    CODES = {
        Status.PAID: ("00", "00"),
        Status.CANCELLED: ("24", "02"),
        Status.FAILED: ("51", "02"),
        Status.EXPIRED: ("11", "02"),
    }

    @property
    def response_code(self) -> str:
        return self.CODES[self.Status(self.status)][0]

    @property
    def transaction_status(self) -> str:
        return self.CODES[self.Status(self.status)][1]
