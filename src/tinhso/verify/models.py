"""Kết quả điện tử: a dossier's result PDF signed with the deciding agency's seal, with the
code printed on it (and in its QR code) that opens its public verification page.

Legal sources: Decree 45/2020/NĐ-CP (results issued electronically have the value of paper
ones; they enter the holder's store), Decree 30/2020/NĐ-CP Annex I (the agency's signature),
Decree 13/2023/NĐ-CP (the public page shows nothing personal beyond what the paper prints).
"""

from __future__ import annotations

from django.db import models


class ElectronicResult(models.Model):
    """One signed result: the file is the dossier result's own (`result.file`), already
    signed when the result row was written; this row keeps what the verification page shows."""

    result = models.OneToOneField(
        "dossiers.DossierResult",
        on_delete=models.CASCADE,
        related_name="electronic",
        verbose_name="kết quả giải quyết",
    )
    code = models.CharField(max_length=32, unique=True, verbose_name="mã xác thực")
    sha256 = models.CharField(max_length=64, verbose_name="mã băm SHA-256 của tệp đã ký")
    kind_name = models.CharField(max_length=500, verbose_name="loại giấy tờ")
    number = models.CharField(max_length=100, verbose_name="số hồ sơ")
    issuer = models.ForeignKey(
        "places.Agency",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cơ quan cấp",
    )
    issuer_name = models.CharField(max_length=300, verbose_name="tên cơ quan cấp")
    issued_on = models.DateField(verbose_name="ngày cấp")
    signed_at = models.DateTimeField(verbose_name="thời điểm ký số")
    signer = models.CharField(max_length=500, verbose_name="chứng thư số ký")
    certificate = models.ForeignKey(
        "documents.Certificate",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="chứng thư số của cơ quan",
    )

    class Meta:
        verbose_name = "kết quả điện tử"
        verbose_name_plural = "kết quả điện tử"

    def __str__(self) -> str:
        return f"{self.kind_name} ({self.code})"


class FailedLookup(models.Model):
    """An unknown code tried on /xac-thuc/, kept a few minutes to rate-limit guessing per
    client address (`queries.find`)."""

    client = models.CharField(max_length=64, verbose_name="địa chỉ truy cập")
    at = models.DateTimeField(verbose_name="thời điểm")

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="verify_failed_client_at")]
        verbose_name = "lượt xác thực sai mã"
        verbose_name_plural = "lượt xác thực sai mã"
