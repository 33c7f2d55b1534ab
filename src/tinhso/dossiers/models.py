"""Dossiers (hồ sơ thủ tục hành chính) submitted online, from draft to result.

Legal sources: Decree 118/2025/NĐ-CP (one-stop shop: receipt, supplement requests,
withdrawal, results, dossiers received through an authorised person; replaces Decree
61/2018); Civil Code 2015 Art. 136 and 138-143 (legal representatives, authorisation: who may
file for another person); Decree 42/2022/NĐ-CP (online public
services); Decree 45/2020/NĐ-CP (procedures in the electronic environment: electronic
receipts, the citizen's data store); Decision 766/QĐ-TTg (satisfaction indicator 5.4).

A dossier keeps the `ProcedureVersion` it was submitted under. A draft has no code and is not
a dossier yet: submission gives it its code, secret and appointment in one transaction, so
there is never a half-submitted dossier. The states beyond submission (reception,
processing, results) belong to the one-stop module (issue 4), which extends `State`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy


class Dossier(models.Model):
    """Hồ sơ TTHC."""

    class State(models.TextChoices):
        DRAFT = "draft", gettext_lazy("bản nháp")
        SUBMITTED = "submitted", gettext_lazy("đã nộp, chờ tiếp nhận")
        RECEIVED = "received", gettext_lazy("đã tiếp nhận, đang giải quyết")
        SUPPLEMENT_REQUESTED = "supplement_requested", gettext_lazy("yêu cầu bổ sung hồ sơ")
        APPROVED = "approved", gettext_lazy("đã phê duyệt, chờ kết quả")
        REFUSED = "refused", gettext_lazy("từ chối giải quyết")
        RESULT_READY = "result_ready", gettext_lazy("đã có kết quả")
        RETURNED = "returned", gettext_lazy("đã trả kết quả")
        REJECTED = "rejected", gettext_lazy("từ chối tiếp nhận")
        WITHDRAWN = "withdrawn", gettext_lazy("đã rút hồ sơ")

    class Delivery(models.TextChoices):
        ONLINE = "online", gettext_lazy("nhận trực tuyến")
        COUNTER = "counter", gettext_lazy("nhận tại Bộ phận Một cửa")
        POST = "post", gettext_lazy("nhận qua dịch vụ bưu chính công ích")

    class Channel(models.TextChoices):
        WEB = "web", gettext_lazy("cổng dịch vụ công")
        API = "api", gettext_lazy("kết nối (API)")
        COUNTER = "counter", gettext_lazy("nộp trực tiếp tại Bộ phận Một cửa")
        POST = "post", gettext_lazy("nộp qua dịch vụ bưu chính công ích")

    class Filing(models.TextChoices):
        """Who files: the account holder for themselves, or for another person (nộp thay)."""

        SELF = "self", gettext_lazy("tự nộp")
        ON_BEHALF = "on_behalf", gettext_lazy("nộp thay")

    class FeeStatus(models.TextChoices):
        NONE = "none", gettext_lazy("không thu phí, lệ phí")
        UNPAID = "unpaid", gettext_lazy("chưa nộp phí, lệ phí")
        PAID = "paid", gettext_lazy("đã nộp phí, lệ phí")

    code = models.CharField(
        gettext_lazy("mã hồ sơ"), max_length=60, unique=True, null=True, blank=True
    )
    # The look-up secret itself is never stored: only its keyed hash (`codes.secret_digest`).
    # The instance that issued it (submission, intake, reissue) carries it in `issued_secret`.
    lookup_secret_hash = models.CharField(
        gettext_lazy("mã tra cứu (băm)"), max_length=64, blank=True
    )
    version = models.ForeignKey(
        "catalogue.ProcedureVersion",
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=gettext_lazy("phiên bản"),
    )
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=gettext_lazy("cơ quan giải quyết"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=gettext_lazy("chủ sở hữu"),
    )
    applicant_name = models.CharField(gettext_lazy("người nộp"), max_length=200)
    applicant_phone = models.CharField(
        max_length=15, blank=True, verbose_name=gettext_lazy("số điện thoại người nộp")
    )
    applicant_email = models.EmailField(
        blank=True, verbose_name=gettext_lazy("thư điện tử người nộp")
    )
    applicant_address = models.CharField(
        max_length=300, blank=True, verbose_name=gettext_lazy("địa chỉ người nộp")
    )
    # The applicant is the person the dossier is for; on a dossier filed on behalf
    # (`filing`) it is the person represented, and the contacts above stay the filer's, who
    # follows the dossier from their account.
    applicant_personal_id = models.CharField(
        max_length=12, blank=True, verbose_name=gettext_lazy("số định danh người yêu cầu")
    )
    filing = models.CharField(
        max_length=10,
        choices=Filing.choices,
        default=Filing.SELF,
        verbose_name=gettext_lazy("cách nộp"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("tài khoản đã nộp"),
    )
    filer_name = models.CharField(
        max_length=200, blank=True, verbose_name=gettext_lazy("người nộp (chủ tài khoản)")
    )
    on_behalf_relation = models.CharField(
        max_length=100, blank=True, verbose_name=gettext_lazy("quan hệ với người được nộp thay")
    )
    form_data = models.JSONField(gettext_lazy("dữ liệu tờ khai"), default=dict, blank=True)
    form_complete = models.BooleanField(default=False, verbose_name=gettext_lazy("tờ khai đã đủ"))
    delivery = models.CharField(
        gettext_lazy("cách nhận kết quả"), max_length=20, choices=Delivery.choices, blank=True
    )
    delivery_address = models.CharField(
        gettext_lazy("địa chỉ nhận kết quả"), max_length=300, blank=True
    )
    channel = models.CharField(
        max_length=10,
        choices=Channel.choices,
        default=Channel.WEB,
        verbose_name=gettext_lazy("kênh"),
    )
    submitted_by_client = models.ForeignKey(
        "people.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=gettext_lazy("ứng dụng kết nối đã nộp"),
    )
    state = models.CharField(
        max_length=30,
        choices=State.choices,
        default=State.DRAFT,
        verbose_name=gettext_lazy("trạng thái"),
    )
    fee_total = models.PositiveIntegerField(gettext_lazy("phí, lệ phí (đồng)"), default=0)
    fee_status = models.CharField(
        max_length=10,
        choices=FeeStatus.choices,
        default=FeeStatus.NONE,
        verbose_name=gettext_lazy("tình trạng phí, lệ phí"),
    )
    submitted_at = models.DateTimeField(gettext_lazy("thời điểm nộp"), null=True, blank=True)
    appointment_at = models.DateTimeField(
        gettext_lazy("ngày hẹn trả kết quả"), null=True, blank=True
    )
    # --- the back office (issue 4) ---
    reception_agency = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_dossiers",
        verbose_name=gettext_lazy("nơi tiếp nhận"),
    )
    received_at = models.DateTimeField(gettext_lazy("thời điểm tiếp nhận"), null=True, blank=True)
    clock_start_at = models.DateTimeField(
        gettext_lazy("bắt đầu tính thời hạn"), null=True, blank=True
    )
    route = models.ForeignKey(
        "ProcessingRoute",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("quy trình"),
    )
    current_step = models.ForeignKey(
        "RouteStep",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("bước hiện tại"),
    )
    current_agency = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("đơn vị đang xử lý"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_dossiers",
        verbose_name=gettext_lazy("người đang xử lý"),
    )
    step_due_at = models.DateTimeField(gettext_lazy("hạn của bước"), null=True, blank=True)
    due_at = models.DateTimeField(gettext_lazy("hạn hiện hành"), null=True, blank=True)
    finished_at = models.DateTimeField(gettext_lazy("kết thúc xử lý"), null=True, blank=True)
    returned_at = models.DateTimeField(gettext_lazy("đã trả kết quả lúc"), null=True, blank=True)
    decision_reason = models.TextField(gettext_lazy("lý do từ chối"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))
    updated_at = models.DateTimeField(
        auto_now=True, verbose_name=gettext_lazy("thời điểm cập nhật")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = gettext_lazy("hồ sơ")
        verbose_name_plural = pgettext_lazy("số nhiều", "hồ sơ")
        indexes = [
            models.Index(fields=["owner", "state"], name="dossier_owner_state"),
            # an officer's queue: agency + state, ordered by due time
            models.Index(fields=["current_agency", "state", "due_at", "id"], name="dossier_queue"),
            models.Index(
                fields=["assignee", "state", "due_at", "id"], name="dossier_assignee_queue"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(code__isnull=False),
                name="dossier_code_once_submitted",
            )
        ]

    # The clear look-up secret, only on the instance that has just issued it; never saved.
    issued_secret: str = ""

    def __str__(self) -> str:
        return self.code or _("bản nháp #%(pk)s") % {"pk": self.pk}

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    @property
    def is_on_behalf(self) -> bool:
        return self.filing == self.Filing.ON_BEHALF

    def authorisation_files(self) -> list[DossierFile]:
        """The authorisation documents (giấy ủy quyền) attached for a filing on behalf."""
        return [f for f in self.files.all() if f.slot == DossierFile.Slot.AUTHORISATION]

    def can_be_withdrawn(self) -> bool:
        """Only before an officer takes it up (Decree 118/2025: withdrawal before processing)."""
        return self.state == self.State.SUBMITTED

    def can_be_rated(self) -> bool:
        return self.state not in {self.State.DRAFT}

    def open_supplement(self) -> SupplementRequest | None:
        return self.supplements.filter(answered_at__isnull=True).order_by("-requested_at").first()


def _upload_to(instance: DossierFile, filename: str) -> str:
    """Under the dossier's folder; a file written before its dossier exists (an API
    submission writes its files before the transaction that creates the dossier) goes to
    `dossiers/moi/`. The storage makes each name unique."""
    folder = instance.dossier_id or "moi"
    return f"dossiers/{folder}/{instance.sha256[:16]}.{instance.kind}"


class DossierFile(models.Model):
    """One electronic file of a dossier component (thành phần hồ sơ); several per component.

    A dossier filed on behalf of another person also carries the authorisation document
    (giấy ủy quyền) in a slot of its own: it belongs to the way the dossier was filed, not to
    the procedure, so it has no component.
    """

    class Slot(models.TextChoices):
        COMPONENT = "component", gettext_lazy("thành phần hồ sơ")
        AUTHORISATION = "authorisation", gettext_lazy("giấy ủy quyền")

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="files", verbose_name=gettext_lazy("hồ sơ")
    )
    slot = models.CharField(
        max_length=20,
        choices=Slot.choices,
        default=Slot.COMPONENT,
        verbose_name=gettext_lazy("loại giấy tờ"),
    )
    component = models.ForeignKey(
        "catalogue.ComponentRequirement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("thành phần hồ sơ"),
    )
    original_name = models.CharField(max_length=255, verbose_name=gettext_lazy("tên tệp gốc"))
    kind = models.CharField(
        max_length=10, verbose_name=gettext_lazy("loại")
    )  # pdf, jpg, png, docx, xlsx, odt
    size = models.PositiveIntegerField(verbose_name=gettext_lazy("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64, verbose_name=gettext_lazy("mã băm SHA-256"))
    file = models.FileField(upload_to=_upload_to, blank=True, verbose_name=gettext_lazy("tệp"))
    from_result = models.ForeignKey(
        "DossierResult",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reused_in",
        verbose_name=gettext_lazy("lấy từ kết quả đã cấp"),
    )
    from_stored = models.ForeignKey(
        "datastore.StoredDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reused_in",
        verbose_name=gettext_lazy("lấy từ kho dữ liệu"),
        help_text=gettext_lazy(
            "Giấy tờ trong kho dữ liệu của công dân được dùng lại (không tải lên lại, không "
            "sao chép tệp) hoặc bản số hóa tại quầy của thành phần này."
        ),
    )
    supplement = models.ForeignKey(
        "SupplementRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("yêu cầu bổ sung"),
    )
    digitised = models.BooleanField(
        gettext_lazy("đã số hóa"),
        default=True,
        help_text=gettext_lazy("Chỉ tiêu số hóa (QĐ 766): bản điện tử có giá trị."),
    )
    reused = models.BooleanField(
        gettext_lazy("tái sử dụng"),
        default=False,
        help_text=gettext_lazy(
            "Chỉ tiêu tái sử dụng (QĐ 766, DuocTaiSuDung): giấy tờ đã có (kết quả đã cấp, giấy "
            "tờ trong kho dữ liệu) được dùng lại thay vì nộp lại."
        ),
    )
    uploaded_at = models.DateTimeField(
        auto_now_add=True, verbose_name=gettext_lazy("thời điểm tải lên")
    )

    class Meta:
        ordering = ["component__position", "uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot="component", component__isnull=False)
                | models.Q(slot="authorisation", component__isnull=True),
                name="dossier_file_component_or_authorisation",
            )
        ]
        verbose_name = gettext_lazy("tệp thành phần hồ sơ")
        verbose_name_plural = pgettext_lazy("số nhiều", "tệp thành phần hồ sơ")

    def __str__(self) -> str:
        return self.original_name

    @property
    def from_national_store(self) -> bool:
        """DuocLayTuKhoDMQG: the stored document was fetched from the national store."""
        return self.from_stored is not None and self.from_stored.provenance == "national_store"


class DossierCounter(models.Model):
    """The last sequence number given by one agency on one day, locked while numbering."""

    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan"),
    )
    day = models.DateField(verbose_name=gettext_lazy("ngày"))
    last = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("lần cuối"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dossier_counter_per_day")
        ]
        verbose_name = gettext_lazy("bộ đếm mã hồ sơ")
        verbose_name_plural = gettext_lazy("bộ đếm mã hồ sơ")


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` sent with POST /api/v1/dossiers, and what it created.

    Keys are scoped to the signed-in account (`owner`) or, for a client application of another
    channel, to that client (`client`, with `owner` empty): the same key from two clients makes
    two dossiers.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("chủ sở hữu"),
    )
    client = models.ForeignKey(
        "people.ApiClient",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("ứng dụng kết nối"),
    )
    key = models.CharField(max_length=200, verbose_name=gettext_lazy("khóa"))
    request_hash = models.CharField(max_length=64, verbose_name=gettext_lazy("mã băm yêu cầu"))
    dossier = models.ForeignKey(
        Dossier,
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"],
                condition=models.Q(client__isnull=True),
                name="idempotency_key_per_owner",
            ),
            models.UniqueConstraint(
                fields=["client", "key"],
                condition=models.Q(client__isnull=False),
                name="idempotency_key_per_client",
            ),
            models.CheckConstraint(
                condition=models.Q(owner__isnull=True, client__isnull=False)
                | models.Q(owner__isnull=False, client__isnull=True),
                name="idempotency_key_owner_or_client",
            ),
        ]
        verbose_name = gettext_lazy("khóa chống gửi trùng")
        verbose_name_plural = gettext_lazy("khóa chống gửi trùng")


class DossierEvent(models.Model):
    """One line of the status timeline the citizen sees."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="events", verbose_name=gettext_lazy("hồ sơ")
    )
    at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm"))
    state = models.CharField(
        max_length=30, choices=Dossier.State.choices, verbose_name=gettext_lazy("trạng thái")
    )
    note = models.TextField(blank=True, verbose_name=gettext_lazy("ghi chú"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = gettext_lazy("lịch sử hồ sơ")
        verbose_name_plural = gettext_lazy("lịch sử hồ sơ")

    def __str__(self) -> str:
        return f"{self.dossier} {self.state}"


class SupplementRequest(models.Model):
    """Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02): the legal clock stops until it is answered."""

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="supplements",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    requested_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm yêu cầu"))
    reason = models.TextField(gettext_lazy("lý do"))
    fields = models.JSONField(gettext_lazy("trường cần sửa"), default=list, blank=True)
    components = models.ManyToManyField(
        "catalogue.ComponentRequirement",
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("thành phần hồ sơ"),
    )
    answered_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("thời điểm trả lời")
    )
    answer_note = models.TextField(blank=True, verbose_name=gettext_lazy("nội dung bổ sung"))
    items = models.JSONField(
        gettext_lazy("thành phần thiếu/sai và lý do"), default=list, blank=True
    )  # [{"component": id, "name": str, "reason": str}]
    during_processing = models.BooleanField(
        default=False, verbose_name=gettext_lazy("trong khi xử lý")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người yêu cầu"),
    )

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = gettext_lazy("yêu cầu bổ sung")
        verbose_name_plural = gettext_lazy("yêu cầu bổ sung")


class DossierResult(models.Model):
    """Kết quả giải quyết điện tử: a file the citizen downloads and may reuse later."""

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="results",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    name = models.CharField(max_length=500, verbose_name=gettext_lazy("tên"))
    file = models.FileField(upload_to="dossiers/results/", verbose_name=gettext_lazy("tệp"))
    kind = models.CharField(max_length=10, default="pdf", verbose_name=gettext_lazy("loại"))
    size = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("dung lượng (byte)"))
    sha256 = models.CharField(
        max_length=64, blank=True, verbose_name=gettext_lazy("mã băm SHA-256")
    )
    issued_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm cấp"))

    class Meta:
        ordering = ["-issued_at", "pk"]
        verbose_name = gettext_lazy("kết quả giải quyết")
        verbose_name_plural = gettext_lazy("kết quả giải quyết")

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """Đánh giá mức độ hài lòng (Decision 766/QĐ-TTg, indicator 5.4)."""

    class Level(models.TextChoices):
        VERY_SATISFIED = "very_satisfied", gettext_lazy("rất hài lòng")
        SATISFIED = "satisfied", gettext_lazy("hài lòng")
        NOT_SATISFIED = "not_satisfied", gettext_lazy("không hài lòng")

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, related_name="rating", verbose_name=gettext_lazy("hồ sơ")
    )
    level = models.CharField(
        max_length=20, choices=Level.choices, verbose_name=gettext_lazy("mức hài lòng")
    )
    comment = models.TextField(blank=True, verbose_name=gettext_lazy("nhận xét"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))

    class Meta:
        verbose_name = gettext_lazy("đánh giá")
        verbose_name_plural = gettext_lazy("đánh giá")


class LookupAttempt(models.Model):
    """A failed public look-up, kept a short while to rate-limit guessing: per client address
    and per dossier code (`queries.public_lookup`)."""

    client = models.CharField(max_length=64, verbose_name=gettext_lazy("địa chỉ truy cập"))
    # the dossier code as typed (normalised), or "qr:<token head>" for a link that names none
    code = models.CharField(
        max_length=64, blank=True, default="", verbose_name=gettext_lazy("mã hồ sơ")
    )
    at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm"))

    class Meta:
        indexes = [
            models.Index(fields=["client", "at"], name="lookup_client_at"),
            models.Index(fields=["code", "at"], name="lookup_code_at"),
        ]
        verbose_name = gettext_lazy("lượt tra cứu")
        verbose_name_plural = gettext_lazy("lượt tra cứu")


class ProcessingRoute(models.Model):
    """Quy trình nội bộ giải quyết TTHC: one version of a procedure's route, edited by admins.

    May move to the catalogue app. A dossier keeps the route version it started on; a route
    in use is never edited, a new number is published instead.
    """

    procedure = models.ForeignKey(
        "catalogue.Procedure",
        on_delete=models.PROTECT,
        related_name="routes",
        verbose_name=gettext_lazy("thủ tục"),
    )
    number = models.PositiveIntegerField(
        default=1, verbose_name=gettext_lazy("số thứ tự quy trình")
    )
    is_active = models.BooleanField(gettext_lazy("đang áp dụng"), default=True)
    note = models.CharField(max_length=300, blank=True, verbose_name=gettext_lazy("ghi chú"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="route_number_once")
        ]
        verbose_name = gettext_lazy("quy trình xử lý")
        verbose_name_plural = gettext_lazy("quy trình xử lý")

    def __str__(self) -> str:
        return _("%(procedure)s quy trình %(number)s") % {
            "procedure": self.procedure_id,
            "number": self.number,
        }


class RouteStep(models.Model):
    """Bước xử lý: who (agency + role) and its share of the working-time budget."""

    route = models.ForeignKey(
        ProcessingRoute,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=gettext_lazy("quy trình"),
    )
    position = models.PositiveSmallIntegerField(verbose_name=gettext_lazy("thứ tự"))
    name = models.CharField(max_length=200, verbose_name=gettext_lazy("tên bước"))
    agency = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=gettext_lazy("Để trống: cơ quan giải quyết của hồ sơ."),
        verbose_name=gettext_lazy("cơ quan"),
    )
    role = models.CharField(
        max_length=30, verbose_name=gettext_lazy("vai trò")
    )  # tinhso.people.models.Role
    share_percent = models.DecimalField(
        max_digits=5, decimal_places=2, verbose_name=gettext_lazy("tỷ lệ thời gian (%)")
    )

    class Meta:
        ordering = ["route", "position"]
        constraints = [
            models.UniqueConstraint(fields=["route", "position"], name="route_step_once")
        ]
        verbose_name = gettext_lazy("bước quy trình")
        verbose_name_plural = gettext_lazy("bước quy trình")

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class StepRecord(models.Model):
    """One hand-off on the tracking sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    class Outcome(models.TextChoices):
        OPEN = "open", gettext_lazy("đang xử lý")
        FORWARDED = "forwarded", gettext_lazy("đã chuyển bước sau")
        RETURNED = "returned", gettext_lazy("trả lại bước trước")
        FINISHED = "finished", gettext_lazy("đã xử lý xong")

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="step_records",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    step = models.ForeignKey(
        RouteStep,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("bước"),
    )
    name = models.CharField(max_length=200, verbose_name=gettext_lazy("tên bước"))
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan"),
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người chuyển"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người xử lý"),
    )
    # who finished the step (forwarded, returned, decided): the assignee is who it was given
    # to, if anyone; a step nobody was assigned to is still done by someone
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người thực hiện"),
    )
    started_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm bắt đầu"))
    due_at = models.DateTimeField(verbose_name=gettext_lazy("hạn"))
    finished_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("thời điểm hoàn thành")
    )
    outcome = models.CharField(
        max_length=10,
        choices=Outcome.choices,
        default=Outcome.OPEN,
        verbose_name=gettext_lazy("kết quả"),
    )
    note = models.TextField(blank=True, verbose_name=gettext_lazy("ghi chú"))

    class Meta:
        ordering = ["pk"]
        verbose_name = gettext_lazy("bước xử lý")
        verbose_name_plural = gettext_lazy("bước xử lý")  # hand-off order


class Apology(models.Model):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04), from the agency at fault."""

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="apologies",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan"),
    )
    reason = models.TextField(gettext_lazy("lý do chậm"))
    previous_appointment = models.DateTimeField(verbose_name=gettext_lazy("ngày hẹn trước"))
    new_appointment = models.DateTimeField(verbose_name=gettext_lazy("ngày hẹn mới"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người tạo"),
    )
    created_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm tạo"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = gettext_lazy("thư xin lỗi")
        verbose_name_plural = gettext_lazy("thư xin lỗi")


class ApologyReminder(models.Model):
    """Nhắc xin lỗi: the agency at fault was asked for its apology (Mẫu 04) before the
    appointment passed; one per dossier, agency and appointment."""

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="apology_reminders",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan"),
    )
    appointment = models.DateTimeField(verbose_name=gettext_lazy("ngày hẹn trả"))
    sent_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm gửi"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "agency", "appointment"], name="one_reminder_per_appointment"
            )
        ]
        verbose_name = gettext_lazy("nhắc xin lỗi")
        verbose_name_plural = gettext_lazy("nhắc xin lỗi")


class OpinionRequest(models.Model):
    """Lấy ý kiến: one of several agencies asked in parallel for its opinion at a step."""

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="opinions",
        verbose_name=gettext_lazy("hồ sơ"),
    )
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("cơ quan"),
    )
    question = models.TextField(gettext_lazy("nội dung xin ý kiến"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người yêu cầu"),
    )
    requested_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm yêu cầu"))
    due_at = models.DateTimeField(verbose_name=gettext_lazy("hạn"))
    answer = models.TextField(gettext_lazy("ý kiến"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người trả lời"),
    )
    answered_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("thời điểm trả lời")
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "agency"],
                condition=models.Q(answered_at__isnull=True),
                name="one_open_opinion_per_agency",
            )
        ]
        verbose_name = gettext_lazy("xin ý kiến")
        verbose_name_plural = gettext_lazy("xin ý kiến")


def _paper_upload_to(instance: ProcessingPaper, filename: str) -> str:
    return f"dossiers/{instance.dossier_id}/papers/{instance.sha256[:16]}.{instance.file_kind}"


class ProcessingPaper(models.Model):
    """Hồ sơ trình: a draft result (dự thảo kết quả) or an appraisal note (tờ trình, ý kiến
    thẩm định) a performer attaches when forwarding a step, for the next step to read."""

    class Kind(models.TextChoices):
        DRAFT_RESULT = "draft_result", gettext_lazy("dự thảo kết quả")
        APPRAISAL = "appraisal", gettext_lazy("tờ trình, ý kiến thẩm định")

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="papers", verbose_name=gettext_lazy("hồ sơ")
    )
    step_record = models.ForeignKey(
        StepRecord,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="papers",
        verbose_name=gettext_lazy("bước xử lý"),
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, verbose_name=gettext_lazy("loại giấy tờ")
    )
    original_name = models.CharField(max_length=255, verbose_name=gettext_lazy("tên tệp gốc"))
    file_kind = models.CharField(
        max_length=10, verbose_name=gettext_lazy("loại tệp")
    )  # pdf, jpg, png, docx, xlsx, odt
    size = models.PositiveIntegerField(verbose_name=gettext_lazy("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64, verbose_name=gettext_lazy("mã băm SHA-256"))
    file = models.FileField(upload_to=_paper_upload_to, verbose_name=gettext_lazy("tệp"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("người tải lên"),
    )
    uploaded_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm tải lên"))

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = gettext_lazy("hồ sơ trình")
        verbose_name_plural = pgettext_lazy("số nhiều", "hồ sơ trình")

    def __str__(self) -> str:
        return self.original_name
