"""The catalogue of administrative procedures (thủ tục hành chính, TTHC).

Legal sources: Decree 63/2010/NĐ-CP as amended by Decree 92/2017/NĐ-CP (control of
administrative procedures, the national database and its codes such as ``1.001193``);
Decree 42/2022/NĐ-CP Art. 11 (online public services: toàn trình / một phần); Decree
45/2020/NĐ-CP (procedures in the electronic environment, the citizen's data store);
Decree 118/2025/NĐ-CP (one-stop shop, channels: online, counter, public postal service).

A procedure is edited by making a new version; a dossier keeps the version it was submitted
under. Only one version is published at a time; publishing is an audited action
(`tinhso.catalogue.actions.publish_version`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy


class Field(models.Model):
    """Lĩnh vực: the field a procedure belongs to, coded as in the national database."""

    code = models.CharField(gettext_lazy("mã lĩnh vực"), max_length=40, unique=True)
    name = models.CharField(gettext_lazy("tên lĩnh vực"), max_length=255)
    search_key = models.CharField(
        max_length=300, default="", blank=True, verbose_name=gettext_lazy("khóa tìm kiếm")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("lĩnh vực")
        verbose_name_plural = pgettext_lazy("số nhiều", "lĩnh vực")

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """Thủ tục hành chính: identified by its national code (mã TTHC)."""

    code = models.CharField(
        gettext_lazy("mã thủ tục"),
        max_length=40,
        unique=True,
        help_text=gettext_lazy("Mã trên Cơ sở dữ liệu quốc gia về TTHC, ví dụ 1.001193."),
    )
    name = models.CharField(gettext_lazy("tên thủ tục"), max_length=500)
    field = models.ForeignKey(
        Field,
        on_delete=models.PROTECT,
        related_name="procedures",
        verbose_name=gettext_lazy("lĩnh vực"),
    )
    levels = models.JSONField(gettext_lazy("cấp thực hiện"), default=list, blank=True)
    agency = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="procedures",
        verbose_name=gettext_lazy("cơ quan có thẩm quyền"),
    )
    is_active = models.BooleanField(gettext_lazy("đang áp dụng"), default=True)
    current_version = models.ForeignKey(
        "ProcedureVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("phiên bản đang công bố"),
    )
    name_key = models.CharField(
        max_length=500, default="", blank=True, verbose_name=gettext_lazy("khóa tên")
    )
    search_key = models.TextField(
        default="", blank=True, verbose_name=gettext_lazy("khóa tìm kiếm")
    )
    popularity = models.IntegerField(gettext_lazy("mức phổ biến"), default=0)
    source_id = models.CharField(
        gettext_lazy("mã nguồn (CSDL quốc gia)"), max_length=64, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))
    updated_at = models.DateTimeField(
        auto_now=True, verbose_name=gettext_lazy("thời điểm cập nhật")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = gettext_lazy("thủ tục hành chính")
        verbose_name_plural = pgettext_lazy("số nhiều", "thủ tục hành chính")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProcedureVersion(models.Model):
    """Phiên bản thủ tục: the content of a procedure as it stood at one time."""

    class State(models.TextChoices):
        DRAFT = "draft", gettext_lazy("bản nháp")
        PUBLISHED = "published", gettext_lazy("đang công bố")
        SUPERSEDED = "superseded", gettext_lazy("đã thay thế")

    class OnlineType(models.TextChoices):
        FULL = "toan_trinh", gettext_lazy("dịch vụ công trực tuyến toàn trình")
        PARTIAL = "mot_phan", gettext_lazy("dịch vụ công trực tuyến một phần")
        NONE = "khong", gettext_lazy("không cung cấp trực tuyến")

    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=gettext_lazy("thủ tục"),
    )
    number = models.PositiveIntegerField(gettext_lazy("số phiên bản"))
    state = models.CharField(
        max_length=20,
        choices=State.choices,
        default=State.DRAFT,
        verbose_name=gettext_lazy("trạng thái"),
    )
    published_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("thời điểm công bố")
    )
    name = models.CharField(gettext_lazy("tên thủ tục"), max_length=500)
    processing_days = models.DecimalField(
        gettext_lazy("thời hạn (ngày làm việc)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
    )
    processing_hours = models.DecimalField(
        gettext_lazy("thời hạn (giờ làm việc)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
    )
    processing_note = models.CharField(gettext_lazy("ghi chú thời hạn"), max_length=500, blank=True)
    online_type = models.CharField(
        gettext_lazy("mức dịch vụ công trực tuyến"),
        max_length=20,
        choices=OnlineType.choices,
        default=OnlineType.NONE,
    )
    channels = models.JSONField(gettext_lazy("cách thức thực hiện"), default=list, blank=True)
    fees = models.JSONField(gettext_lazy("phí, lệ phí"), default=list, blank=True)
    result_name = models.CharField(gettext_lazy("kết quả"), max_length=500, blank=True)
    legal_basis = models.TextField(gettext_lazy("căn cứ pháp lý"), blank=True)
    conditions = models.TextField(gettext_lazy("yêu cầu, điều kiện"), blank=True)
    steps = models.TextField(gettext_lazy("trình tự thực hiện"), blank=True)
    eform_schema = models.JSONField(
        gettext_lazy("biểu mẫu điện tử (JSON Schema)"), default=dict, blank=True
    )
    eform_layout = models.JSONField(gettext_lazy("bố cục biểu mẫu"), default=dict, blank=True)
    source_updated_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("thời điểm cập nhật ở nguồn")
    )
    content_hash = models.CharField(
        max_length=64, blank=True, verbose_name=gettext_lazy("mã băm nội dung")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))

    class Meta:
        ordering = ["procedure", "-number"]
        verbose_name = gettext_lazy("phiên bản thủ tục")
        verbose_name_plural = pgettext_lazy("số nhiều", "phiên bản thủ tục")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="catalogue_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=models.Q(state="published"),
                name="catalogue_one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} ({self.get_state_display()})"

    @property
    def total_fee(self) -> int:
        return total_fee(self.fees)

    @property
    def processing_label(self) -> str:
        """The processing time as a citizen reads it."""
        return processing_label(self.processing_days, self.processing_hours, self.processing_note)

    def accepts_online(self) -> bool:
        return self.online_type != self.OnlineType.NONE and "online" in self.channels


def total_fee(fees: list[dict[str, Any]]) -> int:
    """The sum of a fee table's amounts (`ProcedureVersion.total_fee`, and the search's list
    rows, which are not model instances)."""
    return sum(int(fee.get("amount") or 0) for fee in fees)


def processing_label(days: Decimal | None, hours: Decimal | None, note: str) -> str:
    """The processing time as a citizen reads it (`ProcedureVersion.processing_label`)."""
    if days is not None:
        return _("%(days)s ngày làm việc") % {"days": _plain(days)}
    if hours is not None:
        return _("%(hours)s giờ làm việc") % {"hours": _plain(hours)}
    return note or _("Chưa xác định")


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


class ComponentRequirement(models.Model):
    """Thành phần hồ sơ: one document the dossier must (or may) contain."""

    version = models.ForeignKey(
        ProcedureVersion,
        on_delete=models.CASCADE,
        related_name="components",
        verbose_name=gettext_lazy("phiên bản"),
    )
    position = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("thứ tự"))
    code = models.CharField(gettext_lazy("mã giấy tờ"), max_length=80, blank=True)
    name = models.TextField(gettext_lazy("tên giấy tờ"))
    originals = models.PositiveSmallIntegerField(gettext_lazy("số bản chính"), default=0)
    copies = models.PositiveSmallIntegerField(gettext_lazy("số bản sao"), default=0)
    form_file = models.FileField(
        gettext_lazy("mẫu đơn, tờ khai"), upload_to="catalogue/forms/", blank=True
    )
    required = models.BooleanField(gettext_lazy("bắt buộc"), default=True)
    from_datastore = models.BooleanField(gettext_lazy("có thể lấy từ kho dữ liệu"), default=False)
    group = models.CharField(gettext_lazy("trường hợp"), max_length=500, blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = gettext_lazy("thành phần hồ sơ")
        verbose_name_plural = pgettext_lazy("số nhiều", "thành phần hồ sơ")

    def __str__(self) -> str:
        return self.name[:80]


class SearchTerm(models.Model):
    """A folded word that occurs in the catalogue: the vocabulary for typo correction."""

    word = models.CharField(max_length=60, unique=True, verbose_name=gettext_lazy("từ"))
    length = models.PositiveSmallIntegerField(db_index=True, verbose_name=gettext_lazy("độ dài"))
    frequency = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("tần suất"))

    class Meta:
        verbose_name = gettext_lazy("từ tìm kiếm")
        verbose_name_plural = pgettext_lazy("số nhiều", "từ tìm kiếm")

    def __str__(self) -> str:
        return self.word


class Generation(models.Model):
    """One row: a token that changes in the same transaction as every write that can change
    what the catalogue search answers (publish, withdrawal, import, agency, popularity). The
    search's cached rankings are keyed by it (`tinhso.catalogue.search`), so a cached answer
    is never served once the catalogue it came from has changed, in any web worker."""

    token = models.BigIntegerField(default=0, verbose_name=gettext_lazy("thế hệ"))

    class Meta:
        verbose_name = gettext_lazy("thế hệ danh mục")
        verbose_name_plural = pgettext_lazy("số nhiều", "thế hệ danh mục")

    def __str__(self) -> str:
        return str(self.token)


class StoredDetail(models.Model):
    """One procedure's public detail (GET /api/v1/procedures/{code}) as the JSON bytes sent,
    per language and script prefix, with the catalogue generation it was rendered under
    (`tinhso.catalogue.api`). It is the answer only while that generation is current: every
    write that can change a detail changes the generation in its own transaction, so a stored
    detail is never served once its catalogue has changed. Shared by every web worker, so a
    detail is rendered once per generation, not once per worker; a hit is one query."""

    code = models.CharField(max_length=40, verbose_name=gettext_lazy("mã thủ tục"))
    language = models.CharField(max_length=8, verbose_name=gettext_lazy("ngôn ngữ"))
    prefix = models.CharField(max_length=100, verbose_name=gettext_lazy("tiền tố địa chỉ"))
    token = models.BigIntegerField(verbose_name=gettext_lazy("thế hệ"))
    content = models.BinaryField(verbose_name=gettext_lazy("nội dung JSON"))

    class Meta:
        verbose_name = gettext_lazy("chi tiết thủ tục đã dựng")
        verbose_name_plural = pgettext_lazy("số nhiều", "chi tiết thủ tục đã dựng")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "language", "prefix"], name="catalogue_storeddetail_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.language})"
