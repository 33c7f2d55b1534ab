"""Dossiers (hồ sơ thủ tục hành chính) submitted online, from draft to result.

Legal sources: Decree 118/2025/NĐ-CP (one-stop shop: receipt, supplement requests,
withdrawal, results; replaces Decree 61/2018); Decree 42/2022/NĐ-CP (online public
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
        "catalogue.ProcedureVersion", on_delete=models.PROTECT, related_name="dossiers"
    )
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=gettext_lazy("cơ quan giải quyết"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dossiers"
    )
    applicant_name = models.CharField(gettext_lazy("người nộp"), max_length=200)
    applicant_phone = models.CharField(max_length=15, blank=True)
    applicant_email = models.EmailField(blank=True)
    applicant_address = models.CharField(max_length=300, blank=True)
    form_data = models.JSONField(gettext_lazy("dữ liệu tờ khai"), default=dict, blank=True)
    form_complete = models.BooleanField(default=False)
    delivery = models.CharField(
        gettext_lazy("cách nhận kết quả"), max_length=20, choices=Delivery.choices, blank=True
    )
    delivery_address = models.CharField(
        gettext_lazy("địa chỉ nhận kết quả"), max_length=300, blank=True
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    submitted_by_client = models.ForeignKey(
        "people.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=gettext_lazy("ứng dụng kết nối đã nộp"),
    )
    state = models.CharField(max_length=30, choices=State.choices, default=State.DRAFT)
    fee_total = models.PositiveIntegerField(gettext_lazy("phí, lệ phí (đồng)"), default=0)
    fee_status = models.CharField(max_length=10, choices=FeeStatus.choices, default=FeeStatus.NONE)
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
        "ProcessingRoute", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    current_step = models.ForeignKey(
        "RouteStep", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    def can_be_withdrawn(self) -> bool:
        """Only before an officer takes it up (Decree 118/2025: withdrawal before processing)."""
        return self.state == self.State.SUBMITTED

    def can_be_rated(self) -> bool:
        return self.state not in {self.State.DRAFT}

    def open_supplement(self) -> SupplementRequest | None:
        return self.supplements.filter(answered_at__isnull=True).order_by("-requested_at").first()


def _upload_to(instance: DossierFile, filename: str) -> str:
    return f"dossiers/{instance.dossier_id}/{instance.sha256[:16]}.{instance.kind}"


class DossierFile(models.Model):
    """One electronic file of a dossier component (thành phần hồ sơ); several per component."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    component = models.ForeignKey(
        "catalogue.ComponentRequirement", on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10)  # pdf, jpg, png, docx, xlsx, odt
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=_upload_to, blank=True)
    from_result = models.ForeignKey(
        "DossierResult",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reused_in",
        verbose_name=gettext_lazy("lấy từ kết quả đã cấp"),
    )
    supplement = models.ForeignKey(
        "SupplementRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    digitised = models.BooleanField(
        gettext_lazy("đã số hóa"),
        default=True,
        help_text=gettext_lazy("Chỉ tiêu số hóa (QĐ 766): bản điện tử có giá trị."),
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["component__position", "uploaded_at", "pk"]
        verbose_name = gettext_lazy("tệp thành phần hồ sơ")
        verbose_name_plural = pgettext_lazy("số nhiều", "tệp thành phần hồ sơ")

    def __str__(self) -> str:
        return self.original_name


class DossierCounter(models.Model):
    """The last sequence number given by one agency on one day, locked while numbering."""

    agency = models.ForeignKey("places.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dossier_counter_per_day")
        ]


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` sent with POST /api/v1/dossiers, and what it created.

    Keys are scoped to the signed-in account (`owner`) or, for a client application of another
    channel, to that client (`client`, with `owner` empty): the same key from two clients makes
    two dossiers.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    client = models.ForeignKey(
        "people.ApiClient", null=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    dossier = models.ForeignKey(Dossier, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

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


class DossierEvent(models.Model):
    """One line of the status timeline the citizen sees."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    state = models.CharField(max_length=30, choices=Dossier.State.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier} {self.state}"


class SupplementRequest(models.Model):
    """Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02): the legal clock stops until it is answered."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements")
    requested_at = models.DateTimeField()
    reason = models.TextField(gettext_lazy("lý do"))
    fields = models.JSONField(gettext_lazy("trường cần sửa"), default=list, blank=True)
    components = models.ManyToManyField(
        "catalogue.ComponentRequirement", blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)
    items = models.JSONField(
        gettext_lazy("thành phần thiếu/sai và lý do"), default=list, blank=True
    )  # [{"component": id, "name": str, "reason": str}]
    during_processing = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "pk"]


class DossierResult(models.Model):
    """Kết quả giải quyết điện tử: a file the citizen downloads and may reuse later."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="results")
    name = models.CharField(max_length=500)
    file = models.FileField(upload_to="dossiers/results/")
    kind = models.CharField(max_length=10, default="pdf")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "pk"]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    """Đánh giá mức độ hài lòng (Decision 766/QĐ-TTg, indicator 5.4)."""

    class Level(models.TextChoices):
        VERY_SATISFIED = "very_satisfied", gettext_lazy("rất hài lòng")
        SATISFIED = "satisfied", gettext_lazy("hài lòng")
        NOT_SATISFIED = "not_satisfied", gettext_lazy("không hài lòng")

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    level = models.CharField(max_length=20, choices=Level.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class LookupAttempt(models.Model):
    """A public look-up try, kept a short while to rate-limit guessing per client address."""

    client = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="lookup_client_at")]


class ProcessingRoute(models.Model):
    """Quy trình nội bộ giải quyết TTHC: one version of a procedure's route, edited by admins.

    May move to the catalogue app. A dossier keeps the route version it started on; a route
    in use is never edited, a new number is published instead.
    """

    procedure = models.ForeignKey(
        "catalogue.Procedure", on_delete=models.PROTECT, related_name="routes"
    )
    number = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(gettext_lazy("đang áp dụng"), default=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="route_number_once")
        ]

    def __str__(self) -> str:
        return _("%(procedure)s quy trình %(number)s") % {
            "procedure": self.procedure_id,
            "number": self.number,
        }


class RouteStep(models.Model):
    """Bước xử lý: who (agency + role) and its share of the working-time budget."""

    route = models.ForeignKey(ProcessingRoute, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(
        "places.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=gettext_lazy("Để trống: cơ quan giải quyết của hồ sơ."),
    )
    role = models.CharField(max_length=30)  # tinhso.people.models.Role
    share_percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["route", "position"]
        constraints = [
            models.UniqueConstraint(fields=["route", "position"], name="route_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class StepRecord(models.Model):
    """One hand-off on the tracking sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    class Outcome(models.TextChoices):
        OPEN = "open", gettext_lazy("đang xử lý")
        FORWARDED = "forwarded", gettext_lazy("đã chuyển bước sau")
        RETURNED = "returned", gettext_lazy("trả lại bước trước")
        FINISHED = "finished", gettext_lazy("đã xử lý xong")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="step_records")
    step = models.ForeignKey(
        RouteStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    agency = models.ForeignKey("places.Agency", on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]  # hand-off order


class Apology(models.Model):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04), from the agency at fault."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="apologies")
    agency = models.ForeignKey("places.Agency", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(gettext_lazy("lý do chậm"))
    previous_appointment = models.DateTimeField()
    new_appointment = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]


class ApologyReminder(models.Model):
    """Nhắc xin lỗi: the agency at fault was asked for its apology (Mẫu 04) before the
    appointment passed; one per dossier, agency and appointment."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="apology_reminders")
    agency = models.ForeignKey("places.Agency", on_delete=models.PROTECT, related_name="+")
    appointment = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "agency", "appointment"], name="one_reminder_per_appointment"
            )
        ]


class OpinionRequest(models.Model):
    """Lấy ý kiến: one of several agencies asked in parallel for its opinion at a step."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="opinions")
    agency = models.ForeignKey("places.Agency", on_delete=models.PROTECT, related_name="+")
    question = models.TextField(gettext_lazy("nội dung xin ý kiến"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    answer = models.TextField(gettext_lazy("ý kiến"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "agency"],
                condition=models.Q(answered_at__isnull=True),
                name="one_open_opinion_per_agency",
            )
        ]


def _paper_upload_to(instance: ProcessingPaper, filename: str) -> str:
    return f"dossiers/{instance.dossier_id}/papers/{instance.sha256[:16]}.{instance.file_kind}"


class ProcessingPaper(models.Model):
    """Hồ sơ trình: a draft result (dự thảo kết quả) or an appraisal note (tờ trình, ý kiến
    thẩm định) a performer attaches when forwarding a step, for the next step to read."""

    class Kind(models.TextChoices):
        DRAFT_RESULT = "draft_result", gettext_lazy("dự thảo kết quả")
        APPRAISAL = "appraisal", gettext_lazy("tờ trình, ý kiến thẩm định")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="papers")
    step_record = models.ForeignKey(
        StepRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    original_name = models.CharField(max_length=255)
    file_kind = models.CharField(max_length=10)  # pdf, jpg, png, docx, xlsx, odt
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=_paper_upload_to)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = gettext_lazy("hồ sơ trình")
        verbose_name_plural = pgettext_lazy("số nhiều", "hồ sơ trình")

    def __str__(self) -> str:
        return self.original_name
