"""Administrative units and agencies (đơn vị hành chính, cơ quan).

Legal sources: Resolution 202/2025/QH15 (34 provinces from 1 July 2025) and the resolutions
that rearranged communes into the two-level local government; Decision 20/2020/QĐ-TTg as
amended by Decision 09/2025/QĐ-TTg (agency identifier codes, mã định danh).
"""

from __future__ import annotations

from django.db import models


class DivisionType(models.TextChoices):
    PROVINCE = "tỉnh", "tỉnh"
    CENTRAL_CITY = "thành phố trung ương", "thành phố trực thuộc trung ương"
    COMMUNE = "xã", "xã"
    WARD = "phường", "phường"
    SPECIAL_ZONE = "đặc khu", "đặc khu"


class Province(models.Model):
    """Tỉnh, thành phố trực thuộc trung ương (after 1 July 2025)."""

    code = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)
    division_type = models.CharField(max_length=30, choices=DivisionType.choices)
    codename = models.CharField(max_length=100)
    phone_code = models.PositiveSmallIntegerField(null=True, blank=True)
    search_key = models.CharField(max_length=200, db_index=True, default="")

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

    code = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=100)
    division_type = models.CharField(max_length=30, choices=DivisionType.choices)
    codename = models.CharField(max_length=100)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    search_key = models.CharField(max_length=200, db_index=True, default="")

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

    code = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)
    division_type = models.CharField(max_length=30, choices=DivisionType.choices)
    successor = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="predecessors")

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

    code = models.CharField("mã định danh", max_length=40, unique=True)  # e.g. 000.00.00.H41
    name = models.CharField(max_length=255)
    short_name = models.CharField(
        max_length=30, help_text="Chữ viết tắt dùng trong ký hiệu văn bản, ví dụ UBND, SXD."
    )
    level = models.CharField(max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="agencies")
    commune = models.ForeignKey(
        Commune, null=True, blank=True, on_delete=models.PROTECT, related_name="agencies"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "cơ quan, đơn vị"
        verbose_name_plural = "cơ quan, đơn vị"

    def __str__(self) -> str:
        return self.name
