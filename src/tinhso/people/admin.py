"""Admin for accounts, citizens, organisations and roles. Every save goes through an action.

The admin site itself requires a verified second factor (django-otp's OTPAdminSite) and has no
sign-in form of its own: it sends people to the site's sign-in page, where the password and
the TOTP code are both checked and both count towards the lockout.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core.identifiers import InvalidIdentifier, normalize_phone, parse_tax_code
from tinhso.people import actions, clients
from tinhso.people.models import (
    ApiClient,
    ApiScope,
    Citizen,
    Organisation,
    RoleAssignment,
    User,
)
from tinhso.people.queries import access_citizen
from tinhso.people.security import is_fully_signed_in
from tinhso.web.admin_display import yes_no


class OfficialAdminSite(OTPAdminSite):
    """OTPAdminSite whose sign-in is the site's own page (password, then TOTP code)."""

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if is_fully_signed_in(request.user):
            return HttpResponseForbidden(_("Tài khoản này không có quyền vào trang quản trị."))
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("people:sign-in"))


# admin.site is created by django.contrib.admin; give it the OTP-requiring behaviour in place,
# so the project's urls.py (admin.site.urls) needs no change.
admin.site.__class__ = OfficialAdminSite
admin.site.site_header = gettext_lazy("Quản trị hệ thống")
admin.site.site_title = gettext_lazy("Quản trị hệ thống")
admin.site.index_title = gettext_lazy("Danh mục quản trị")

# TOTP devices are issued by the audited "Cấp thiết bị xác thực" action on accounts, not edited
# directly.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _actor(request: HttpRequest) -> User:
    """The signed-in official acting in the admin (the admin site lets no one else in)."""
    user = request.user
    assert isinstance(user, User)
    return user


class ThroughActionsAdmin(admin.ModelAdmin):
    """An action's refusal (PeopleError) comes back as a message, not a server error."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except actions.PeopleError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _clean_phone(value: str | None) -> str | None:
    if not (value or "").strip():
        return None
    try:
        return normalize_phone(value or "")
    except InvalidIdentifier as exc:
        raise ValidationError(exc.message) from None


class OfficialCreationForm(forms.ModelForm):
    password1 = forms.CharField(
        label=gettext_lazy("Mật khẩu"), strip=False, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=gettext_lazy("Nhập lại mật khẩu"), strip=False, widget=forms.PasswordInput
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "phone", "is_staff"]

    def clean_phone(self) -> str | None:
        return _clean_phone(self.cleaned_data.get("phone"))

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Hai mật khẩu không giống nhau."))
        elif first:
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            for problem in actions.password_problems(first, candidate):
                self.add_error("password1", problem)
        return data


class AccountChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "email", "phone", "is_active", "is_staff", "is_superuser"]

    def clean_phone(self) -> str | None:
        return _clean_phone(self.cleaned_data.get("phone"))

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()


# Fields that grant powers: only a superuser changes them (an official with people.change_user
# could otherwise make themselves superuser).
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _is_superuser(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_superuser", False))


@admin.register(User)
class UserAdmin(ThroughActionsAdmin):
    """Accounts. Only a superuser grants or removes powers (PRIVILEGE_FIELDS), changes a
    superuser's account or issues a superuser's TOTP device; nobody but a superuser issues
    their own device here (a stolen session must not be able to move the second factor to
    another phone: a colleague issues it). The list shows no phone or e-mail: opening an
    account is the way to see them."""

    form = AccountChangeForm
    list_display = [
        "username",
        "full_name",
        "kind",
        yes_no(User, "is_active"),
        yes_no(User, "is_staff"),
    ]
    list_filter = ["kind", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone", "email"]
    ordering = ["username"]
    fields = [
        "username",
        "kind",
        "full_name",
        "email",
        "phone",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    actions = ["issue_totp_devices"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are deactivated, not deleted: the audit trail points at them

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not _is_superuser(request):
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            fields = ["username", "full_name", "email", "phone"]
            if _is_superuser(request):
                fields.append("is_staff")
            return [(None, {"fields": [*fields, "password1", "password2"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        fixed = ["username", "kind", "last_login", "date_joined"]
        if not _is_superuser(request):
            fixed += PRIVILEGE_FIELDS
        return fixed

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = OfficialCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not _is_superuser(request) and any(data.get(f) for f in PRIVILEGE_FIELDS):
            # A second guard: the form of a non-superuser has none of these fields.
            raise PermissionDenied(_("Chỉ quản trị viên cấp cao được cấp quyền quản trị."))
        if change:
            original = User.objects.get(pk=obj.pk)
            values = {name: data[name] for name in form.changed_data if name in data}
            actions.update_account(original, actor=_actor(request), **values)
            return
        created = actions.create_official(
            username=data["username"],
            full_name=data["full_name"],
            email=data.get("email", ""),
            phone=data.get("phone"),
            password=data["password1"],
            is_staff=data.get("is_staff", False),
            actor=_actor(request),
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing related is edited here; roles have their own page."""

    @admin.action(description=gettext_lazy("Cấp thiết bị xác thực (TOTP) cho các cán bộ đã chọn"))
    def issue_totp_devices(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        issued = []
        actor = _actor(request)
        for user in queryset.order_by("username"):
            if not actor.is_superuser and (user.is_superuser or user.pk == actor.pk):
                self.message_user(
                    request,
                    _(
                        "%(username)s: chỉ quản trị viên cấp cao được cấp thiết bị xác thực "
                        "cho tài khoản quản trị cấp cao hoặc cho chính mình."
                    )
                    % {"username": user.username},
                    messages.ERROR,
                )
                continue
            if not user.requires_second_factor:
                self.message_user(
                    request,
                    _("%(username)s: tài khoản công dân không cần mã xác thực.")
                    % {"username": user.username},
                    messages.WARNING,
                )
                continue
            device = actions.enroll_totp(user, actor=actor)
            qr = segno.make(device.config_url, error="m").svg_inline(scale=4)
            issued.append(
                {
                    "user": user,
                    "secret": base64.b32encode(device.bin_key).decode(),
                    "qr": mark_safe(qr),  # noqa: S308 - SVG generated by segno from our data
                }
            )
        if not issued:
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Thiết bị xác thực đã cấp"),
            "issued": issued,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/people/totp_issued.html", context)
        response["Cache-Control"] = "no-store"  # the secrets are shown once
        return response


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    """Read-only; opening a record is an official's read of personal data, and is audited."""

    list_display = ["full_name", "created_at"]
    search_fields = ["=personal_id", "full_name"]
    readonly_fields = [
        "personal_id",
        "full_name",
        "date_of_birth",
        "sex",
        "phone",
        "email",
        "address",
        "commune",
        "user",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if object_id.isdigit():
            access_citizen(request.user, int(object_id))
        return super().change_view(request, object_id, form_url, extra_context)


class OrganisationForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Loại"),
        required=False,
        choices=[("", gettext_lazy("Theo mã số thuế")), *Organisation.Kind.choices],
    )

    class Meta:
        model = Organisation
        fields = ["tax_code", "name", "kind", "address", "representative", "members"]

    def clean_tax_code(self) -> str:
        try:
            return parse_tax_code(self.cleaned_data.get("tax_code") or "").display
        except InvalidIdentifier as exc:
            raise ValidationError(exc.message) from None


@admin.register(Organisation)
class OrganisationAdmin(ThroughActionsAdmin):
    form = OrganisationForm
    list_display = ["tax_code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["tax_code", "name"]
    raw_id_fields = ["representative", "members"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        data = form.cleaned_data
        created = actions.register_organisation(
            tax_code=data["tax_code"],
            name=data["name"],
            kind=data.get("kind") or None,
            address=data.get("address", ""),
            representative=data.get("representative"),
            members=data.get("members") or (),
            actor=_actor(request),
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Members were given to register_organisation."""


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "agency", "role", "title"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ThroughActionsAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "agency", "title"]
    list_filter = ["role"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__full_name", "agency__name", "agency__code"]
    autocomplete_fields = ["agency"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["user", "agency", "role", "created_at"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(kind=User.Kind.OFFICIAL).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool
    ) -> None:
        if change:
            current = RoleAssignment.objects.select_related("user", "agency").get(pk=obj.pk)
            user, agency, role = current.user, current.agency, current.role
        else:
            user, agency, role = obj.user, obj.agency, obj.role
        saved = actions.grant_role(
            user,
            agency,
            role,
            actor=_actor(request),
            title=obj.title,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        actions.revoke_role(obj.user, obj.agency, obj.role, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for assignment in queryset.select_related("user", "agency"):
            self.delete_model(request, assignment)


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Phạm vi"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "requests_per_minute"]


@admin.register(ApiClient)
class ApiClientAdmin(ThroughActionsAdmin):
    """Ứng dụng kết nối: adding one issues its key, shown once in the message that follows."""

    form = ApiClientForm
    list_display = [
        "name",
        "key_prefix",
        "scopes",
        "requests_per_minute",
        yes_no(ApiClient, "is_active"),
        "revoked_at",
    ]
    list_filter = ["is_active"]
    readonly_fields = ["key_prefix", "is_active", "created_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The name is the client's identity in dossiers and the audit trail: fixed once issued.
        return [*self.readonly_fields, "name"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: dossiers keep naming the client

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            clients.update(
                obj,
                actor=_actor(request),
                scopes=form.cleaned_data["scopes"],
                requests_per_minute=form.cleaned_data["requests_per_minute"],
            )
            return
        client, key = clients.issue(
            obj.name,
            scopes=form.cleaned_data["scopes"],
            requests_per_minute=form.cleaned_data["requests_per_minute"],
            actor=_actor(request),
        )
        obj.pk = client.pk
        obj.key_prefix, obj.key_hash = client.key_prefix, client.key_hash
        self.message_user(
            request,
            _("Khóa API của “%(name)s” (chỉ hiện một lần này, hãy lưu lại ngay): %(key)s")
            % {"name": client.name, "key": key},
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Thu hồi khóa của các ứng dụng đã chọn"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        done = 0
        for client in queryset.filter(is_active=True):
            clients.revoke(client, actor=_actor(request))
            done += 1
        self.message_user(request, _("Đã thu hồi khóa của %(n)s ứng dụng.") % {"n": done})
