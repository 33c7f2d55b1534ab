"""Administrative units and agencies (đơn vị hành chính, cơ quan).

Legal sources: Resolution 202/2025/QH15 (34 provinces from 1 July 2025) and the resolutions
that rearranged communes into the two-level local government; Decision 20/2020/QĐ-TTg as
amended by Decision 09/2025/QĐ-TTg (agency identifier codes, mã định danh).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from tinhso.places.codes import validate_agency_code, validate_short_name


class DivisionType(models.TextChoices):
    PROVINCE = "tỉnh", "tỉnh"
    CENTRAL_CITY = "thành phố trung ương", "thành phố trực thuộc trung ương"
    COMMUNE = "xã", "xã"
    WARD = "phường", "phường"
    SPECIAL_ZONE = "đặc khu", "đặc khu"


class Province(models.Model):
    """Tỉnh, thành phố trực thuộc trung ương (after 1 July 2025)."""

    code = models.PositiveSmallIntegerField(unique=True, verbose_name="mã")
    name = models.CharField(max_length=100, verbose_name="tên")
    division_type = models.CharField(
        max_length=30, choices=DivisionType.choices, verbose_name="loại đơn vị"
    )
    codename = models.CharField(max_length=100, verbose_name="tên mã")
    phone_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="mã vùng điện thoại"
    )
    search_key = models.CharField(
        max_length=200, db_index=True, default="", verbose_name="khóa tìm kiếm"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "tỉnh, thành phố"
        verbose_name_plural = "tỉnh, thành phố"

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        prefix = "Thành phố" if self.division_type == DivisionType.CENTRAL_CITY else "Tỉnh"
        return f"{prefix} {self.name}"


class Commune(models.Model):
    """Xã, phường, đặc khu: the lower level of the two-level local government."""

    code = models.PositiveIntegerField(unique=True, verbose_name="mã")
    name = models.CharField(max_length=100, verbose_name="tên")
    division_type = models.CharField(
        max_length=30, choices=DivisionType.choices, verbose_name="loại đơn vị"
    )
    codename = models.CharField(max_length=100, verbose_name="tên mã")
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="communes", verbose_name="tỉnh, thành phố"
    )
    search_key = models.CharField(
        max_length=200, db_index=True, default="", verbose_name="khóa tìm kiếm"
    )

    class Meta:
        ordering = ["province__code", "code"]
        verbose_name = "xã, phường, đặc khu"
        verbose_name_plural = "xã, phường, đặc khu"

    def __str__(self) -> str:
        return f"{self.division_type.capitalize()} {self.name}"


class LegacyProvince(models.Model):
    """Tỉnh trước 1/7/2025: one of the 63 provinces before the reform, kept for old records.

    Its code is the old GSO code, which is also the first three digits of personal ID
    numbers registered there. The same number can be a *different* province today (old 15 was
    Yên Bái, new 15 is Lào Cai): always go through `successor`.
    """

    code = models.PositiveSmallIntegerField(unique=True, verbose_name="mã")
    name = models.CharField(max_length=100, verbose_name="tên")
    division_type = models.CharField(
        max_length=30, choices=DivisionType.choices, verbose_name="loại đơn vị"
    )
    successor = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="predecessors", verbose_name="tỉnh kế thừa"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "tỉnh cũ (trước 1/7/2025)"
        verbose_name_plural = "tỉnh cũ (trước 1/7/2025)"

    def __str__(self) -> str:
        return f"{self.name} (cũ, mã {self.code:02d})"


class Agency(models.Model):
    """Cơ quan, đơn vị: a node of the government tree, with its identifier code."""

    class Level(models.TextChoices):
        PROVINCE = "province", "UBND tỉnh"
        DEPARTMENT = "department", "sở, ban, ngành"
        SERVICE_CENTRE = "service_centre", "Trung tâm Phục vụ hành chính công"
        COMMUNE = "commune", "UBND xã, phường, đặc khu"
        UNIT = "unit", "phòng, bộ phận"

    code = models.CharField(
        "mã định danh",
        max_length=40,
        unique=True,
        validators=[validate_agency_code],
        error_messages={"unique": "Mã định danh này đã dùng cho một cơ quan, đơn vị khác."},
        help_text="Theo Quyết định 20/2020/QĐ-TTg, ví dụ 000.00.00.H41.",
    )
    name = models.CharField(max_length=255, verbose_name="tên")
    short_name = models.CharField(
        max_length=30,
        validators=[validate_short_name],
        help_text="Chữ viết tắt dùng trong ký hiệu văn bản, ví dụ UBND, SXD.",
        verbose_name="tên viết tắt",
    )
    level = models.CharField(max_length=20, choices=Level.choices, verbose_name="cấp")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="cơ quan cấp trên",
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="agencies", verbose_name="tỉnh, thành phố"
    )
    commune = models.ForeignKey(
        Commune,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
        verbose_name="xã, phường",
    )
    is_active = models.BooleanField(default=True, verbose_name="đang dùng")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="thời điểm cập nhật")

    class Meta:
        ordering = ["code"]
        verbose_name = "cơ quan, đơn vị"
        verbose_name_plural = "cơ quan, đơn vị"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Rules across fields: the tree has no cycles and stays inside one province."""
        errors: dict[str, str] = {}
        commune, parent = self.commune, self.parent
        if (
            commune is not None
            and self.province_id is not None
            and commune.province_id != self.province_id
        ):
            errors["commune"] = "Xã, phường, đặc khu không thuộc tỉnh, thành phố đã chọn."
        if self.level == self.Level.COMMUNE and commune is None:
            errors["commune"] = "UBND xã, phường, đặc khu phải gắn với một xã, phường, đặc khu."
        if parent is not None:
            if self.province_id is not None and parent.province_id != self.province_id:
                errors["parent"] = "Cơ quan cấp trên phải thuộc cùng tỉnh, thành phố."
            elif self._is_ancestor_of_parent():
                errors["parent"] = (
                    "Không thể chọn chính đơn vị này hoặc một đơn vị trực thuộc nó làm cấp trên."
                )
        if errors:
            raise ValidationError(errors)

    def _is_ancestor_of_parent(self) -> bool:
        if self.pk is None:
            return False
        seen: set[int] = set()
        node_id = self.parent_id
        while node_id is not None and node_id not in seen:
            if node_id == self.pk:
                return True
            seen.add(node_id)
            node_id = Agency.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()
        return False


class CommuneBoundary(models.Model):
    """Ranh giới xã: a commune's boundary as (Multi)Polygon rings, from the province's own
    boundary data (`tinhso places import-boundaries`). The bounding box is kept in columns so
    the few communes that may contain a point are found by an index before the exact test."""

    commune = models.OneToOneField(
        Commune, on_delete=models.CASCADE, related_name="boundary", verbose_name="xã, phường"
    )
    polygons = models.JSONField(
        help_text="GeoJSON MultiPolygon coordinates, WGS 84.", verbose_name="đa giác"
    )
    west = models.FloatField(verbose_name="kinh độ tây")
    south = models.FloatField(verbose_name="vĩ độ nam")
    east = models.FloatField(verbose_name="kinh độ đông")
    north = models.FloatField(verbose_name="vĩ độ bắc")
    source = models.CharField(max_length=200, blank=True, verbose_name="nguồn")
    imported_at = models.DateTimeField(auto_now=True, verbose_name="thời điểm nhập")

    class Meta:
        verbose_name = "ranh giới xã"
        verbose_name_plural = "ranh giới xã"
        indexes = [models.Index(fields=["south", "north", "west", "east"], name="boundary_bbox")]

    def __str__(self) -> str:
        return str(self.commune)
