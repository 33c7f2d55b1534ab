"""Official documents (văn bản hành chính): registers, numbers, documents, files, handling,
exchange statuses, partners on the document axis and the certificate registry.

Legal sources: Decree 30/2020/NĐ-CP (Điều 14–23: outgoing and incoming documents, numbering,
registers; Annex I: format and digital signatures), QCVN 102:2016/BTTTT (edXML exchange and
status codes).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Direction(models.TextChoices):
    INCOMING = "incoming", "văn bản đến"
    OUTGOING = "outgoing", "văn bản đi"


class Urgency(models.TextChoices):
    """Mức độ khẩn (Annex I §III.2); the edXML Priority code is the index in this order."""

    NORMAL = "normal", "Thường"
    URGENT = "urgent", "Khẩn"
    VERY_URGENT = "very_urgent", "Thượng khẩn"
    EXPRESS = "express", "Hỏa tốc"


class Secrecy(models.TextChoices):
    """Độ mật (Annex I §III.2, Law on Protection of State Secrets 2018)."""

    NONE = "", "Không mật"
    CONFIDENTIAL = "confidential", "MẬT"
    SECRET = "secret", "TỐI MẬT"
    TOP_SECRET = "top_secret", "TUYỆT MẬT"


class Register(models.Model):
    """Sổ đăng ký văn bản: one per agency, year, direction and sequence.

    `last_number` is the counter row: issuing a number locks it (SELECT … FOR UPDATE on
    PostgreSQL; SQLite transactions begin IMMEDIATE), so each number is issued exactly once.
    """

    agency = models.ForeignKey(
        "places.Agency", on_delete=models.PROTECT, related_name="+", verbose_name="cơ quan"
    )
    year = models.PositiveSmallIntegerField(verbose_name="năm")
    direction = models.CharField(
        max_length=10, choices=Direction.choices, verbose_name="sổ đến hay sổ đi"
    )
    secret = models.BooleanField(
        default=False,
        help_text="Sổ riêng cho văn bản mật (Điều 15.1 Nghị định 30/2020).",
        verbose_name="sổ văn bản mật",
    )
    last_number = models.PositiveIntegerField(default=0, verbose_name="số đã cấp gần nhất")

    class Meta:
        verbose_name = "sổ đăng ký văn bản"
        verbose_name_plural = "sổ đăng ký văn bản"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "direction", "secret"], name="one_register_per_sequence"
            )
        ]

    def __str__(self) -> str:
        kind = "đến" if self.direction == Direction.INCOMING else "đi"
        secret = " (mật)" if self.secret else ""
        return f"Sổ văn bản {kind}{secret} {self.year} – {self.agency.short_name}"


class Document(models.Model):
    """Văn bản: one incoming or outgoing document of an agency."""

    class State(models.TextChoices):
        DRAFT = "draft", "Dự thảo"
        IN_REVIEW = "in_review", "Đang trình duyệt"
        APPROVED = "approved", "Đã duyệt"
        SIGNED = "signed", "Đã ký"
        ISSUED = "issued", "Đã ban hành"
        RECALLED = "recalled", "Đã thu hồi"
        RECEIVED = "received", "Đã đến"
        REJECTED = "rejected", "Từ chối tiếp nhận"
        REGISTERED = "registered", "Đã vào sổ"
        ASSIGNED = "assigned", "Đã phân công"
        FINISHED = "finished", "Hoàn thành"

    class Channel(models.TextChoices):
        ELECTRONIC = "electronic", "điện tử"
        PAPER = "paper", "giấy"

    agency = models.ForeignKey(
        "places.Agency", on_delete=models.PROTECT, related_name="+", verbose_name="cơ quan"
    )
    direction = models.CharField(
        max_length=10, choices=Direction.choices, verbose_name="văn bản đến hay đi"
    )
    state = models.CharField(max_length=20, choices=State.choices, verbose_name="trạng thái")
    channel = models.CharField(
        max_length=12, choices=Channel.choices, default="electronic", verbose_name="kênh"
    )
    doc_type = models.CharField("loại văn bản", max_length=5)
    subject = models.CharField("trích yếu", max_length=1000)
    content = models.TextField("nội dung", blank=True)
    urgency = models.CharField(
        max_length=12, choices=Urgency.choices, default=Urgency.NORMAL, verbose_name="độ khẩn"
    )
    secrecy = models.CharField(
        max_length=12, choices=Secrecy.choices, default="", blank=True, verbose_name="độ mật"
    )
    unit = models.CharField(
        "đơn vị soạn thảo", max_length=20, blank=True, help_text="Ký hiệu của công văn: UBND-VX."
    )
    # Outgoing: the number this agency issued. Incoming: the sender's number and notation.
    number = models.CharField("số", max_length=20, blank=True)
    notation = models.CharField("ký hiệu", max_length=60, blank=True)
    document_date = models.DateField("ngày văn bản", null=True, blank=True)
    place = models.CharField("địa danh", max_length=100, blank=True)
    signer_name = models.CharField(max_length=200, blank=True, verbose_name="người ký")
    signer_position = models.CharField(max_length=200, blank=True, verbose_name="chức vụ người ký")
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người ký",
    )
    sender_code = models.CharField("mã định danh nơi gửi", max_length=40, blank=True)
    sender_name = models.CharField("tác giả / nơi gửi", max_length=300, blank=True)
    # Incoming: the register and the số đến.
    register = models.ForeignKey(
        Register,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name="sổ",
    )
    register_number = models.PositiveIntegerField(null=True, blank=True, verbose_name="số đến")
    registered_at = models.DateTimeField(null=True, blank=True, verbose_name="thời điểm vào sổ")
    # edXML DocumentId: `{OrganId},{yyyy/MM/dd},{Số/Ký hiệu}`.
    exchange_id = models.CharField(max_length=200, blank=True, verbose_name="mã liên thông")
    signature_report = models.JSONField(
        default=dict, blank=True, verbose_name="kết quả kiểm tra chữ ký"
    )
    agency_signed = models.BooleanField(
        default=False,
        help_text="The agency's digital signature was added at issuance.",
        verbose_name="cơ quan đã ký số",
    )
    pending_change = models.CharField(
        max_length=10,
        blank=True,
        help_text="A recall or update the sender asked for, waiting for the clerk's answer.",
        verbose_name="thay đổi chờ",
    )
    pending_message = models.ForeignKey(
        "DocumentFile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="thông điệp chờ",
    )
    related = models.ManyToManyField(
        "self", blank=True, help_text="Văn bản liên quan.", verbose_name="văn bản liên quan"
    )
    dossier_codes = models.JSONField(
        default=list,
        blank=True,
        help_text="Mã hồ sơ TTHC liên quan (hồ sơ một cửa).",
        verbose_name="mã hồ sơ liên quan",
    )
    # Folded (tinhso.core.text.search_key) number, notation and subject: the heavier-weighted
    # part of the full-text index; `search_text` is everything (subject, content, sender,
    # the files' text). The index itself is outside the model (migration 0006).
    subject_key = models.TextField(blank=True, editable=False, verbose_name="khóa trích yếu")
    search_text = models.TextField(blank=True, editable=False, verbose_name="nội dung tìm kiếm")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người tạo",
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="thời điểm cập nhật")

    class Meta:
        verbose_name = "văn bản"
        verbose_name_plural = "văn bản"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "direction", "exchange_id"],
                condition=~models.Q(exchange_id=""),
                name="one_document_per_exchange_id",
            ),
            models.UniqueConstraint(
                fields=["register", "register_number"],
                condition=models.Q(register__isnull=False),
                name="one_document_per_register_number",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "direction", "state"]),
            # The list's newest-first order, and the years a search steps through (0011).
            models.Index(fields=["created_at", "id"], name="documents_created"),
        ]

    def __str__(self) -> str:
        return f"{self.number_and_notation or '(chưa có số)'} {self.subject[:80]}"

    @property
    def number_and_notation(self) -> str:
        if not self.number:
            return ""
        return f"{self.number}/{self.notation}" if self.notation else self.number


class IssuedNumber(models.Model):
    """Số đã cấp: every number a register issued, including cancelled ones (never reused)."""

    register = models.ForeignKey(
        Register, on_delete=models.PROTECT, related_name="numbers", verbose_name="sổ"
    )
    number = models.PositiveIntegerField(verbose_name="số")
    document = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_numbers",
        verbose_name="văn bản",
    )
    issued_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm cấp")
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name="thời điểm hủy")
    cancel_reason = models.CharField(max_length=500, blank=True, verbose_name="lý do hủy")

    class Meta:
        verbose_name = "số đã cấp"
        verbose_name_plural = "số đã cấp"
        ordering = ["register", "number"]
        constraints = [
            models.UniqueConstraint(fields=["register", "number"], name="number_issued_once")
        ]

    def __str__(self) -> str:
        return f"{self.number:02d} ({self.register})"


class DocumentFile(models.Model):
    """A file of a document: the main PDF, attachments, the editable source, earlier draft
        versions, the edXML.

        A draft uploaded as DOCX keeps the DOCX as `SOURCE` and its PDF conversion as `MAIN` (the
        file that is signed). When the drafter revises a returned draft, the current main and
        source files become `VERSION` rows: earlier versions are kept, never overwritten. Signing
    does the same with the approved, unsigned main file: the signed PDF is the new `MAIN`.
    """

    class Kind(models.TextChoices):
        MAIN = "main", "văn bản chính"
        ATTACHMENT = "attachment", "phụ lục, tài liệu kèm theo"
        SOURCE = "source", "tệp nguồn soạn thảo (DOCX)"
        VERSION = "version", "phiên bản dự thảo trước"
        EDXML = "edxml", "gói edXML"

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="files", verbose_name="văn bản"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name="loại tệp")
    name = models.CharField(max_length=255, verbose_name="tên")
    content_type = models.CharField(max_length=100, verbose_name="kiểu nội dung")
    data = models.BinaryField(verbose_name="dữ liệu")
    sha256 = models.CharField(max_length=64, verbose_name="mã băm SHA-256")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")

    class Meta:
        verbose_name = "tệp văn bản"
        verbose_name_plural = "tệp văn bản"
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return self.name


class ReviewStep(models.Model):
    """Bước trình duyệt: one reviewer's turn in the review and approval chain of a draft.

    The drafter submits the draft to an ordered list of reviewers (head of unit, deputy
    director or office chief, …) ending with the competent signer. Each submission is a
    `round`; within it, the pending step with the lowest `position` is the current reviewer's.
    A return ends the round (the later steps become `SKIPPED`); a resubmission starts a new
    round from the first reviewer. Steps are never deleted: they are the review history.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Chờ duyệt"
        APPROVED = "approved", "Đã duyệt"
        RETURNED = "returned", "Trả lại"
        SKIPPED = "skipped", "Không xét (đã trả lại ở bước trước)"

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="review_steps", verbose_name="văn bản"
    )
    round = models.PositiveSmallIntegerField(
        help_text="Lần trình: 1, 2, … (each submission).", verbose_name="vòng"
    )
    position = models.PositiveSmallIntegerField(
        help_text="Thứ tự trong lần trình, from 1.", verbose_name="thứ tự"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người duyệt",
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, verbose_name="trạng thái"
    )
    comment = models.TextField("ý kiến", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người trình",
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")
    acted_at = models.DateTimeField(null=True, blank=True, verbose_name="thời điểm xử lý")

    class Meta:
        verbose_name = "bước trình duyệt"
        verbose_name_plural = "bước trình duyệt"
        ordering = ["document", "round", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "round", "position"], name="one_review_step_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} · lần {self.round} · bước {self.position}"


class Assignment(models.Model):
    """Phân công xử lý: the leader's instruction to a unit or person, with a deadline.

    OPEN until the first progress note (`Progress`) makes it PROGRESS; `finish` closes both.
    """

    class State(models.TextChoices):
        OPEN = "open", "Chờ xử lý"
        PROGRESS = "progress", "Đang xử lý"
        DONE = "done", "Hoàn thành"

    ACTIVE = (State.OPEN, State.PROGRESS)

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="assignments", verbose_name="văn bản"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người xử lý",
    )
    unit = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="đơn vị",
    )
    instruction = models.TextField("ý kiến chỉ đạo", blank=True)
    deadline = models.DateTimeField("hạn xử lý")
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.OPEN, verbose_name="trạng thái"
    )
    result = models.TextField(blank=True, verbose_name="kết quả")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người phân công",
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name="thời điểm hoàn thành")

    class Meta:
        verbose_name = "phân công xử lý"
        verbose_name_plural = "phân công xử lý"
        ordering = ["document", "id"]


class Progress(models.Model):
    """Tiến độ xử lý: a note the assignee (or a leader) records on an assignment
    (Decree 30/2020 Điều 24: following up and recording the handling of incoming documents)."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="progress", verbose_name="phân công"
    )
    note = models.TextField("nội dung tiến độ")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người báo cáo",
    )
    at = models.DateTimeField(verbose_name="thời điểm")

    class Meta:
        verbose_name = "tiến độ xử lý"
        verbose_name_plural = "tiến độ xử lý"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.at:%d/%m/%Y %H:%M}"


class Recipient(models.Model):
    """Nơi nhận of an outgoing document, and the last status it reported."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="recipients", verbose_name="văn bản"
    )
    organ_id = models.CharField("mã định danh", max_length=40)
    name = models.CharField(max_length=300, verbose_name="nơi nhận")
    last_status = models.CharField(max_length=2, blank=True, verbose_name="trạng thái gần nhất")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="thời điểm cập nhật")

    class Meta:
        verbose_name = "nơi nhận"
        verbose_name_plural = "nơi nhận"
        constraints = [
            models.UniqueConstraint(fields=["document", "organ_id"], name="recipient_once")
        ]


class StatusEvent(models.Model):
    """A processing status (trạng thái xử lý, QCVN 102:2016) sent or received for a document."""

    class Code(models.TextChoices):
        ARRIVED = "01", "Đã đến"
        REJECTED = "02", "Từ chối tiếp nhận"
        ACCEPTED = "03", "Đã tiếp nhận"
        ASSIGNED = "04", "Phân công xử lý"
        PROCESSING = "05", "Đang xử lý"
        FINISHED = "06", "Hoàn thành"
        CANCELLED = "13", "Lấy lại"
        CHANGE_ACCEPTED = "15", "Đồng ý cập nhật / lấy lại / thu hồi"
        CHANGE_REJECTED = "16", "Từ chối cập nhật / lấy lại / thu hồi"

    document = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="statuses",
        verbose_name="văn bản",
    )
    outgoing = models.BooleanField(
        help_text="True: this instance sent the status.", verbose_name="văn bản đi"
    )
    organ_id = models.CharField(
        max_length=40, help_text="The agency that reported the status.", verbose_name="mã cơ quan"
    )
    exchange_id = models.CharField(max_length=200, verbose_name="mã liên thông")
    code = models.CharField(max_length=2, choices=Code.choices, verbose_name="mã")
    description = models.CharField(max_length=1000, blank=True, verbose_name="mô tả")
    at = models.DateTimeField(verbose_name="thời điểm")

    class Meta:
        verbose_name = "trạng thái xử lý"
        verbose_name_plural = "trạng thái xử lý"
        ordering = ["at", "id"]


class Partner(models.Model):
    """Đơn vị liên thông: an agency on the document axis this instance exchanges with.

    Messages from an organ id not listed here are refused with status 02. Its certificate
    (PEM) verifies the XML signature of its messages.
    """

    organ_id = models.CharField("mã định danh", max_length=40, unique=True)
    name = models.CharField(max_length=300, verbose_name="tên đơn vị")
    endpoint_url = models.URLField(max_length=500, blank=True, verbose_name="địa chỉ kết nối")
    certificate_pem = models.TextField(blank=True, verbose_name="chứng thư (PEM)")
    is_active = models.BooleanField(default=True, verbose_name="đang dùng")

    class Meta:
        verbose_name = "đơn vị liên thông"
        verbose_name_plural = "đơn vị liên thông"
        ordering = ["organ_id"]

    def __str__(self) -> str:
        return f"{self.organ_id} {self.name}"


class Certificate(models.Model):
    """Chứng thư số of an official or an agency, with where its key lives: the embedded
    keystore, a PKCS#11 token, or a remote signing service."""

    class State(models.TextChoices):
        ACTIVE = "active", "Đang hoạt động"
        REVOKED = "revoked", "Đã thu hồi"
        EXPIRED = "expired", "Hết hạn"

    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người sở hữu",
    )
    owner_agency = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cơ quan sở hữu",
    )
    subject = models.CharField(max_length=500, verbose_name="trích yếu")
    serial = models.CharField(max_length=80, verbose_name="số sê-ri")
    issuer = models.CharField(max_length=500, verbose_name="tổ chức cấp")
    not_before = models.DateTimeField(verbose_name="hiệu lực từ")
    not_after = models.DateTimeField(verbose_name="hiệu lực đến")
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.ACTIVE, verbose_name="tình trạng"
    )
    certificate_pem = models.TextField(verbose_name="chứng thư (PEM)")
    pkcs12 = models.BinaryField(
        null=True,
        blank=True,
        help_text="Embedded keystore (PKCS#12); empty for USB tokens.",
        verbose_name="tệp khóa (PKCS#12)",
    )
    remote_url = models.URLField(
        blank=True,
        help_text="Remote signing service (CSC API v2) holding the key.",
        verbose_name="địa chỉ dịch vụ ký từ xa",
    )
    remote_credential_id = models.CharField(
        max_length=200, blank=True, verbose_name="mã chứng thư ở dịch vụ ký từ xa"
    )
    pkcs11_uri = models.CharField(
        max_length=500,
        blank=True,
        help_text="Key on a PKCS#11 token or HSM, as an RFC 7512 URI "
        "(pkcs11:token=...;object=...); the PIN is asked at signing time.",
        verbose_name="địa chỉ token (PKCS#11)",
    )
    is_test = models.BooleanField(
        default=False, help_text="Issued by the demo TEST CA.", verbose_name="dùng để thử"
    )
    stamp_image = models.BinaryField(
        null=True,
        blank=True,
        help_text="PNG shown in the visible signature: the signer's handwritten signature "
        "(blue) or the agency's seal (red), transparent background (Annex I §II.7).",
        verbose_name="hình con dấu",
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")

    class Meta:
        verbose_name = "chứng thư số"
        verbose_name_plural = "chứng thư số"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "serial"], name="certificate_once")
        ]

    def __str__(self) -> str:
        return self.subject


class ReceiveAttempt(models.Model):
    """A request admitted by the edXML receiving endpoint, kept a few minutes to rate-limit
    it per client address and per partner (`throttle.py`, security issue item 9)."""

    key = models.CharField(max_length=80, verbose_name="địa chỉ hoặc đơn vị gửi")
    at = models.DateTimeField(verbose_name="thời điểm")

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="documents_receive_key_at")]
        verbose_name = "lượt nhận gói tin"
        verbose_name_plural = "lượt nhận gói tin"


class TrustedRoot(models.Model):
    """A root certificate an administrator trusts for verifying signed PDFs (the government
    CA roots; in the demo, the TEST CA)."""

    name = models.CharField(max_length=300, verbose_name="tên")
    certificate_pem = models.TextField(verbose_name="chứng thư (PEM)")
    is_test = models.BooleanField(default=False, verbose_name="dùng để thử")
    is_active = models.BooleanField(default=True, verbose_name="đang dùng")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="thời điểm tạo")

    class Meta:
        verbose_name = "chứng thư gốc tin cậy"
        verbose_name_plural = "chứng thư gốc tin cậy"

    def __str__(self) -> str:
        return self.name
