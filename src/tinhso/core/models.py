"""Kernel tables: the audit trail, the outbox, and the editable part of the legal calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditRecord(models.Model):
    """Nhật ký kiểm toán: one state change (or a read of personal data), hash-chained.

    Written in the action's transaction without any shared lock; the sealer (`audit.seal`)
    later gives it its place in the chain (`seq`, `prev_hash`, `hash`), in commit order.
    Append-only: `save()` refuses updates and `delete()` refuses; `tinhso audit verify`
    detects changes made behind the ORM's back.
    """

    seq = models.PositiveBigIntegerField(
        unique=True, null=True, blank=True, verbose_name="số thứ tự"
    )
    at = models.DateTimeField(verbose_name="thời điểm")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người thực hiện",
    )
    actor_label = models.CharField(max_length=200, blank=True, verbose_name="người thực hiện")
    action = models.CharField(max_length=100, verbose_name="thao tác")
    object_type = models.CharField(max_length=100, blank=True, verbose_name="loại đối tượng")
    object_id = models.CharField(max_length=64, blank=True, verbose_name="mã đối tượng")
    object_label = models.CharField(max_length=300, blank=True, verbose_name="tên đối tượng")
    changes = models.JSONField(default=dict, blank=True, verbose_name="thay đổi")
    client_address = models.CharField(max_length=64, blank=True, verbose_name="địa chỉ máy khách")
    channel = models.CharField(max_length=20, blank=True, verbose_name="kênh")
    prev_hash = models.CharField(max_length=64, blank=True, verbose_name="mã băm bản ghi trước")
    hash = models.CharField(max_length=64, blank=True, verbose_name="mã băm")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["at"]),
            # The sealer's queue: records not yet in the chain, in insertion order.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="core_audit_unsealed"
            ),
        ]
        verbose_name = "bản ghi nhật ký"
        verbose_name_plural = "nhật ký kiểm toán"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("audit records are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit records are append-only")


class AuditHead(models.Model):
    """The sealed chain's head: one row, locked only by the sealer (never by an action)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, verbose_name="mã")
    seq = models.PositiveBigIntegerField(default=0, verbose_name="số thứ tự")
    hash = models.CharField(max_length=64, default="0" * 64, verbose_name="mã băm")

    class Meta:
        verbose_name = "đầu chuỗi nhật ký"
        verbose_name_plural = "đầu chuỗi nhật ký"


class AuditCheckpoint(models.Model):
    """A sealed batch of the chain: its last record's position and hash, signed with the
    platform's key and, where a timestamp authority is configured, timestamped (RFC 3161).
    Each is also appended to the anchor file outside the database (`TINHSO_AUDIT_ANCHOR_DIR`),
    so rewriting the chain and its hashes in the database no longer goes unnoticed."""

    seq = models.PositiveBigIntegerField(unique=True, verbose_name="số thứ tự")
    first_seq = models.PositiveBigIntegerField(verbose_name="số thứ tự đầu")
    hash = models.CharField(max_length=64, verbose_name="mã băm")
    sealed_at = models.DateTimeField(verbose_name="thời điểm niêm phong")
    key_id = models.CharField(max_length=16, verbose_name="mã khóa")
    signature = models.CharField(max_length=128, verbose_name="chữ ký")
    timestamp_token = models.BinaryField(blank=True, default=b"", verbose_name="dấu thời gian")

    class Meta:
        ordering = ["seq"]
        verbose_name = "điểm niêm phong nhật ký"
        verbose_name_plural = "điểm niêm phong nhật ký"

    def __str__(self) -> str:
        return f"#{self.first_seq}–#{self.seq}"


class OutboxMessage(models.Model):
    """An outgoing side effect, written in the same transaction as the change that causes it."""

    class State(models.TextChoices):
        PENDING = "pending", "chờ gửi"
        DELIVERED = "delivered", "đã gửi"
        PARKED = "parked", "tạm dừng (lỗi lặp lại)"

    topic = models.CharField(max_length=100, verbose_name="chủ đề")
    payload = models.JSONField(default=dict, verbose_name="nội dung")
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PENDING, verbose_name="tình trạng"
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name="số lần thử")
    available_at = models.DateTimeField(default=timezone.now, verbose_name="gửi từ")
    locked_until = models.DateTimeField(null=True, blank=True, verbose_name="giữ đến")
    locked_by = models.CharField(max_length=100, blank=True, verbose_name="tiến trình giữ")
    last_error = models.TextField(blank=True, verbose_name="lỗi gần nhất")
    created_at = models.DateTimeField(default=timezone.now, verbose_name="thời điểm tạo")
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name="thời điểm gửi xong")

    class Meta:
        indexes = [models.Index(fields=["state", "available_at"])]
        verbose_name = "thông điệp chờ gửi"
        verbose_name_plural = "hàng đợi gửi đi"

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk} ({self.state})"


class ProcessedMessage(models.Model):
    """Idempotency ledger: a handler records the messages whose effect it has made."""

    handler = models.CharField(max_length=100, verbose_name="bộ xử lý")
    message_id = models.BigIntegerField(verbose_name="mã thông điệp")
    processed_at = models.DateTimeField(default=timezone.now, verbose_name="thời điểm xử lý")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["handler", "message_id"], name="processed_once")
        ]
        verbose_name = "thông điệp đã xử lý"
        verbose_name_plural = "thông điệp đã xử lý"


class CalendarChange(models.Model):
    """Điều chỉnh lịch làm việc: a year-specific change administrators announce.

    For example a make-up working Saturday, or an extra day off for Tết announced by the
    Ministry's notice for civil servants.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", "ngày nghỉ"
        WORKING_DAY = "working_day", "ngày làm việc (làm bù)"

    date = models.DateField(unique=True, verbose_name="ngày")
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name="loại")
    reason = models.CharField(max_length=300, verbose_name="lý do")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="thời điểm cập nhật")

    class Meta:
        ordering = ["date"]
        verbose_name = "điều chỉnh lịch làm việc"
        verbose_name_plural = "điều chỉnh lịch làm việc"

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}"
