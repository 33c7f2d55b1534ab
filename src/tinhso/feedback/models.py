"""Citizen field reports (phản ánh hiện trường, PAHT) and the Open311 clients that file them.

Legal sources: Decree 20/2008/NĐ-CP on receiving and handling feedback and recommendations
(phản ánh, kiến nghị) on administrative regulations (UNCONFIRMED in our reference), and the
service index of Decision 766/QĐ-TTg (23/6/2022), group 5: PAKN handled on time. Field
reports about roads, lights, waste and public order have no single national decree: each
province runs them by its own decision (UNCONFIRMED for Đắk Lắk), so deadlines are per category
and set by administrators. The API follows Open311 GeoReport v2.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tinhso.places.models import Agency, Commune


class Category(models.Model):
    """Lĩnh vực phản ánh: an Open311 service, with its deadline and extra questions."""

    code = models.SlugField("mã (service_code)", max_length=40, unique=True)
    name = models.CharField("tên", max_length=200)
    description = models.TextField("mô tả", blank=True)
    group = models.CharField("nhóm", max_length=100, blank=True)
    keywords = models.CharField("từ khóa", max_length=300, blank=True)
    deadline_days = models.PositiveSmallIntegerField("thời hạn xử lý (ngày làm việc)", default=5)
    deadline_hours = models.PositiveSmallIntegerField("cộng thêm (giờ làm việc)", default=0)
    reopen_days = models.PositiveSmallIntegerField(
        "được mở lại trong (ngày)",
        default=7,
        help_text="Người phản ánh được mở lại phản ánh đã xử lý trong số ngày này.",
    )
    is_active = models.BooleanField("đang dùng", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "name"]
        verbose_name = "lĩnh vực phản ánh"
        verbose_name_plural = "lĩnh vực phản ánh"

    def __str__(self) -> str:
        return self.name


class Attribute(models.Model):
    """Câu hỏi bổ sung of a category: an Open311 service-definition attribute."""

    class Datatype(models.TextChoices):
        STRING = "string", "chuỗi ngắn"
        NUMBER = "number", "số"
        DATETIME = "datetime", "ngày giờ"
        TEXT = "text", "đoạn văn"
        SINGLE = "singlevaluelist", "chọn một"
        MULTI = "multivaluelist", "chọn nhiều"

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField("mã", max_length=40)
    description = models.CharField("câu hỏi", max_length=300)
    datatype = models.CharField(max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    datatype_description = models.CharField(max_length=300, blank=True)
    is_required = models.BooleanField("bắt buộc", default=False)
    order = models.PositiveSmallIntegerField(default=1)
    values = models.JSONField(
        "lựa chọn",
        default=list,
        blank=True,
        help_text='Danh sách {"key": ..., "name": ...} cho kiểu chọn một hoặc chọn nhiều.',
    )

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="feedback_attribute_code")
        ]
        verbose_name = "câu hỏi bổ sung"
        verbose_name_plural = "câu hỏi bổ sung"

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"


class RoutingRule(models.Model):
    """Ma trận phân công: category + commune (or every commune) → the responsible agency."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routes")
    commune = models.ForeignKey(
        Commune,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Để trống: áp dụng cho mọi xã, phường chưa có quy tắc riêng.",
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category", "commune"], name="feedback_route_per_commune"
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(commune__isnull=True),
                name="feedback_route_default",
            ),
        ]
        verbose_name = "quy tắc phân công"
        verbose_name_plural = "ma trận phân công"

    def __str__(self) -> str:
        return f"{self.category.code} · {self.commune or 'mọi xã'} → {self.agency.short_name}"


class ApiClient(models.Model):
    """Ứng dụng kết nối Open311: one client application, its hashed key and its rate limit."""

    name = models.CharField("tên ứng dụng", max_length=200, unique=True)
    key_prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    requests_per_minute = models.PositiveIntegerField("giới hạn yêu cầu/phút", default=60)
    is_active = models.BooleanField("đang hoạt động", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "ứng dụng Open311"
        verbose_name_plural = "ứng dụng Open311"

    def __str__(self) -> str:
        return self.name


class ApiUsage(models.Model):
    """Requests a client made in one minute (the rate limit's fixed window)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "minute"], name="feedback_usage_window")
        ]


class Report(models.Model):
    """Phản ánh hiện trường: what a citizen saw, where, and what the agency did about it."""

    class State(models.TextChoices):
        RECEIVED = "received", "đã tiếp nhận"
        VERIFIED = "verified", "đã xác minh"
        ASSIGNED = "assigned", "đã giao xử lý"
        IN_PROGRESS = "in_progress", "đang xử lý"
        RESOLVED = "resolved", "đã xử lý xong"
        REJECTED = "rejected", "từ chối"
        DUPLICATE = "duplicate", "trùng lặp"

    class Channel(models.TextChoices):
        WEB = "web", "cổng dịch vụ công"
        OPEN311 = "open311", "ứng dụng kết nối (Open311)"
        HOTLINE = "hotline", "đường dây nóng"
        COUNTER = "counter", "tại quầy"

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    description = models.TextField("nội dung")
    attributes = models.JSONField(default=dict, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField("địa điểm", max_length=300, blank=True)
    commune = models.ForeignKey(
        Commune, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    answer = models.TextField("trả lời công khai", blank=True)
    public_note = models.TextField(
        "ghi chú công khai mới nhất", blank=True, help_text="Open311 status_notes."
    )
    reason = models.TextField("lý do (từ chối)", blank=True)
    # Reporter: never published.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="field_reports",
    )
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_phone = models.CharField(max_length=20, blank=True)
    is_anonymous = models.BooleanField("ẩn danh", default=False)
    consents_to_publish = models.BooleanField("đồng ý công khai", default=False)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Cán bộ đường dây nóng hoặc tại quầy nhập thay người dân.",
    )
    api_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token = models.CharField(max_length=32, unique=True)
    received_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    due_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "received_at"], name="feedback_report_state_at"),
            models.Index(fields=["category", "received_at"], name="feedback_report_cat_at"),
        ]
        verbose_name = "phản ánh hiện trường"
        verbose_name_plural = "phản ánh hiện trường"

    def __str__(self) -> str:
        return f"PA-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_public(self) -> bool:
        """Shown on the public pages and through Open311 (contact details never are)."""
        return self.consents_to_publish and self.state != self.State.REJECTED


OPEN_STATES = frozenset(
    {
        Report.State.RECEIVED,
        Report.State.VERIFIED,
        Report.State.ASSIGNED,
        Report.State.IN_PROGRESS,
    }
)


class Photo(models.Model):
    """A photo of the report or of the answer's evidence; only the stripped copy is stored."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="feedback/photos/%Y/%m/")
    content_type = models.CharField(max_length=50)
    is_evidence = models.BooleanField("ảnh kết quả xử lý", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]


class Event(models.Model):
    """One line of a report's history; public lines appear on the report's page."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=Report.State.choices)
    note = models.TextField(blank=True)
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "pk"]


class Follower(models.Model):
    """Someone who asked to hear about a report's public changes."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "email"], name="feedback_follow_once")
        ]
