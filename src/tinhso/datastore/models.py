"""The citizen's and organisation's electronic data store (kho quản lý dữ liệu điện tử).

Legal sources: Decree 45/2020/NĐ-CP (art. 2 and 16: the store of each citizen and
organisation on the portal, documents already held are not asked for again, "dẫn nguồn tài
liệu từ Kho"); Decree 13/2023/NĐ-CP and the Law on Personal Data Protection 2025 (a stored
document is personal data: every official who reads it is recorded, and the owner sees
who). The article-level rules on retention and on what the citizen may change were not read
[UNCONFIRMED]; docs/datastore.md says which choices are configurable.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy, pgettext_lazy


class DocumentKind(models.Model):
    """Loại giấy tờ: a kind of document, with the national result code (MaKetQua) if known."""

    code = models.CharField(gettext_lazy("mã"), max_length=40, unique=True)
    name = models.CharField(gettext_lazy("tên loại giấy tờ"), max_length=300)
    national_code = models.CharField(gettext_lazy("mã kết quả quốc gia"), max_length=60, blank=True)

    # The kinds an organisation holds (its upload form offers only these): the enterprise
    # registration, land use right and construction permit certificates, and "other". The
    # personal papers (identity card, passport, birth certificate...) are a citizen's.
    ORGANISATION_CODES = ("GCN-DKDN", "GCN-QSDD", "GPXD", "KHAC")

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("loại giấy tờ")
        verbose_name_plural = pgettext_lazy("số nhiều", "loại giấy tờ")

    def __str__(self) -> str:
        return self.name


def _upload_to(instance: StoredDocument, filename: str) -> str:
    return f"datastore/{filename}"


ORGANISATION_UPLOADED = gettext_lazy("tổ chức tự tải lên")


class StoredDocument(models.Model):
    """Giấy tờ trong kho: one document of a citizen's or an organisation's store."""

    class Provenance(models.TextChoices):
        DOSSIER_RESULT = "dossier_result", gettext_lazy("kết quả giải quyết hồ sơ")
        DIGITISED = "digitised", gettext_lazy("số hóa tại Bộ phận Một cửa")
        UPLOADED = "uploaded", gettext_lazy("công dân tự tải lên")
        NATIONAL_STORE = "national_store", gettext_lazy("lấy từ kho dữ liệu quốc gia")

    class Signature(models.TextChoices):
        AGENCY_VERIFIED = "agency_verified", gettext_lazy("có chữ ký số của cơ quan, đã kiểm tra")
        CERTIFIED_COPY = "certified_copy", gettext_lazy("bản sao do cán bộ chứng thực")
        NONE = "none", gettext_lazy("không có chữ ký số")

    citizen = models.ForeignKey(
        "people.Citizen",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stored_documents",
        verbose_name=gettext_lazy("công dân"),
    )
    organisation = models.ForeignKey(
        "people.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stored_documents",
        verbose_name=gettext_lazy("tổ chức"),
    )
    kind = models.ForeignKey(
        DocumentKind,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=gettext_lazy("loại giấy tờ"),
    )
    number = models.CharField(gettext_lazy("số, ký hiệu"), max_length=100, blank=True)
    issuer_name = models.CharField(gettext_lazy("cơ quan cấp"), max_length=300, blank=True)
    issuer = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan cấp (trong hệ thống)"),
    )
    issued_on = models.DateField(gettext_lazy("ngày cấp"), null=True, blank=True)
    expires_on = models.DateField(gettext_lazy("ngày hết hạn"), null=True, blank=True)
    provenance = models.CharField(
        gettext_lazy("nguồn gốc"), max_length=20, choices=Provenance.choices
    )
    source_result = models.ForeignKey(
        "dossiers.DossierResult",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("kết quả hồ sơ"),
    )
    source_dossier_code = models.CharField(gettext_lazy("mã hồ sơ"), max_length=40, blank=True)
    digitised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cán bộ số hóa"),
    )
    national_ref = models.CharField(
        gettext_lazy("đường dẫn trong kho quốc gia"), max_length=500, blank=True
    )
    file = models.FileField(gettext_lazy("tệp"), upload_to=_upload_to, max_length=300)
    file_name = models.CharField(gettext_lazy("tên tệp"), max_length=255)
    file_kind = models.CharField(gettext_lazy("định dạng"), max_length=10)
    size = models.PositiveIntegerField(gettext_lazy("dung lượng (byte)"))
    sha256 = models.CharField(gettext_lazy("mã băm SHA-256"), max_length=64)
    signature = models.CharField(
        gettext_lazy("chữ ký"), max_length=20, choices=Signature.choices, default=Signature.NONE
    )
    created_at = models.DateTimeField(gettext_lazy("thời điểm đưa vào kho"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("giấy tờ trong kho")
        verbose_name_plural = pgettext_lazy("số nhiều", "giấy tờ trong kho")
        constraints = [
            models.CheckConstraint(
                condition=Q(citizen__isnull=False, organisation__isnull=True)
                | Q(citizen__isnull=True, organisation__isnull=False),
                name="datastore_document_one_owner",
            ),
            models.UniqueConstraint(
                fields=["source_result"],
                condition=Q(source_result__isnull=False),
                name="datastore_document_result_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind.name} {self.number}".strip()

    @property
    def ref(self) -> str:
        """The opaque reference commands and the dossier picker use."""
        return f"doc:{self.pk}"

    def is_expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today

    def may_be_changed_by_owner(self) -> bool:
        """Only what the citizen uploaded is theirs to delete; issued or digitised papers
        are the agency's record."""
        return self.provenance == self.Provenance.UPLOADED

    @property
    def provenance_label(self) -> str:
        """The provenance as the pages show it: an organisation's own upload was made by the
        organisation (one of its members), not by "the citizen"."""
        if self.provenance == self.Provenance.UPLOADED and self.organisation_id is not None:
            return str(ORGANISATION_UPLOADED)
        return str(self.get_provenance_display())

    @property
    def issuer_label(self) -> str:
        return self.issuer_name or (self.issuer.name if self.issuer is not None else "")


class DocumentShare(models.Model):
    """Chia sẻ giấy tờ: a time-limited link the owner gave to one named agency."""

    document = models.ForeignKey(
        StoredDocument,
        on_delete=models.CASCADE,
        related_name="shares",
        verbose_name=gettext_lazy("giấy tờ"),
    )
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan được chia sẻ"),
    )
    expires_at = models.DateTimeField(gettext_lazy("hết hạn lúc"))
    created_at = models.DateTimeField(gettext_lazy("thời điểm chia sẻ"), auto_now_add=True)
    # The owner may end a share before its time (thu hồi): the link is then refused, and the
    # row stays so the owner still sees to whom it was given and whether it was used.
    revoked_at = models.DateTimeField(gettext_lazy("thu hồi lúc"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người thu hồi"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("chia sẻ giấy tờ")
        verbose_name_plural = pgettext_lazy("số nhiều", "chia sẻ giấy tờ")

    def __str__(self) -> str:
        return f"{self.document} → {self.agency}"

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class StoredDocumentRead(models.Model):
    """Lượt xem giấy tờ: which official read which stored document, when and why.

    The reader is an official's account or, for a read with no account behind it (an
    operator's `tinhso datastore export` on the server), a fixed label naming who read it
    (`actor_label`, e.g. "quản trị hệ thống (dòng lệnh)"): one of the two, never neither, so
    the owner always sees who."""

    SYSTEM_OPERATOR = gettext_lazy("quản trị hệ thống (dòng lệnh)")

    document = models.ForeignKey(
        StoredDocument,
        on_delete=models.CASCADE,
        related_name="reads",
        verbose_name=gettext_lazy("giấy tờ"),
    )
    official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cán bộ"),
    )
    actor_label = models.CharField(
        gettext_lazy("người xem (không có tài khoản)"), max_length=200, blank=True
    )
    agency = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan"),
    )
    share = models.ForeignKey(
        DocumentShare,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reads",
        verbose_name=gettext_lazy("qua lượt chia sẻ"),
    )
    reason = models.CharField(gettext_lazy("lý do"), max_length=300)
    at = models.DateTimeField(gettext_lazy("thời điểm xem"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = gettext_lazy("lượt xem giấy tờ")
        verbose_name_plural = pgettext_lazy("số nhiều", "lượt xem giấy tờ")
        constraints = [
            models.CheckConstraint(
                condition=Q(official__isnull=False) | ~Q(actor_label=""),
                name="datastore_read_names_its_reader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader} · {self.document}"

    @property
    def reader(self) -> str:
        """Who read it, as the owner's page shows it."""
        if self.official is not None:
            return str(getattr(self.official, "display_name", "") or self.official)
        return self.actor_label
