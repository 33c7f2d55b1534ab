"""The payment ledger: charges, attempts, what the gateways said, refunds, receipts.

Legal sources: Decree 45/2020/NĐ-CP art. 9 (online payment of fees and charges); Decree
123/2020/NĐ-CP and Decree 70/2025/NĐ-CP (electronic receipts, biên lai điện tử: a series and a
number per year); Law on Fees and Charges 2015 (refunds of amounts collected wrongly).

A `Charge` is what one dossier owes at one due point, frozen when computed. Each try to pay it
is an `Attempt` with its own gateway reference (`txn_ref`, unique); everything a gateway said
about an attempt is an `Event` (raw fields, verified). A paid attempt is final: the database
itself refuses a second paid attempt for a charge (a partial unique index, on PostgreSQL and
SQLite alike), and only a `Refund` moves money back. A paid charge gets one `Receipt`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy


class Due(models.TextChoices):
    SUBMISSION = "submission", gettext_lazy("khi nộp hồ sơ")
    BEFORE_RESULT = "before_result", gettext_lazy("trước khi nhận kết quả")


class Charge(models.Model):
    """Khoản phải nộp: the fee lines one dossier owes at one due point, frozen."""

    class State(models.TextChoices):
        OPEN = "open", gettext_lazy("chờ nộp")
        PAID = "paid", gettext_lazy("đã nộp")
        CANCELLED = "cancelled", gettext_lazy("đã hủy")

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        related_name="charges",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    due = models.CharField(gettext_lazy("thời điểm nộp"), max_length=20, choices=Due.choices)
    lines = models.JSONField(gettext_lazy("các khoản"), default=list)
    total = models.PositiveBigIntegerField(gettext_lazy("tổng (đồng)"))
    state = models.CharField(
        gettext_lazy("trạng thái"), max_length=12, choices=State.choices, default=State.OPEN
    )
    paid_at = models.DateTimeField(gettext_lazy("nộp lúc"), null=True, blank=True)
    created_at = models.DateTimeField(gettext_lazy("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("khoản phải nộp")
        verbose_name_plural = pgettext_lazy("số nhiều", "khoản phải nộp")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "due"], name="payments_charge_per_due")
        ]

    def __str__(self) -> str:
        return f"{self.dossier} · {self.get_due_display()} · {self.total} đ"


class Attempt(models.Model):
    """Giao dịch thanh toán: one try to pay a charge through one gateway (or at the counter)."""

    class Gateway(models.TextChoices):
        VNPAY = "vnpay", gettext_lazy("VNPay")
        PAYGOV = "paygov", gettext_lazy("Nền tảng thanh toán (PayGov)")
        COUNTER = "counter", gettext_lazy("tại Bộ phận Một cửa")

    class State(models.TextChoices):
        CREATED = "created", gettext_lazy("mới tạo")
        PENDING = "pending", gettext_lazy("đang chờ thanh toán")
        PAID = "paid", gettext_lazy("đã thanh toán")
        FAILED = "failed", gettext_lazy("không thành công")
        EXPIRED = "expired", gettext_lazy("hết hạn")
        CANCELLED = "cancelled", gettext_lazy("đã hủy")

    charge = models.ForeignKey(
        Charge,
        on_delete=models.PROTECT,
        related_name="attempts",
        verbose_name=gettext_lazy("khoản"),
    )
    gateway = models.CharField(gettext_lazy("cổng"), max_length=10, choices=Gateway.choices)
    txn_ref = models.CharField(gettext_lazy("mã tham chiếu"), max_length=40, unique=True)
    amount = models.PositiveBigIntegerField(gettext_lazy("số tiền (đồng)"))
    state = models.CharField(
        gettext_lazy("trạng thái"), max_length=10, choices=State.choices, default=State.CREATED
    )
    payment_url = models.TextField(gettext_lazy("địa chỉ thanh toán"), blank=True)
    client_ip = models.CharField(gettext_lazy("địa chỉ IP người nộp"), max_length=45, blank=True)
    return_url = models.CharField(gettext_lazy("địa chỉ trở về"), max_length=500, blank=True)
    transaction_no = models.CharField(
        gettext_lazy("mã giao dịch của cổng"), max_length=60, blank=True
    )
    gateway_code = models.CharField(gettext_lazy("mã kết quả của cổng"), max_length=20, blank=True)
    method = models.CharField(gettext_lazy("hình thức"), max_length=10, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cán bộ thu"),
    )
    created_at = models.DateTimeField(gettext_lazy("thời điểm tạo"))
    expires_at = models.DateTimeField(gettext_lazy("hết hạn lúc"))
    paid_at = models.DateTimeField(gettext_lazy("thanh toán lúc"), null=True, blank=True)
    # When the return page last asked the gateway about it: reloading the page must not
    # turn into a stream of queries (at most one a minute, claimed by a conditional update).
    return_queried_at = models.DateTimeField(
        gettext_lazy("trang trở về truy vấn cổng lúc"), null=True, blank=True
    )
    updated_at = models.DateTimeField(gettext_lazy("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("giao dịch thanh toán")
        verbose_name_plural = pgettext_lazy("số nhiều", "giao dịch thanh toán")
        indexes = [models.Index(fields=["state", "created_at"], name="payments_attempt_state")]
        constraints = [
            # One paid attempt per charge, whatever the application code does: a partial unique
            # index, which PostgreSQL and SQLite both enforce.
            models.UniqueConstraint(
                fields=["charge"],
                condition=models.Q(state="paid"),
                name="payments_one_paid_attempt_per_charge",
            )
        ]

    def __str__(self) -> str:
        return self.txn_ref


class Event(models.Model):
    """What a gateway (or an officer at the counter) said about an attempt, as received."""

    class Kind(models.TextChoices):
        CALLBACK = "callback", gettext_lazy("thông báo từ cổng (IPN)")
        RETURN = "return", gettext_lazy("trình duyệt trở về")
        QUERY = "query", gettext_lazy("truy vấn cổng")
        COUNTER = "counter", gettext_lazy("thu tại quầy")
        SETTLEMENT = "settlement", gettext_lazy("đối soát")

    attempt = models.ForeignKey(
        Attempt,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=gettext_lazy("giao dịch"),
    )
    txn_ref = models.CharField(gettext_lazy("mã tham chiếu"), max_length=100, blank=True)
    kind = models.CharField(gettext_lazy("loại"), max_length=12, choices=Kind.choices)
    status = models.CharField(gettext_lazy("kết quả"), max_length=12, blank=True)
    amount = models.BigIntegerField(gettext_lazy("số tiền (đồng)"), null=True, blank=True)
    gateway_code = models.CharField(gettext_lazy("mã của cổng"), max_length=20, blank=True)
    raw = models.JSONField(gettext_lazy("dữ liệu nhận được"), default=dict)
    verified = models.BooleanField(gettext_lazy("đã xác thực chữ ký"), default=False)
    effect = models.CharField(gettext_lazy("tác động"), max_length=20, blank=True)
    signature = models.CharField(gettext_lazy("chữ ký nhận được"), max_length=200, blank=True)
    received_at = models.DateTimeField(gettext_lazy("nhận lúc"))

    class Meta:
        verbose_name = gettext_lazy("sự kiện thanh toán")
        verbose_name_plural = pgettext_lazy("số nhiều", "sự kiện thanh toán")
        ordering = ["received_at", "pk"]
        constraints = [
            # A browser's return is kept once: each reload of the same signed URL is the
            # same message, not news.
            models.UniqueConstraint(
                fields=["txn_ref", "signature"],
                condition=models.Q(kind="return") & ~models.Q(signature=""),
                name="payments_one_return_event_per_signature",
            )
        ]

    def __str__(self) -> str:
        return f"{self.txn_ref} {self.kind} {self.status}"


class Refund(models.Model):
    """Hoàn tiền: money to give back for one attempt, asked by a person or by the ledger."""

    class State(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("chờ xử lý")
        # Claimed and being sent: the gateway may or may not have paid it out, so it is asked
        # about (or settled by hand), never sent again.
        SUBMITTING = "submitting", gettext_lazy("đang gửi cổng thanh toán")
        SUBMITTED = "submitted", gettext_lazy("đã gửi cổng thanh toán")
        REFUNDED = "refunded", gettext_lazy("đã hoàn tiền")
        REJECTED = "rejected", gettext_lazy("bị từ chối")

    class Cause(models.TextChoices):
        REQUESTED = "requested", gettext_lazy("theo yêu cầu")
        AMOUNT_MISMATCH = "amount_mismatch", gettext_lazy("số tiền không khớp")
        LATE_PAYMENT = "late_payment", gettext_lazy("thanh toán sau khi giao dịch hết hạn hoặc hủy")
        DUPLICATE = "duplicate", gettext_lazy("nộp trùng cho khoản đã nộp")
        DOSSIER_REFUSED = "dossier_refused", gettext_lazy("hồ sơ bị từ chối")

    attempt = models.ForeignKey(
        Attempt,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=gettext_lazy("giao dịch"),
    )
    amount = models.PositiveBigIntegerField(gettext_lazy("số tiền (đồng)"))
    cause = models.CharField(gettext_lazy("nguyên nhân"), max_length=20, choices=Cause.choices)
    reason = models.TextField(gettext_lazy("lý do"))
    state = models.CharField(
        gettext_lazy("trạng thái"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    gateway_code = models.CharField(gettext_lazy("mã của cổng"), max_length=20, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người yêu cầu"),
    )
    created_at = models.DateTimeField(gettext_lazy("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("hoàn tiền")
        verbose_name_plural = pgettext_lazy("số nhiều", "hoàn tiền")
        constraints = [
            # A case the ledger opens by itself exists once per attempt and cause, however
            # often the gateway repeats the message that opened it.
            models.UniqueConstraint(
                fields=["attempt", "cause"],
                condition=~models.Q(cause="requested"),
                name="payments_one_automatic_refund_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt} −{self.amount} đ ({self.get_state_display()})"


class ReceiptCounter(models.Model):
    """The last number issued in one receipt series and year."""

    series = models.CharField(gettext_lazy("ký hiệu"), max_length=20)
    year = models.PositiveSmallIntegerField(gettext_lazy("năm"))
    last = models.PositiveIntegerField(gettext_lazy("số cuối"), default=0)

    class Meta:
        verbose_name = gettext_lazy("bộ đếm biên lai")
        verbose_name_plural = pgettext_lazy("số nhiều", "bộ đếm biên lai")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="payments_receipt_counter")
        ]


class Receipt(models.Model):
    """Biên lai điện tử: issued once for a paid charge, numbered within its series and year."""

    charge = models.OneToOneField(
        Charge, on_delete=models.PROTECT, related_name="receipt", verbose_name=gettext_lazy("khoản")
    )
    attempt = models.OneToOneField(
        Attempt,
        on_delete=models.PROTECT,
        related_name="receipt",
        verbose_name=gettext_lazy("giao dịch"),
    )
    series = models.CharField(gettext_lazy("ký hiệu"), max_length=20)
    year = models.PositiveSmallIntegerField(gettext_lazy("năm"))
    number = models.PositiveIntegerField(gettext_lazy("số"))
    amount = models.PositiveBigIntegerField(gettext_lazy("số tiền (đồng)"))
    payer_name = models.CharField(gettext_lazy("người nộp"), max_length=200)
    issued_at = models.DateTimeField(gettext_lazy("lập lúc"))

    class Meta:
        verbose_name = gettext_lazy("biên lai điện tử")
        verbose_name_plural = pgettext_lazy("số nhiều", "biên lai điện tử")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "number"], name="payments_receipt_number"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.series}/{self.year % 100:02d} số {self.number:07d}"
