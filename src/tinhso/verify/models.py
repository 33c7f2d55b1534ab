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
    # The outcome of the last signature check of the stored file (`actions.check_signature`),
    # made when it was sealed and at each re-check (`actions.recheck`): the public page shows
    # it with its date and never verifies per view (revocation checks may use the network).
    signature_valid = models.BooleanField(default=False, verbose_name="chữ ký số hợp lệ")
    signature_note = models.CharField(
        max_length=500, blank=True, verbose_name="lý do chữ ký số không hợp lệ"
    )
    signature_checked_at = models.DateTimeField(
        null=True, verbose_name="thời điểm kiểm tra chữ ký số"
    )

    class Meta:
        verbose_name = "kết quả điện tử"
        verbose_name_plural = "kết quả điện tử"

    def __str__(self) -> str:
        return f"{self.kind_name} ({self.code})"

    @property
    def printed_code(self) -> str:
        """The code as printed on the paper, in groups of four."""
        from tinhso.verify import codes

        return codes.printed(self.code)


class FailedLookup(models.Model):
    """An unknown code tried on /xac-thuc/, kept a few minutes to rate-limit guessing per
    client address (`queries.find`)."""

    client = models.CharField(max_length=64, verbose_name="địa chỉ truy cập")
    at = models.DateTimeField(verbose_name="thời điểm")

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="verify_failed_client_at")]
        verbose_name = "lượt xác thực sai mã"
        verbose_name_plural = "lượt xác thực sai mã"


class UploadCheck(models.Model):
    """A file checked on /xac-thuc/<code> (the visitor's PDF, whose signature is verified then),
    kept a few minutes to rate-limit that work per client address (`queries.allow_upload`)."""

    client = models.CharField(max_length=64, verbose_name="địa chỉ truy cập")
    at = models.DateTimeField(verbose_name="thời điểm")

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="verify_upload_client_at")]
        verbose_name = "lượt kiểm tra tệp"
        verbose_name_plural = "lượt kiểm tra tệp"
