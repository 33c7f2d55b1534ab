"""What tinhso knows of each dossier's copy on the national portal.

Legal source: Decision 766/QĐ-TTg indicator 1.4 (share of dossiers synced to the national
portal): this row says which version of a dossier the portal holds.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy


class SyncState(models.Model):
    """Tình trạng đồng bộ hồ sơ với Cổng DVC quốc gia: one row per dossier ever synced."""

    dossier = models.OneToOneField(
        "dossiers.Dossier",
        on_delete=models.CASCADE,
        related_name="dvcqg_sync",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    # The dossier's version is the id of its latest timeline line (DossierEvent): it only
    # grows, one step per state change. `sent_version` is the newest one the portal holds.
    sent_version = models.PositiveBigIntegerField(gettext_lazy("phiên bản đã gửi"), default=0)
    progress_sent_through = models.PositiveBigIntegerField(
        gettext_lazy("tiến độ đã gửi đến dòng"), default=0
    )
    national_status = models.PositiveSmallIntegerField(
        gettext_lazy("trạng thái đã gửi (TrangThaiHoSo)"), null=True, blank=True
    )
    created_at_portal = models.BooleanField(gettext_lazy("đã có trên Cổng"), default=False)
    # One sender at a time per dossier: a lease, so two workers never send two versions out of
    # order (the later read always happens after the earlier send has finished).
    claimed_by = models.CharField(gettext_lazy("tiến trình đang gửi"), max_length=200, blank=True)
    claimed_until = models.DateTimeField(gettext_lazy("giữ đến"), null=True, blank=True)
    synced_at = models.DateTimeField(gettext_lazy("đồng bộ lúc"), null=True, blank=True)
    last_error = models.TextField(gettext_lazy("lỗi gần nhất"), blank=True)
    # Deliveries that failed talking to the portal (not those that found the dossier busy),
    # never reset: the retries stay visible after the sync has caught up (last_error is
    # cleared by the next success; last_failure is not).
    failed_attempts = models.PositiveIntegerField(gettext_lazy("số lần gửi lỗi"), default=0)
    last_failure = models.TextField(gettext_lazy("lỗi gửi gần nhất"), blank=True)
    last_failure_at = models.DateTimeField(gettext_lazy("lỗi gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("đồng bộ hồ sơ với Cổng DVC quốc gia")
        verbose_name_plural = gettext_lazy("đồng bộ hồ sơ với Cổng DVC quốc gia")

    def __str__(self) -> str:
        return f"{self.dossier} v{self.sent_version}"


class InboundDossier(models.Model):
    """Hồ sơ nộp trên Cổng DVC quốc gia: a dossier that came in from the national portal.

    Kept here, keyed by the dossier, because the dossiers app's tables are not this app's to
    change: the portal's own code (`MaHoSo`), unique, is what makes a repeated delivery of the
    same dossier find the first one, and what the outbound sync sends back as `MaHoSo`.
    """

    dossier = models.OneToOneField(
        "dossiers.Dossier",
        on_delete=models.CASCADE,
        related_name="dvcqg_inbound",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    national_code = models.CharField(gettext_lazy("mã hồ sơ trên Cổng (MaHoSo)"), max_length=60)
    client = models.ForeignKey(
        "people.ApiClient",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("ứng dụng kết nối đã gửi"),
    )
    submitted_at_portal = models.DateTimeField(
        gettext_lazy("nộp trên Cổng lúc (NgayNopHoSo)"), null=True, blank=True
    )
    received_at = models.DateTimeField(gettext_lazy("nhận lúc"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["national_code"], name="dvcqg_inbound_national_code")
        ]
        verbose_name = gettext_lazy("hồ sơ nhận từ Cổng DVC quốc gia")
        verbose_name_plural = gettext_lazy("hồ sơ nhận từ Cổng DVC quốc gia")

    def __str__(self) -> str:
        return self.national_code


class CatalogueChange(models.Model):
    """Thay đổi danh mục thủ tục chờ công bố: what the national procedure database says that
    the province's catalogue does not (yet). The catalogue sync lists it; an administrator
    publishes it (through the catalogue's importer) or sets it aside. Never published by the
    sync itself."""

    class Kind(models.TextChoices):
        NEW = "new", gettext_lazy("thủ tục mới")
        CHANGED = "changed", gettext_lazy("thủ tục có thay đổi")
        WITHDRAWN = "withdrawn", gettext_lazy("thủ tục bị bãi bỏ, không còn trên CSDL quốc gia")

    class State(models.TextChoices):
        WAITING = "waiting", gettext_lazy("chờ công bố")
        PUBLISHED = "published", gettext_lazy("đã công bố")
        DISMISSED = "dismissed", gettext_lazy("bỏ qua")
        SUPERSEDED = "superseded", gettext_lazy("đã có thay đổi mới hơn")

    code = models.CharField(gettext_lazy("mã thủ tục"), max_length=40)
    name = models.CharField(gettext_lazy("tên thủ tục"), max_length=500, blank=True)
    kind = models.CharField(gettext_lazy("loại thay đổi"), max_length=20, choices=Kind.choices)
    state = models.CharField(
        gettext_lazy("tình trạng"), max_length=20, choices=State.choices, default=State.WAITING
    )
    record = models.JSONField(gettext_lazy("bản ghi nguồn"), null=True, blank=True)
    content_hash = models.CharField(gettext_lazy("mã băm nội dung"), max_length=64, blank=True)
    detected_at = models.DateTimeField(gettext_lazy("phát hiện lúc"), auto_now_add=True)
    decided_at = models.DateTimeField(gettext_lazy("xử lý lúc"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "people.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người xử lý"),
    )

    class Meta:
        ordering = ["-detected_at", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(state="waiting"),
                name="dvcqg_one_waiting_change_per_procedure",
            )
        ]
        verbose_name = gettext_lazy("thay đổi danh mục thủ tục")
        verbose_name_plural = gettext_lazy("thay đổi danh mục thủ tục")

    def __str__(self) -> str:
        return f"{self.code} ({self.get_kind_display()})"
