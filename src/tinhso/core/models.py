"""Kernel tables: the audit trail, the outbox, and the editable part of the legal calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditRecord(models.Model):
    """Nhật ký kiểm toán: one state change (or a read of personal data), hash-chained.

    Append-only: `save()` refuses updates and `delete()` refuses; `tinhso audit verify`
    detects changes made behind the ORM's back.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["at"])]
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
    """The chain's head: one row, locked by every append, so appends serialise."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class OutboxMessage(models.Model):
    """An outgoing side effect, written in the same transaction as the change that causes it."""

    class State(models.TextChoices):
        PENDING = "pending", "chờ gửi"
        DELIVERED = "delivered", "đã gửi"
        PARKED = "parked", "tạm dừng (lỗi lặp lại)"

    topic = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "available_at"])]
        verbose_name = "thông điệp chờ gửi"
        verbose_name_plural = "hàng đợi gửi đi (outbox)"

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk} ({self.state})"


class ProcessedMessage(models.Model):
    """Idempotency ledger: a handler records the messages whose effect it has made."""

    handler = models.CharField(max_length=100)
    message_id = models.BigIntegerField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["handler", "message_id"], name="processed_once")
        ]


class CalendarChange(models.Model):
    """Điều chỉnh lịch làm việc: a year-specific change administrators announce.

    For example a make-up working Saturday, or an extra day off for Tết announced by the
    Ministry's notice for civil servants.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", "ngày nghỉ"
        WORKING_DAY = "working_day", "ngày làm việc (làm bù)"

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "điều chỉnh lịch làm việc"
        verbose_name_plural = "điều chỉnh lịch làm việc"

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}"
