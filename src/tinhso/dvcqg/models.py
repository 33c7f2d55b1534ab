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

    class Meta:
        verbose_name = gettext_lazy("đồng bộ hồ sơ với Cổng DVC quốc gia")
        verbose_name_plural = gettext_lazy("đồng bộ hồ sơ với Cổng DVC quốc gia")

    def __str__(self) -> str:
        return f"{self.dossier} v{self.sent_version}"
