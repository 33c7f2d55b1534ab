"""Every change to accounts, citizens, organisations and roles: one named action each.

Each action runs in one transaction and writes its audit record in it. Passwords and TOTP keys
never reach the audit trail. Invalid input raises `PeopleError` with one message per field,
before anything is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core import audit
from tinhso.core.identifiers import (
    InvalidIdentifier,
    TaxCodeKind,
    normalize_phone,
    parse_tax_code,
    validate_personal_id,
)
from tinhso.core.text import normalize
from tinhso.people.models import Citizen, Organisation, Role, RoleAssignment, User
from tinhso.places.models import Agency

USER_FIELDS = ("username", "kind", "full_name", "phone", "email", "is_active", "is_staff")
CITIZEN_FIELDS = ("personal_id", "full_name", "date_of_birth", "sex", "phone", "email", "user_id")
ORGANISATION_FIELDS = ("tax_code", "name", "kind", "address", "representative_id")


class PeopleError(ValidationError):
    """Input refused: `message_dict` holds the Vietnamese messages per field."""

    def __init__(self, errors: Mapping[str, str | list[str]]) -> None:
        super().__init__({field: msgs for field, msgs in errors.items()})


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
            {"personal_id": _("Tài khoản vừa được tạo cùng lúc ở nơi khác; hãy thử đăng nhập.")}
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
        raise PeopleError({field: _("Không sửa được trường này.") for field in sorted(unknown)})
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
        raise PeopleError({"user": _("Chỉ tài khoản cán bộ, công chức mới được giao vai trò.")})
    if role not in Role.values:
        raise PeopleError({"role": _("Vai trò không hợp lệ: %(role)s.") % {"role": role}})
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
        raise PeopleError({"tax_code": _("Mã số thuế này đã được đăng ký.")}) from None
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
    """
    number = validate_personal_id(personal_id, date_of_birth).number
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
