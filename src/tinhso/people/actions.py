"""Every change to accounts, citizens, organisations and roles: one named action each.

Each action runs in one transaction and writes its audit record in it. Passwords and TOTP keys
never reach the audit trail. Invalid input raises `PeopleError` with one message per field,
before anything is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core import audit, notify
from tinhso.core.identifiers import (
    InvalidIdentifier,
    TaxCodeKind,
    normalize_phone,
    parse_tax_code,
    validate_personal_id,
)
from tinhso.core.text import normalize
from tinhso.people import codes
from tinhso.people.errors import (
    ALREADY_REGISTERED,
    CODE_INVALID,
    CODE_REFUSED,
    CODE_WRONG,
    NOT_AN_OFFICIAL,
    READ_ONLY_FIELD,
    RESEND_TOO_SOON,
    UNKNOWN_ROLE,
    PeopleError,
)
from tinhso.people.models import (
    Citizen,
    CodeSending,
    OneTimeCode,
    Organisation,
    Role,
    RoleAssignment,
    User,
)
from tinhso.places.models import Agency

USER_FIELDS = ("username", "kind", "full_name", "phone", "email", "is_active", "is_staff")
CITIZEN_FIELDS = ("personal_id", "full_name", "date_of_birth", "sex", "phone", "email", "user_id")
ORGANISATION_FIELDS = ("tax_code", "name", "kind", "address", "representative_id")


def _created(instance: Any, fields: Iterable[str]) -> dict[str, list[Any]]:
    return audit.diff({}, audit.snapshot(instance, fields))


def _clean_phone(value: str | None, errors: dict[str, list[str]]) -> str | None:
    if not (value or "").strip():
        return None
    try:
        phone = normalize_phone(value or "")
    except InvalidIdentifier as exc:
        errors.setdefault("phone", []).append(exc.message)
        return None
    if User.objects.filter(phone=phone).exists():
        errors.setdefault("phone", []).append(
            _("Số điện thoại này đã được dùng cho tài khoản khác.")
        )
    return phone


def _clean_email(value: str | None, errors: dict[str, list[str]]) -> str:
    email = (value or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("email", []).append(_("Địa chỉ email không hợp lệ."))
        return ""
    if User.objects.filter(email__iexact=email).exists():
        errors.setdefault("email", []).append(_("Email này đã được dùng cho tài khoản khác."))
    return email


# Django's own messages for these are not all translated into Vietnamese.
_PASSWORD_MESSAGES = {
    "password_too_short": gettext_lazy("Mật khẩu quá ngắn: cần ít nhất {min_length} ký tự."),
    "password_too_common": gettext_lazy("Mật khẩu này quá phổ biến, dễ bị đoán."),
    "password_entirely_numeric": gettext_lazy("Mật khẩu không được chỉ gồm chữ số."),
    "password_too_similar": gettext_lazy(
        "Mật khẩu quá giống thông tin của tài khoản (tên đăng nhập, email)."
    ),
}


def password_problems(password: str, user: User) -> list[str]:
    """Vietnamese messages for a password the configured validators refuse."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return [
            _PASSWORD_MESSAGES[error.code].format(**(error.params or {}))
            if error.code in _PASSWORD_MESSAGES
            else " ".join(error.messages)
            for error in exc.error_list
        ]
    return []


def _check_password(password: str, user: User, errors: dict[str, list[str]]) -> None:
    problems = password_problems(password, user)
    if problems:
        errors.setdefault("password", []).extend(problems)


def _unsaved_user(
    errors: dict[str, list[str]],
    password: str | None,
    *,
    phone: str | None,
    email: str | None,
    **fields: Any,
) -> User:
    """A new account, phone and e-mail cleaned, password checked and set (unusable when None),
    not yet saved.

    Raises `PeopleError` with the errors found so far plus these, if any.
    """
    user = User(phone=_clean_phone(phone, errors), email=_clean_email(email, errors), **fields)
    if password is not None:
        _check_password(password, user, errors)
    if errors:
        raise PeopleError(errors)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    return user


def register_citizen(
    *,
    full_name: str,
    personal_id: str,
    password: str | None,
    phone: str | None = None,
    email: str | None = None,
    date_of_birth: date | None = None,
    sex: str = "",
) -> User:
    """Đăng ký tài khoản công dân. The personal ID number becomes the user name.

    `password=None` creates an account that signs in only through the identity provider.
    A citizen already on record (entered at the counter) without an account gets linked.
    """
    errors: dict[str, list[str]] = {}
    name = normalize(full_name)
    if not name:
        errors["full_name"] = [_("Chưa nhập họ và tên.")]
    elif len(name) > 200:
        errors["full_name"] = [_("Họ và tên dài quá 200 ký tự.")]
    number = ""
    try:
        parsed = validate_personal_id(personal_id, date_of_birth)
        number = parsed.number
        if sex and sex != parsed.sex:
            errors["sex"] = [_("Giới tính không khớp với số định danh cá nhân.")]
        sex = parsed.sex
    except InvalidIdentifier as exc:
        errors["personal_id"] = [exc.message]
    if date_of_birth is not None and date_of_birth > timezone.localdate():
        errors["date_of_birth"] = [_("Ngày sinh ở tương lai.")]
    existing = Citizen.objects.filter(personal_id=number).first() if number else None
    if number and (
        (existing is not None and existing.user_id is not None)
        or User.objects.filter(username=number).exists()
    ):
        errors.setdefault("personal_id", []).append(
            _("Số định danh cá nhân này đã có tài khoản. Hãy đăng nhập hoặc lấy lại mật khẩu.")
        )
    user = _unsaved_user(
        errors,
        password,
        phone=phone,
        email=email,
        username=number,
        kind=User.Kind.CITIZEN,
        full_name=name,
    )
    try:
        with transaction.atomic():
            user.save()
            if existing is None:
                citizen = Citizen.objects.create(
                    user=user,
                    personal_id=number,
                    full_name=name,
                    date_of_birth=date_of_birth,
                    sex=sex,
                    phone=user.phone or "",
                    email=user.email,
                )
                citizen_changes = _created(citizen, CITIZEN_FIELDS)
            else:
                citizen = existing
                before = audit.snapshot(citizen, CITIZEN_FIELDS)
                citizen.user = user
                citizen.save(update_fields=["user", "updated_at"])
                citizen_changes = audit.diff(before, audit.snapshot(citizen, CITIZEN_FIELDS))
            audit.record(
                "people.citizen_registered",
                user,
                actor=user,
                changes={**_created(user, USER_FIELDS), "citizen": citizen_changes},
            )
    except IntegrityError:
        raise PeopleError(
            {"personal_id": _("Tài khoản vừa được tạo cùng lúc ở nơi khác; hãy thử đăng nhập.")},
            ALREADY_REGISTERED,
        ) from None
    return user


def create_official(
    *,
    username: str,
    full_name: str,
    email: str,
    password: str | None,
    actor: User | None,
    phone: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Tạo tài khoản cán bộ, công chức. They sign in with a password and a TOTP code."""
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = [_("Chưa nhập tên đăng nhập.")]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [_("Tên đăng nhập này đã có.")]
    name = normalize(full_name)
    if not name:
        errors["full_name"] = [_("Chưa nhập họ và tên.")]
    user = _unsaved_user(
        errors,
        password,
        phone=phone,
        email=email,
        username=username,
        kind=User.Kind.OFFICIAL,
        full_name=name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    with transaction.atomic():
        user.save()
        audit.record(
            "people.official_created",
            user,
            actor=actor,
            changes={**_created(user, USER_FIELDS), "is_superuser": [None, is_superuser]},
        )
    return user


def update_account(user: User, *, actor: User | None, **values: Any) -> User:
    """Change an account's name, phone, e-mail, active flag or staff flag."""
    allowed = {"full_name", "phone", "email", "is_active", "is_staff", "is_superuser", "kind"}
    unknown = set(values) - allowed
    if unknown:
        raise PeopleError(
            {field: _("Không sửa được trường này.") for field in sorted(unknown)},
            READ_ONLY_FIELD,
        )
    errors: dict[str, list[str]] = {}
    if "full_name" in values:
        values["full_name"] = normalize(values["full_name"])
    if "phone" in values:
        current = user.phone
        phone = values["phone"]
        try:
            values["phone"] = normalize_phone(phone) if (phone or "").strip() else None
        except InvalidIdentifier as exc:
            errors["phone"] = [exc.message]
        if (
            values.get("phone")
            and values["phone"] != current
            and User.objects.filter(phone=values["phone"]).exclude(pk=user.pk).exists()
        ):
            errors["phone"] = [_("Số điện thoại này đã được dùng cho tài khoản khác.")]
    if "email" in values:
        email = (values["email"] or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [_("Địa chỉ email không hợp lệ.")]
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                errors.setdefault("email", []).append(
                    _("Email này đã được dùng cho tài khoản khác.")
                )
        values["email"] = email
    if errors:
        raise PeopleError(errors)
    fields = (*USER_FIELDS, "is_superuser")
    with transaction.atomic():
        before = audit.snapshot(user, fields)
        for field, value in values.items():
            setattr(user, field, value)
        user.save()
        changes = audit.diff(before, audit.snapshot(user, fields))
        if changes:
            audit.record("people.account_updated", user, actor=actor, changes=changes)
    return user


def set_password(user: User, password: str, *, actor: User | None) -> User:
    """Đặt mật khẩu. The audit record says that it changed, never what it is."""
    errors: dict[str, list[str]] = {}
    _check_password(password, user, errors)
    if errors:
        raise PeopleError(errors)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record("people.password_set", user, actor=actor, changes={"password": "changed"})
    return user


def grant_role(
    user: User, agency: Agency, role: str, *, actor: User | None, title: str = ""
) -> RoleAssignment:
    """Giao vai trò. Only officials hold roles; granting a role held already updates the title."""
    if user.kind != User.Kind.OFFICIAL:
        raise PeopleError({"user": NOT_AN_OFFICIAL.message}, NOT_AN_OFFICIAL)
    if role not in Role.values:
        raise PeopleError(
            {"role": _("Vai trò không hợp lệ: %(role)s.") % {"role": role}}, UNKNOWN_ROLE
        )
    title = normalize(title)
    with transaction.atomic():
        assignment = (
            RoleAssignment.objects.select_for_update()
            .filter(user=user, agency=agency, role=role)
            .first()
        )
        if assignment is None:
            assignment = RoleAssignment.objects.create(
                user=user, agency=agency, role=role, title=title
            )
            audit.record(
                "people.role_granted",
                assignment,
                actor=actor,
                changes=_created(assignment, ("user_id", "agency_id", "role", "title")),
            )
        elif assignment.title != title:
            before = audit.snapshot(assignment, ("title",))
            assignment.title = title
            assignment.save(update_fields=["title"])
            audit.record(
                "people.role_title_changed",
                assignment,
                actor=actor,
                changes=audit.diff(before, audit.snapshot(assignment, ("title",))),
            )
    return assignment


def revoke_role(user: User, agency: Agency, role: str, *, actor: User | None) -> bool:
    """Thu hồi vai trò. False when the user did not hold it (nothing is written)."""
    with transaction.atomic():
        assignment = (
            RoleAssignment.objects.select_for_update()
            .filter(user=user, agency=agency, role=role)
            .first()
        )
        if assignment is None:
            return False
        fields = ("user_id", "agency_id", "role", "title")
        before = audit.snapshot(assignment, fields)
        audit.record(
            "people.role_revoked",
            assignment,
            actor=actor,
            changes=audit.diff(before, {}),
        )
        assignment.delete()
    return True


def enroll_totp(
    user: User, *, actor: User | None, key: str | None = None, name: str = ""
) -> TOTPDevice:
    """Cấp thiết bị xác thực (TOTP): replaces the user's previous TOTP devices.

    `key` (hex) is for the demo accounts' fixed secrets; otherwise a random 20-byte key.
    The device's name defaults to "Ứng dụng xác thực", in the language of the request.
    """
    name = name or _("Ứng dụng xác thực")
    with transaction.atomic():
        replaced = list(
            TOTPDevice.objects.filter(user=user).order_by("pk").values_list("pk", flat=True)
        )
        TOTPDevice.objects.filter(pk__in=replaced).delete()
        device = TOTPDevice.objects.create(
            user=user, name=name, confirmed=True, key=key or secrets.token_hex(20)
        )
        audit.record(
            "people.totp_enrolled",
            user,
            actor=actor,
            changes={"totp_device": [replaced or None, device.pk]},
        )
    return device


def register_organisation(
    *,
    tax_code: str,
    name: str,
    actor: User | None,
    kind: str | None = None,
    address: str = "",
    representative: Citizen | None = None,
    members: Iterable[User] = (),
) -> Organisation:
    """Đăng ký tổ chức, doanh nghiệp, hộ kinh doanh by its tax code."""
    errors: dict[str, list[str]] = {}
    code = ""
    try:
        parsed = parse_tax_code(tax_code)
        code = parsed.display
        default_kind = {
            TaxCodeKind.INDEPENDENT: Organisation.Kind.ENTERPRISE,
            TaxCodeKind.DEPENDENT: Organisation.Kind.BRANCH,
            TaxCodeKind.PERSONAL_ID: Organisation.Kind.HOUSEHOLD_BUSINESS,
        }[parsed.kind]
        kind = kind or str(default_kind)
        if Organisation.objects.filter(tax_code=code).exists():
            errors["tax_code"] = [_("Mã số thuế này đã được đăng ký.")]
    except InvalidIdentifier as exc:
        errors["tax_code"] = [exc.message]
    if kind is not None and kind not in Organisation.Kind.values:
        errors["kind"] = [_("Loại tổ chức không hợp lệ.")]
    clean_name = normalize(name)
    if not clean_name:
        errors["name"] = [_("Chưa nhập tên tổ chức.")]
    if errors:
        raise PeopleError(errors)
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                tax_code=code,
                name=clean_name,
                kind=str(kind),
                address=normalize(address),
                representative=representative,
            )
            member_ids = sorted(m.pk for m in members)
            organisation.members.set(member_ids)
            audit.record(
                "people.organisation_registered",
                organisation,
                actor=actor,
                changes={
                    **_created(organisation, ORGANISATION_FIELDS),
                    "members": [None, member_ids],
                },
            )
    except IntegrityError:
        raise PeopleError(
            {"tax_code": _("Mã số thuế này đã được đăng ký.")}, ALREADY_REGISTERED
        ) from None
    return organisation


def ensure_citizen_account(
    *,
    personal_id: str,
    full_name: str,
    email: str = "",
    phone: str = "",
    date_of_birth: date | None = None,
    source: str = "oidc",
) -> User:
    """The account of a citizen the identity provider vouches for: found, linked or created.

    Phone and e-mail are kept only when valid and not used by another account: the identity
    is the personal ID number, and a clash on a contact detail must not block signing in.
    An account the citizen made by signing up (no citizen record yet) whose phone or e-mail
    is the one the provider vouches for is theirs: it gets the citizen record instead of a
    second account being made.
    """
    number = validate_personal_id(personal_id, date_of_birth).number
    try:
        return _ensure_citizen_account(number, full_name, email, phone, date_of_birth, source)
    except IntegrityError:
        # Two first submissions of one new citizen at once: both found no account, and the
        # other's insert won the unique username (ours waited for its commit, so it is
        # visible now). The account it made is this citizen's; anything else is a real error.
        user = User.objects.filter(username=number).first()
        if user is None:
            raise
        return user


def _ensure_citizen_account(
    number: str,
    full_name: str,
    email: str,
    phone: str,
    date_of_birth: date | None,
    source: str,
) -> User:
    with transaction.atomic():
        citizen = Citizen.objects.select_for_update().filter(personal_id=number).first()
        if citizen is not None and citizen.user_id is not None:
            return User.objects.get(pk=citizen.user_id)
        user = User.objects.filter(username=number).first()
        if user is not None:
            return user
        clashes: dict[str, list[str]] = {}
        clean_phone = _clean_phone(phone, clashes)
        clean_email = _clean_email(email, clashes)
        if "phone" in clashes:
            clean_phone = None
        if "email" in clashes:
            clean_email = ""
        name = normalize(full_name) or number
        signed_up = _signed_up_account(phone, email) if clashes else None
        if signed_up is not None:
            return _link_citizen(signed_up, citizen, number, name, date_of_birth, source)
        user = User(
            username=number,
            kind=User.Kind.CITIZEN,
            full_name=name,
            phone=clean_phone,
            email=clean_email,
        )
        user.set_unusable_password()
        user.save()
        if citizen is None:
            citizen = Citizen.objects.create(
                user=user,
                personal_id=number,
                full_name=name,
                date_of_birth=date_of_birth,
                sex=validate_personal_id(number).sex,
                phone=clean_phone or "",
                email=clean_email,
            )
            citizen_changes = _created(citizen, CITIZEN_FIELDS)
        else:
            before = audit.snapshot(citizen, CITIZEN_FIELDS)
            citizen.user = user
            citizen.save(update_fields=["user", "updated_at"])
            citizen_changes = audit.diff(before, audit.snapshot(citizen, CITIZEN_FIELDS))
        audit.record(
            "people.citizen_registered",
            user,
            actor=user,
            changes={
                **_created(user, USER_FIELDS),
                "citizen": citizen_changes,
                "source": [None, source],
            },
        )
    return user


def _signed_up_account(phone: str, email: str) -> User | None:
    """The one account made by signing up, without a citizen record, at this phone or e-mail."""
    contact = models.Q(pk__in=[])
    try:
        if (phone or "").strip():
            contact |= models.Q(phone=normalize_phone(phone))
    except InvalidIdentifier:
        pass
    if (email or "").strip():
        contact |= models.Q(email__iexact=email.strip())
    found = list(
        User.objects.filter(contact, kind=User.Kind.CITIZEN, citizen__isnull=True).distinct()[:2]
    )
    return found[0] if len(found) == 1 else None


def _link_citizen(
    user: User,
    citizen: Citizen | None,
    number: str,
    name: str,
    date_of_birth: date | None,
    source: str,
) -> User:
    """Give a signed-up account the citizen record of the person the provider vouches for."""
    if citizen is None:
        citizen = Citizen.objects.create(
            user=user,
            personal_id=number,
            full_name=name,
            date_of_birth=date_of_birth,
            sex=validate_personal_id(number).sex,
            phone=user.phone or "",
            email=user.email,
            address=user.address,
        )
        changes = _created(citizen, CITIZEN_FIELDS)
    else:
        before = audit.snapshot(citizen, CITIZEN_FIELDS)
        citizen.user = user
        citizen.save(update_fields=["user", "updated_at"])
        changes = audit.diff(before, audit.snapshot(citizen, CITIZEN_FIELDS))
    audit.record(
        "people.citizen_linked",
        user,
        actor=user,
        changes={"citizen": changes, "source": [None, source]},
    )
    return user


# --- one-time codes: sign-up, password reset, change of phone or e-mail --------------------
#
# Each request for a code answers the same way whether or not the address has an account, so
# the pages cannot be used to learn who is registered. What is sent differs: a code when the
# request can succeed, a "you already have an account" notice for a sign-up to a registered
# address, nothing for a reset of an unknown one.

CODE_FIELDS = ("purpose", "channel", "address", "user_id", "can_succeed")


def parse_contact(value: str | None, field: str = "contact") -> tuple[str, str]:
    """(channel, address) for a phone number or e-mail typed into one field.

    Phone numbers come back in the national form (0912345678), e-mails in lower case.
    """
    raw = (value or "").strip()
    if not raw:
        raise PeopleError({field: _("Chưa nhập số điện thoại hoặc email.")})
    if "@" in raw:
        email = raw.lower()
        try:
            validate_email(email)
        except ValidationError:
            raise PeopleError({field: _("Địa chỉ email không hợp lệ.")}) from None
        return OneTimeCode.Channel.EMAIL, email
    try:
        return OneTimeCode.Channel.SMS, normalize_phone(raw)
    except InvalidIdentifier:
        raise PeopleError(
            {
                field: _(
                    "Số điện thoại hoặc email không hợp lệ: nhập số di động 10 chữ số "
                    "(ví dụ 0912345678) hoặc email (ví dụ ten@example.vn)."
                )
            }
        ) from None


def _account_at(channel: str, address: str) -> User | None:
    if channel == OneTimeCode.Channel.EMAIL:
        return User.objects.filter(email__iexact=address).first()
    return User.objects.filter(phone=address).first()


def _check_sending_limits(address: str, client_address: str, now: datetime) -> None:
    since = now - codes.LIMIT_WINDOW
    recent = CodeSending.objects.filter(sent_at__gt=since)
    if recent.filter(address=address).count() >= codes.SENDS_PER_ADDRESS or (
        client_address
        and recent.filter(client_address=client_address).count() >= codes.SENDS_PER_CLIENT
    ):
        raise PeopleError(
            {
                "contact": _(
                    "Đã gửi quá nhiều mã trong một giờ. Vui lòng thử lại sau một giờ hoặc "
                    "liên hệ bộ phận một cửa."
                )
            }
        )


def _store_code(row: OneTimeCode, code: str, now: datetime) -> None:
    salt = secrets.token_hex(8)
    row.code_hash = f"{salt}${codes.code_hash(code, key=settings.SECRET_KEY, salt=salt)}"
    row.sent_at = now
    row.expires_at = now + codes.LIFETIME
    row.attempts = 0


def _code_matches(row: OneTimeCode, code: str) -> bool:
    salt, _sep, digest = row.code_hash.partition("$")
    return row.can_succeed and codes.matches(code, digest, key=settings.SECRET_KEY, salt=salt)


def _send_code(row: OneTimeCode, code: str) -> None:
    """Queue the message for `row` (in the action's transaction): the code, or the notice."""
    minutes = int(codes.LIFETIME.total_seconds() // 60)
    if not row.can_succeed:
        if row.purpose != OneTimeCode.Purpose.SIGN_UP:
            return  # a reset for no account, an address another account uses: nothing to send
        subject = _("Địa chỉ này đã có tài khoản")
        body = _(
            "Có người vừa dùng địa chỉ này để đăng ký tài khoản Cổng dịch vụ công, nhưng địa "
            "chỉ này đã có tài khoản. Nếu là bạn, hãy đăng nhập hoặc chọn «Quên mật khẩu» để "
            "đặt lại mật khẩu. Nếu không phải bạn, hãy bỏ qua tin này."
        )
    else:
        subject, purpose = {
            OneTimeCode.Purpose.SIGN_UP: (
                _("Mã xác nhận đăng ký tài khoản"),
                _("đăng ký tài khoản"),
            ),
            OneTimeCode.Purpose.PASSWORD_RESET: (
                _("Mã xác nhận đặt lại mật khẩu"),
                _("đặt lại mật khẩu"),
            ),
            OneTimeCode.Purpose.CONTACT_CHANGE: (
                _("Mã xác nhận đổi thông tin liên hệ"),
                _("xác nhận số điện thoại, email mới"),
            ),
        }[OneTimeCode.Purpose(row.purpose)]
        body = _(
            "Mã xác nhận %(purpose)s trên Cổng dịch vụ công: %(code)s. Mã có hiệu lực "
            "%(minutes)s phút. Không đưa mã này cho bất kỳ ai."
        ) % {"purpose": purpose, "code": code, "minutes": minutes}
    notify.notify(row.channel, row.address, subject, body, essential=True)


def _issue_code(
    *,
    purpose: str,
    channel: str,
    address: str,
    user: User | None,
    can_succeed: bool,
    client_address: str,
    details: dict[str, Any] | None = None,
) -> OneTimeCode:
    now = timezone.now()
    with transaction.atomic():
        _check_sending_limits(address, client_address, now)
        row = OneTimeCode(
            purpose=purpose,
            channel=channel,
            address=address,
            user=user,
            can_succeed=can_succeed,
            client_address=client_address,
            details=details or {},
        )
        code = codes.new_code()
        _store_code(row, code, now)
        row.save()
        CodeSending.objects.create(address=address, client_address=client_address, sent_at=now)
        audit.record(
            f"people.code_sent.{purpose}",
            row,
            actor=user if purpose == OneTimeCode.Purpose.CONTACT_CHANGE else None,
            changes=_created(row, CODE_FIELDS),
        )
        _send_code(row, code)
    return row


def request_sign_up(
    *,
    full_name: str,
    contact: str,
    password: str,
    password_again: str,
    consent: bool,
    client_address: str = "",
) -> OneTimeCode:
    """Đăng ký tài khoản, step one: check what was typed and send a code to the phone or e-mail.

    Nothing but the code's row is written: the account is created only by `confirm_sign_up`.
    """
    errors: dict[str, list[str]] = {}
    name = normalize(full_name)
    if not name:
        errors["full_name"] = [_("Chưa nhập họ và tên.")]
    elif len(name) > 200:
        errors["full_name"] = [_("Họ và tên dài quá 200 ký tự.")]
    channel, address = "", ""
    try:
        channel, address = parse_contact(contact)
    except PeopleError as exc:
        errors.update(exc.message_dict)
    if not password:
        errors["password"] = [_("Chưa nhập mật khẩu.")]
    elif password != password_again:
        errors["password_again"] = [_("Hai mật khẩu đã nhập không giống nhau.")]
    else:
        probe = User(
            full_name=name,
            email=address if channel == OneTimeCode.Channel.EMAIL else "",
            phone=address if channel == OneTimeCode.Channel.SMS else None,
        )
        _check_password(password, probe, errors)
    if not consent:
        errors["consent"] = [
            _("Cần đồng ý cho xử lý dữ liệu cá nhân để tạo tài khoản (Nghị định 13/2023/NĐ-CP).")
        ]
    if errors:
        raise PeopleError(errors)
    # Hashed whether or not the address has an account: the hash takes tens of milliseconds,
    # and doing it only for new addresses would tell them apart by the answer's time.
    hashed = make_password(password)
    existing = _account_at(channel, address)
    return _issue_code(
        purpose=OneTimeCode.Purpose.SIGN_UP,
        channel=channel,
        address=address,
        user=existing,
        can_succeed=existing is None,
        client_address=client_address,
        details={"full_name": name, "password": hashed} if existing is None else {},
    )


def resend_code(row: OneTimeCode, *, client_address: str = "") -> OneTimeCode:
    """Gửi lại mã: a new code (the old one stops working) once the delay has passed."""
    now = timezone.now()
    with transaction.atomic():
        locked = OneTimeCode.objects.select_for_update().get(pk=row.pk)
        if locked.used_at is not None:
            raise PeopleError(
                {"code": _("Mã này đã được dùng. Vui lòng bắt đầu lại.")}, CODE_REFUSED
            )
        wait = codes.seconds_until_resend(locked.sent_at, now)
        if wait:
            raise PeopleError(
                {"code": _("Vui lòng đợi %(seconds)s giây rồi gửi lại mã.") % {"seconds": wait}},
                RESEND_TOO_SOON,
            )
        _check_sending_limits(locked.address, client_address, now)
        code = codes.new_code()
        _store_code(locked, code, now)
        locked.save(update_fields=["code_hash", "sent_at", "expires_at", "attempts"])
        CodeSending.objects.create(
            address=locked.address, client_address=client_address, sent_at=now
        )
        audit.record(
            f"people.code_resent.{locked.purpose}",
            locked,
            actor=locked.user if locked.purpose == OneTimeCode.Purpose.CONTACT_CHANGE else None,
            changes={"sent_at": [row.sent_at, now]},
        )
        _send_code(locked, code)
    return locked


_REFUSALS = {
    "used": gettext_lazy("Mã này đã được dùng. Vui lòng bắt đầu lại."),
    "exhausted": gettext_lazy("Đã nhập sai mã quá nhiều lần. Hãy bấm «Gửi lại mã» để nhận mã mới."),
    "expired": gettext_lazy("Mã đã hết hạn. Hãy bấm «Gửi lại mã» để nhận mã mới."),
}


def _use_code(row: OneTimeCode, code: str, purpose: str) -> OneTimeCode:
    """Lock the row and check `code`; call inside a transaction. The row comes back locked.

    A wrong code is counted in its own committed transaction before the error is raised, so a
    refusal never rolls the count back.
    """
    locked = OneTimeCode.objects.select_for_update().get(pk=row.pk, purpose=purpose)
    state = codes.CodeState(
        sent_at=locked.sent_at,
        expires_at=locked.expires_at,
        attempts=locked.attempts,
        used=locked.used_at is not None,
    )
    refusal = codes.why_refused(state, timezone.now())
    if refusal:
        raise PeopleError({"code": str(_REFUSALS[refusal])}, CODE_REFUSED)
    digits = codes.clean_code(code)
    if digits is None:
        raise PeopleError({"code": CODE_INVALID.message}, CODE_INVALID)
    if not _code_matches(locked, digits):
        raise _WrongCode(locked.pk)
    return locked


class _WrongCode(Exception):
    def __init__(self, pk: int) -> None:
        self.pk = pk


def _count_wrong_code(pk: int) -> PeopleError:
    with transaction.atomic():
        locked = OneTimeCode.objects.select_for_update().get(pk=pk)
        locked.attempts += 1
        locked.save(update_fields=["attempts"])
        audit.record(
            f"people.code_refused.{locked.purpose}",
            locked,
            actor=None,
            changes={"attempts": [locked.attempts - 1, locked.attempts]},
        )
    left = codes.MAX_ATTEMPTS - locked.attempts
    if left <= 0:
        return PeopleError({"code": str(_REFUSALS["exhausted"])}, CODE_REFUSED)
    return PeopleError(
        {"code": _("Mã không đúng. Bạn còn %(left)s lần nhập.") % {"left": left}},
        CODE_WRONG,
    )


def confirm_sign_up(row: OneTimeCode, code: str) -> User:
    """Đăng ký tài khoản, step two: the right code creates the active citizen account."""
    taken = PeopleError(
        {"code": _("Địa chỉ này vừa được đăng ký. Hãy đăng nhập hoặc lấy lại mật khẩu.")},
        ALREADY_REGISTERED,
    )
    try:
        with transaction.atomic():
            locked = _use_code(row, code, OneTimeCode.Purpose.SIGN_UP)
            phone = locked.address if locked.channel == OneTimeCode.Channel.SMS else None
            email = locked.address if locked.channel == OneTimeCode.Channel.EMAIL else ""
            if _account_at(locked.channel, locked.address) is not None:
                raise taken
            user = User(
                username=f"cd-{secrets.token_hex(6)}",
                kind=User.Kind.CITIZEN,
                full_name=locked.details["full_name"],
                phone=phone,
                email=email,
                password=locked.details["password"],
            )
            user.save()
            locked.used_at = timezone.now()
            locked.user = user
            locked.details = {}
            locked.save(update_fields=["used_at", "user", "details"])
            audit.record(
                "people.citizen_signed_up",
                user,
                actor=user,
                changes={**_created(user, USER_FIELDS), "code": [None, locked.pk]},
            )
    except _WrongCode as wrong:
        raise _count_wrong_code(wrong.pk) from None
    except IntegrityError:  # the same address signed up at the same moment elsewhere
        raise taken from None
    return user


def request_password_reset(*, contact: str, client_address: str = "") -> OneTimeCode:
    """Quên mật khẩu, step one: a code to the phone or e-mail of the account, if there is one."""
    channel, address = parse_contact(contact)
    user = _account_at(channel, address)
    return _issue_code(
        purpose=OneTimeCode.Purpose.PASSWORD_RESET,
        channel=channel,
        address=address,
        user=user,
        can_succeed=user is not None and user.is_active,
        client_address=client_address,
    )


def reset_password(row: OneTimeCode, code: str, *, password: str, password_again: str) -> User:
    """Quên mật khẩu, step two: the right code sets the new password and lifts a lockout.

    An official still signs in with their second factor afterwards: this changes only the
    password.
    """
    try:
        with transaction.atomic():
            locked = _use_code(row, code, OneTimeCode.Purpose.PASSWORD_RESET)
            assert locked.user_id is not None  # a row for no account never accepts a code
            user = User.objects.select_for_update().get(pk=locked.user_id)
            errors: dict[str, list[str]] = {}
            if password != password_again:
                errors["password_again"] = [_("Hai mật khẩu đã nhập không giống nhau.")]
            else:
                _check_password(password, user, errors)
            if errors:
                raise PeopleError(errors)
            user.set_password(password)
            user.save(update_fields=["password"])
            locked.used_at = timezone.now()
            locked.save(update_fields=["used_at"])
            unlocked = AccessAttempt.objects.filter(username=user.get_username()).delete()[0]
            audit.record(
                "people.password_reset",
                user,
                actor=user,
                changes={"password": "changed", "code": [None, locked.pk], "unlocked": unlocked},
            )
    except _WrongCode as wrong:
        raise _count_wrong_code(wrong.pk) from None
    return user


def change_password(user: User, *, current: str, password: str, password_again: str) -> User:
    """Đổi mật khẩu from the account page: the current password is asked first."""
    errors: dict[str, list[str]] = {}
    if not user.has_usable_password() or not user.check_password(current or ""):
        errors["current_password"] = [_("Mật khẩu hiện tại không đúng.")]
    if password != password_again:
        errors["password_again"] = [_("Hai mật khẩu đã nhập không giống nhau.")]
    else:
        _check_password(password, user, errors)
    if errors:
        raise PeopleError(errors)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record("people.password_changed", user, actor=user, changes={"password": "changed"})
    return user


def request_contact_change(user: User, *, contact: str, client_address: str = "") -> OneTimeCode:
    """Đổi số điện thoại hoặc email: a code to the new address; nothing changes until it is typed.

    An address another account uses answers the same way (and that address is told nothing).
    """
    channel, address = parse_contact(contact)
    current = user.email if channel == OneTimeCode.Channel.EMAIL else user.phone
    if address == current:
        raise PeopleError({"contact": _("Đây là địa chỉ bạn đang dùng.")})
    holder = _account_at(channel, address)
    return _issue_code(
        purpose=OneTimeCode.Purpose.CONTACT_CHANGE,
        channel=channel,
        address=address,
        user=user,
        can_succeed=holder is None,
        client_address=client_address,
    )


def confirm_contact_change(row: OneTimeCode, code: str, *, user: User) -> User:
    """The right code puts the new phone or e-mail on the account (and its citizen record)."""
    if row.user_id != user.pk:
        raise PeopleError({"code": str(_REFUSALS["used"])}, CODE_REFUSED)
    try:
        with transaction.atomic():
            locked = _use_code(row, code, OneTimeCode.Purpose.CONTACT_CHANGE)
            field = "email" if locked.channel == OneTimeCode.Channel.EMAIL else "phone"
            if _account_at(locked.channel, locked.address) is not None:
                raise PeopleError({"code": str(_REFUSALS["used"])}, CODE_REFUSED)
            account = User.objects.select_for_update().get(pk=user.pk)
            before = audit.snapshot(account, USER_FIELDS)
            setattr(account, field, locked.address)
            account.save(update_fields=[field])
            citizen = Citizen.objects.filter(user=account).first()
            if citizen is not None:
                setattr(citizen, field, locked.address)
                citizen.save(update_fields=[field, "updated_at"])
            locked.used_at = timezone.now()
            locked.save(update_fields=["used_at"])
            audit.record(
                "people.contact_changed",
                account,
                actor=account,
                changes={
                    **audit.diff(before, audit.snapshot(account, USER_FIELDS)),
                    "code": [None, locked.pk],
                },
            )
    except _WrongCode as wrong:
        raise _count_wrong_code(wrong.pk) from None
    setattr(user, field, locked.address)
    return account


PREFERENCE_FIELDS = ("notify_by_email", "notify_by_sms", "notify_by_zalo")


def update_own_details(user: User, *, full_name: str, address: str) -> User:
    """What a citizen edits on the account page: name and contact address."""
    errors: dict[str, list[str]] = {}
    name = normalize(full_name)
    clean_address = normalize(address)
    if not name:
        errors["full_name"] = [_("Chưa nhập họ và tên.")]
    elif len(name) > 200:
        errors["full_name"] = [_("Họ và tên dài quá 200 ký tự.")]
    if len(clean_address) > 300:
        errors["address"] = [_("Địa chỉ dài quá 300 ký tự.")]
    if errors:
        raise PeopleError(errors)
    fields = ("full_name", "address")
    with transaction.atomic():
        before = audit.snapshot(user, fields)
        user.full_name, user.address = name, clean_address
        user.save(update_fields=list(fields))
        changes = audit.diff(before, audit.snapshot(user, fields))
        if changes:
            audit.record("people.details_updated", user, actor=user, changes=changes)
    return user


def set_notification_preferences(user: User, *, email: bool, sms: bool, zalo: bool) -> User:
    """Kênh nhận thông báo: which channels the citizen wants news through."""
    with transaction.atomic():
        before = audit.snapshot(user, PREFERENCE_FIELDS)
        user.notify_by_email, user.notify_by_sms, user.notify_by_zalo = email, sms, zalo
        user.save(update_fields=list(PREFERENCE_FIELDS))
        changes = audit.diff(before, audit.snapshot(user, PREFERENCE_FIELDS))
        if changes:
            audit.record("people.notification_preferences_set", user, actor=user, changes=changes)
    return user
