"""Citizen field reports (phản ánh hiện trường, PAHT); Open311 clients are people.ApiClient.

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
from django.utils.translation import gettext_lazy as _

from tinhso.places.models import Agency, Commune


class Category(models.Model):
    """Lĩnh vực phản ánh: an Open311 service, with its deadline and extra questions."""

    code = models.SlugField(_("mã (service_code)"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    group = models.CharField(_("nhóm"), max_length=100, blank=True)
    keywords = models.CharField(_("từ khóa"), max_length=300, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("thời hạn xử lý (ngày làm việc)"), default=5)
    deadline_hours = models.PositiveSmallIntegerField(_("cộng thêm (giờ làm việc)"), default=0)
    reopen_days = models.PositiveSmallIntegerField(
        _("được mở lại trong (ngày)"),
        default=7,
        help_text=_("Người phản ánh được mở lại phản ánh đã xử lý trong số ngày này."),
    )
    is_active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("thời điểm tạo"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("thời điểm cập nhật"))

    class Meta:
        ordering = ["group", "name"]
        verbose_name = _("lĩnh vực phản ánh")
        verbose_name_plural = _("lĩnh vực phản ánh")

    def __str__(self) -> str:
        return self.name


class Attribute(models.Model):
    """Câu hỏi bổ sung of a category: an Open311 service-definition attribute."""

    class Datatype(models.TextChoices):
        STRING = "string", _("chuỗi ngắn")
        NUMBER = "number", _("số")
        DATETIME = "datetime", _("ngày giờ")
        TEXT = "text", _("đoạn văn")
        SINGLE = "singlevaluelist", _("chọn một")
        MULTI = "multivaluelist", _("chọn nhiều")

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        related_name="attributes",
        verbose_name=_("lĩnh vực phản ánh"),
    )
    code = models.SlugField(_("mã"), max_length=40)
    description = models.CharField(_("câu hỏi"), max_length=300)
    datatype = models.CharField(
        max_length=20,
        choices=Datatype.choices,
        default=Datatype.STRING,
        verbose_name=_("kiểu dữ liệu"),
    )
    datatype_description = models.CharField(
        max_length=300, blank=True, verbose_name=_("mô tả kiểu dữ liệu")
    )
    is_required = models.BooleanField(_("bắt buộc"), default=False)
    order = models.PositiveSmallIntegerField(default=1, verbose_name=_("thứ tự"))
    values = models.JSONField(
        _("lựa chọn"),
        default=list,
        blank=True,
        help_text=_('Danh sách {"key": ..., "name": ...} cho kiểu chọn một hoặc chọn nhiều.'),
    )

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="feedback_attribute_code")
        ]
        verbose_name = _("câu hỏi bổ sung")
        verbose_name_plural = _("câu hỏi bổ sung")

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"


class RoutingRule(models.Model):
    """Ma trận phân công: category + commune (or every commune) → the responsible agency."""

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        related_name="routes",
        verbose_name=_("lĩnh vực phản ánh"),
    )
    commune = models.ForeignKey(
        Commune,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Để trống: áp dụng cho mọi xã, phường chưa có quy tắc riêng."),
        verbose_name=_("xã, phường"),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan xử lý")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("thời điểm cập nhật"))

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
        verbose_name = _("quy tắc phân công")
        verbose_name_plural = _("ma trận phân công")

    def __str__(self) -> str:
        everywhere = _("mọi xã")
        return f"{self.category.code} · {self.commune or everywhere} → {self.agency.short_name}"


class Report(models.Model):
    """Phản ánh hiện trường: what a citizen saw, where, and what the agency did about it."""

    class State(models.TextChoices):
        RECEIVED = "received", _("đã tiếp nhận")
        VERIFIED = "verified", _("đã xác minh")
        ASSIGNED = "assigned", _("đã giao xử lý")
        IN_PROGRESS = "in_progress", _("đang xử lý")
        RESOLVED = "resolved", _("đã xử lý xong")
        REJECTED = "rejected", _("từ chối")
        DUPLICATE = "duplicate", _("trùng lặp")

    class Channel(models.TextChoices):
        WEB = "web", _("cổng dịch vụ công")
        OPEN311 = "open311", _("ứng dụng kết nối (Open311)")
        HOTLINE = "hotline", _("đường dây nóng")
        COUNTER = "counter", _("tại quầy")

    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("lĩnh vực phản ánh"),
    )
    description = models.TextField(_("nội dung"))
    attributes = models.JSONField(default=dict, blank=True, verbose_name=_("thông tin bổ sung"))
    lat = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, verbose_name=_("vĩ độ")
    )
    long = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, verbose_name=_("kinh độ")
    )
    address = models.CharField(_("địa điểm"), max_length=300, blank=True)
    commune = models.ForeignKey(
        Commune,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("xã, phường"),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("cơ quan xử lý")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người xử lý"),
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.RECEIVED, verbose_name=_("trạng thái")
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("trùng với"),
    )
    answer = models.TextField(_("trả lời công khai"), blank=True)
    public_note = models.TextField(
        _("ghi chú công khai mới nhất"), blank=True, help_text=_("Open311 status_notes.")
    )
    reason = models.TextField(_("lý do (từ chối)"), blank=True)
    # Reporter: never published.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="field_reports",
        verbose_name=_("người phản ánh"),
    )
    reporter_name = models.CharField(
        max_length=200, blank=True, verbose_name=_("tên người phản ánh")
    )
    reporter_email = models.EmailField(blank=True, verbose_name=_("thư điện tử người phản ánh"))
    reporter_phone = models.CharField(
        max_length=20, blank=True, verbose_name=_("số điện thoại người phản ánh")
    )
    is_anonymous = models.BooleanField(_("ẩn danh"), default=False)
    consents_to_publish = models.BooleanField(_("đồng ý công khai"), default=False)
    channel = models.CharField(
        max_length=20, choices=Channel.choices, default=Channel.WEB, verbose_name=_("kênh")
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Cán bộ đường dây nóng hoặc tại quầy nhập thay người dân."),
        verbose_name=_("cán bộ nhập thay"),
    )
    api_client = models.ForeignKey(
        "people.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ứng dụng kết nối"),
    )
    token = models.CharField(max_length=32, unique=True, verbose_name=_("mã"))
    received_at = models.DateTimeField(db_index=True, verbose_name=_("thời điểm tiếp nhận"))
    updated_at = models.DateTimeField(verbose_name=_("thời điểm cập nhật"))
    due_at = models.DateTimeField(verbose_name=_("hạn"))
    escalated_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("thời điểm chuyển cấp trên")
    )
    resolved_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("thời điểm xử lý xong")
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("đánh giá"))

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "received_at"], name="feedback_report_state_at"),
            models.Index(fields=["category", "received_at"], name="feedback_report_cat_at"),
        ]
        verbose_name = _("phản ánh hiện trường")
        verbose_name_plural = _("phản ánh hiện trường")

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
    """A photo or short video of the report or of the answer's evidence (tinhso.feedback.media).

    Only stripped copies are stored. `image` is always a picture: the photo itself, or a
    video's poster frame, so the pages and Open311 `media_url` show an image either way; a
    video's clip is in `video`. (The table keeps its first name, Photo: renaming it would
    touch every reader for no gain.)"""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("ảnh")
        VIDEO = "video", _("video")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="photos", verbose_name=_("phản ánh")
    )
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.PHOTO)
    image = models.FileField(upload_to="feedback/photos/%Y/%m/", verbose_name=_("ảnh"))
    video = models.FileField(
        upload_to="feedback/videos/%Y/%m/", blank=True, verbose_name=_("video")
    )
    content_type = models.CharField(
        max_length=50, verbose_name=_("kiểu nội dung")
    )  # of `video` for a video, else of `image`
    is_evidence = models.BooleanField(_("ảnh kết quả xử lý"), default=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("thời điểm tạo"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("ảnh, video")
        verbose_name_plural = _("ảnh, video")


class Event(models.Model):
    """One line of a report's history; public lines appear on the report's page."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="events", verbose_name=_("phản ánh")
    )
    at = models.DateTimeField(verbose_name=_("thời điểm"))
    state = models.CharField(
        max_length=20, choices=Report.State.choices, verbose_name=_("trạng thái")
    )
    note = models.TextField(blank=True, verbose_name=_("ghi chú"))
    is_public = models.BooleanField(default=True, verbose_name=_("công khai"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("diễn biến xử lý")
        verbose_name_plural = _("diễn biến xử lý")


class Follower(models.Model):
    """Someone who asked to hear about a report's public changes."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="followers", verbose_name=_("phản ánh")
    )
    email = models.EmailField(verbose_name=_("thư điện tử"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("thời điểm tạo"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "email"], name="feedback_follow_once")
        ]
        verbose_name = _("người theo dõi")
        verbose_name_plural = _("người theo dõi")
