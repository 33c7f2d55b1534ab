"""People: users, citizens, organisations, officials and their roles in agencies.

Legal sources: Law on Identification 2023 (12-digit personal identification number),
Circular 86/2024/TT-BTC (tax codes; since 1 July 2025 individuals and household businesses use
the personal identification number), Decree 13/2023/NĐ-CP (personal data protection: reads by
officials are audited), Decree 69/2024/NĐ-CP (electronic identification, VNeID).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy


class User(AbstractUser):
    """Tài khoản: anyone who signs in. Officials must also pass a second factor."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", gettext_lazy("công dân, tổ chức")
        OFFICIAL = "official", gettext_lazy("cán bộ, công chức")

    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.CITIZEN,
        verbose_name=gettext_lazy("loại tài khoản"),
    )
    full_name = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("họ và tên"))
    phone = models.CharField(
        max_length=15,
        unique=True,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("số điện thoại"),
    )
    address = models.CharField(gettext_lazy("địa chỉ liên hệ"), max_length=300, blank=True)
    # Which channels a citizen wants news of their dossiers and reports through
    # (core/notify.py honours them; one-time codes always go to the address they were asked for).
    notify_by_email = models.BooleanField(gettext_lazy("nhận thông báo qua email"), default=True)
    notify_by_sms = models.BooleanField(gettext_lazy("nhận thông báo qua SMS"), default=True)
    notify_by_zalo = models.BooleanField(gettext_lazy("nhận thông báo qua Zalo"), default=False)

    class Meta:
        verbose_name = gettext_lazy("tài khoản")
        verbose_name_plural = pgettext_lazy("số nhiều", "tài khoản")
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~models.Q(email=""), name="unique_nonempty_email"
            )
        ]

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_username()

    @property
    def requires_second_factor(self) -> bool:
        return self.kind == self.Kind.OFFICIAL or self.is_staff or self.is_superuser


class Sex(models.TextChoices):
    MALE = "male", gettext_lazy("Nam")
    FEMALE = "female", gettext_lazy("Nữ")


class Citizen(models.Model):
    """Công dân: a person known by their personal identification number (số định danh cá nhân)."""

    user = models.OneToOneField(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="citizen",
        verbose_name=gettext_lazy("tài khoản"),
    )
    personal_id = models.CharField(gettext_lazy("số định danh cá nhân"), max_length=12, unique=True)
    full_name = models.CharField(max_length=200, verbose_name=gettext_lazy("họ và tên"))
    date_of_birth = models.DateField(null=True, blank=True, verbose_name=gettext_lazy("ngày sinh"))
    sex = models.CharField(
        max_length=10, choices=Sex.choices, blank=True, verbose_name=gettext_lazy("giới tính")
    )
    phone = models.CharField(max_length=15, blank=True, verbose_name=gettext_lazy("số điện thoại"))
    email = models.EmailField(blank=True, verbose_name=gettext_lazy("thư điện tử"))
    address = models.CharField(max_length=300, blank=True, verbose_name=gettext_lazy("địa chỉ"))
    commune = models.ForeignKey(
        "places.Commune",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=gettext_lazy("xã, phường"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))
    updated_at = models.DateTimeField(
        auto_now=True, verbose_name=gettext_lazy("thời điểm cập nhật")
    )

    class Meta:
        verbose_name = gettext_lazy("công dân")
        verbose_name_plural = pgettext_lazy("số nhiều", "công dân")

    def __str__(self) -> str:
        return self.full_name


class Organisation(models.Model):
    """Tổ chức, doanh nghiệp, hộ kinh doanh: known by its tax code (mã số thuế)."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", gettext_lazy("doanh nghiệp")
        BRANCH = "branch", gettext_lazy("chi nhánh, đơn vị phụ thuộc")
        HOUSEHOLD_BUSINESS = "household_business", gettext_lazy("hộ kinh doanh")
        OTHER = "other", gettext_lazy("tổ chức khác")

    tax_code = models.CharField(gettext_lazy("mã số thuế"), max_length=14, unique=True)
    name = models.CharField(max_length=300, verbose_name=gettext_lazy("tên"))
    kind = models.CharField(
        max_length=30,
        choices=Kind.choices,
        default=Kind.ENTERPRISE,
        verbose_name=gettext_lazy("loại hình"),
    )
    address = models.CharField(max_length=300, blank=True, verbose_name=gettext_lazy("địa chỉ"))
    representative = models.ForeignKey(
        Citizen,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=gettext_lazy("người đại diện"),
    )
    members = models.ManyToManyField(
        User, blank=True, related_name="organisations", verbose_name=gettext_lazy("thành viên")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))
    updated_at = models.DateTimeField(
        auto_now=True, verbose_name=gettext_lazy("thời điểm cập nhật")
    )

    class Meta:
        verbose_name = gettext_lazy("tổ chức")
        verbose_name_plural = pgettext_lazy("số nhiều", "tổ chức")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RECEIVING_OFFICER = "receiving_officer", gettext_lazy("cán bộ tiếp nhận một cửa")
    SPECIALIST = "specialist", gettext_lazy("chuyên viên xử lý")
    HEAD_OF_UNIT = "head_of_unit", gettext_lazy("trưởng phòng, trưởng đơn vị")
    LEADER = "leader", gettext_lazy("lãnh đạo cơ quan")
    CLERK = "clerk", gettext_lazy("văn thư")
    IOC_VIEWER = "ioc_viewer", gettext_lazy("xem trung tâm điều hành (IOC)")
    ADMINISTRATOR = "administrator", gettext_lazy("quản trị hệ thống")


class RoleAssignment(models.Model):
    """Vai trò: an official holds a role in an agency. Several roles, several agencies."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="roles", verbose_name=gettext_lazy("tài khoản")
    )
    agency = models.ForeignKey(
        "places.Agency",
        on_delete=models.PROTECT,
        related_name="roles",
        verbose_name=gettext_lazy("cơ quan"),
    )
    role = models.CharField(
        max_length=30, choices=Role.choices, verbose_name=gettext_lazy("vai trò")
    )
    title = models.CharField(gettext_lazy("chức vụ"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))

    class Meta:
        verbose_name = gettext_lazy("vai trò")
        verbose_name_plural = pgettext_lazy("số nhiều", "vai trò")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="one_role_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.agency}"


class ApiScope(models.TextChoices):
    """What a client application may do: each API checks the scope it needs."""

    DOSSIERS_SUBMIT = (
        "dossiers.submit",
        gettext_lazy("nộp hồ sơ thay công dân (POST /api/v1/dossiers)"),
    )
    OPEN311_POST = "open311.post", gettext_lazy("gửi phản ánh qua Open311")
    IOC_READ = "ioc.read", gettext_lazy("xem chỉ số 766 của trung tâm điều hành (GET /api/v1/ioc)")
    DVCQG_INBOUND = (
        "dvcqg.inbound",
        gettext_lazy("gửi hồ sơ nộp trên Cổng DVC quốc gia (POST /api/v1/dvcqg/dossiers)"),
    )


class ApiClient(models.Model):
    """Ứng dụng kết nối: a machine account of another channel (the national portal, an app).

    The key is shown once when issued and stored as its SHA-256 (keys are 256 random bits, so
    nothing can be brute-forced from the hash); `key_prefix` is kept to recognise it in lists.
    A client is revoked, never deleted, so dossiers and audit records keep naming it.
    """

    name = models.CharField(gettext_lazy("tên ứng dụng"), max_length=200, unique=True)
    key_prefix = models.CharField(
        max_length=12, editable=False, verbose_name=gettext_lazy("tiền tố khóa")
    )
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=gettext_lazy("mã băm khóa")
    )
    scopes = models.JSONField(gettext_lazy("phạm vi"), default=list, blank=True)
    requests_per_minute = models.PositiveIntegerField(
        gettext_lazy("giới hạn yêu cầu/phút"), default=60
    )
    is_active = models.BooleanField(gettext_lazy("đang hoạt động"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))
    revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("thời điểm thu hồi")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("ứng dụng kết nối")
        verbose_name_plural = gettext_lazy("ứng dụng kết nối")

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in (self.scopes or [])


class ApiClientUsage(models.Model):
    """Requests a client made in one minute (the rate limit's fixed window)."""

    client = models.ForeignKey(
        ApiClient,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("ứng dụng kết nối"),
    )
    minute = models.DateTimeField(verbose_name=gettext_lazy("phút"))
    count = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("số lượng"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "minute"], name="people_client_usage_window")
        ]
        verbose_name = gettext_lazy("lượt dùng ứng dụng kết nối")
        verbose_name_plural = gettext_lazy("lượt dùng ứng dụng kết nối")


class OneTimeCode(models.Model):
    """Mã xác nhận một lần: 6 digits sent by SMS or e-mail to prove a person holds an address.

    Used for signing up, resetting a password and changing a phone or e-mail. Only an HMAC of
    the code is stored. A code expires, accepts a limited number of tries and can be sent again
    only after a delay (`people/codes.py` holds the rules). When the address must not learn
    anything (a sign-up for an address that already has an account, a reset for one that has
    none) a row is still made, so the pages answer the same way, but `can_succeed` is False and
    no code it could accept was ever sent.
    """

    class Purpose(models.TextChoices):
        SIGN_UP = "sign_up", gettext_lazy("đăng ký tài khoản")
        PASSWORD_RESET = "password_reset", gettext_lazy("lấy lại mật khẩu")
        CONTACT_CHANGE = "contact_change", gettext_lazy("đổi số điện thoại, email")

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"

    purpose = models.CharField(
        max_length=20, choices=Purpose.choices, verbose_name=gettext_lazy("mục đích")
    )
    channel = models.CharField(
        max_length=10, choices=Channel.choices, verbose_name=gettext_lazy("kênh")
    )
    address = models.CharField(
        max_length=254, verbose_name=gettext_lazy("số điện thoại hoặc thư điện tử")
    )
    user = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("tài khoản"),
    )
    can_succeed = models.BooleanField(default=True, verbose_name=gettext_lazy("có thể thành công"))
    code_hash = models.CharField(
        max_length=100, verbose_name=gettext_lazy("mã băm của mã")
    )  # "salt$hmac"
    # Sign-up: the name and the password's hash until the code is confirmed.
    details = models.JSONField(default=dict, blank=True, verbose_name=gettext_lazy("chi tiết"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("số lần thử"))
    client_address = models.CharField(
        max_length=64, blank=True, verbose_name=gettext_lazy("địa chỉ máy khách")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("thời điểm tạo"))
    sent_at = models.DateTimeField(verbose_name=gettext_lazy("thời điểm gửi"))
    expires_at = models.DateTimeField(verbose_name=gettext_lazy("hết hạn lúc"))
    used_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("thời điểm dùng")
    )

    class Meta:
        verbose_name = gettext_lazy("mã xác nhận")
        verbose_name_plural = gettext_lazy("mã xác nhận")
        indexes = [models.Index(fields=["address", "sent_at"], name="people_code_address")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.address}"


class CodeSending(models.Model):
    """One code sent (or answered as if sent): what the per-address and per-client limits count."""

    address = models.CharField(max_length=254, verbose_name=gettext_lazy("địa chỉ"))
    client_address = models.CharField(
        max_length=64, blank=True, verbose_name=gettext_lazy("địa chỉ máy khách")
    )
    sent_at = models.DateTimeField(db_index=True, verbose_name=gettext_lazy("thời điểm gửi"))

    class Meta:
        indexes = [
            models.Index(fields=["address", "sent_at"], name="people_sending_address"),
            models.Index(fields=["client_address", "sent_at"], name="people_sending_client"),
        ]
        verbose_name = gettext_lazy("lần gửi mã")
        verbose_name_plural = gettext_lazy("lần gửi mã")
