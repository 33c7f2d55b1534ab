"""Sign-in pages: password, then a TOTP code for officials; lockout; sign-out; the account page.

An official is never signed in by the password step: it only records, in the session, who
passed it and when. `auth.login` happens after the TOTP code, together with
`django_otp.login`. Failed passwords and failed codes both count towards the django-axes lock
of the account.
"""

from __future__ import annotations

import math
import time
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core.middleware import client_address
from tinhso.people import actions, codes, oidc
from tinhso.people.auth import login_name
from tinhso.people.forms import (
    CodeForm,
    ContactForm,
    DetailsForm,
    PasswordChangeForm,
    PreferencesForm,
    ResetForm,
    SecondFactorForm,
    SignInForm,
    SignUpForm,
)
from tinhso.people.models import Citizen, OneTimeCode, User
from tinhso.people.queries import (
    active_roles,
    contact_details,
    masked_address,
    masked_personal_id,
    work_page,
)
from tinhso.people.security import is_fully_signed_in

PENDING_KEY = "people.second_factor_pending"
PENDING_SECONDS = 300

WRONG_CREDENTIALS = gettext_lazy("Số điện thoại, email, tên đăng nhập hoặc mật khẩu không đúng.")
NO_DEVICE = gettext_lazy(
    "Tài khoản cán bộ, công chức phải đăng nhập bằng mã xác thực nhưng chưa được cấp thiết bị "
    "xác thực. Vui lòng liên hệ quản trị hệ thống để được cấp."
)
WRONG_CODE = gettext_lazy(
    "Mã xác thực không đúng hoặc đã hết hạn. Hãy nhập mã đang hiện trên ứng dụng."
)
PENDING_EXPIRED = gettext_lazy("Phiên đăng nhập đã hết hạn. Vui lòng nhập lại mật khẩu.")
CODE_SESSION_GONE = gettext_lazy("Phiên xác nhận đã hết hạn. Vui lòng bắt đầu lại.")


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _credentials(username: str) -> dict[str, str]:
    return {settings.AXES_USERNAME_FORM_FIELD: username}


def _minutes_locked(username: str) -> int:
    cool_off = get_cool_off()
    if cool_off is None:
        return 0
    last = (
        AccessAttempt.objects.filter(username=username)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None:
        return math.ceil(cool_off.total_seconds() / 60)
    left = (last + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(left / 60))


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a page, status 429."""
    username = str((credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or "")
    minutes = _minutes_locked(username)
    request.session.pop(PENDING_KEY, None)
    response = render(
        request,
        "people/locked_out.html",
        {"minutes": minutes, "failure_limit": get_failure_limit(request, credentials)},
        status=429,
    )
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response


def remember_menu(request: HttpRequest, user: Any) -> None:
    """Note in the session which menu entries this official may see (the operations
    centre), so the menu on every page costs no query; each page still checks access."""
    from tinhso.ioc.queries import may_use_ioc
    from tinhso.web.context import IOC_MENU_KEY

    request.session[IOC_MENU_KEY] = may_use_ioc(user)


def _landing(request: HttpRequest, user: Any, next_url: str = "") -> HttpResponse:
    """After sign-in: `next` when it is safe, else where this person's work is."""
    return redirect(next_url or work_page(user))


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated:
        if is_fully_signed_in(request.user):
            return _landing(request, request.user, next_url)
        logout(request)
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = login_name(form.cleaned_data["username"])
        user = authenticate(request=request, username=name, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out(request, None, _credentials(name))
        if not isinstance(user, User):
            form.add_error(None, WRONG_CREDENTIALS)
        elif user.requires_second_factor:
            if not TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
                form.add_error(None, NO_DEVICE)
            else:
                request.session.cycle_key()
                request.session[PENDING_KEY] = {
                    "user": user.pk,
                    "backend": user.backend,
                    "next": next_url,
                    "at": time.time(),
                }
                return redirect("people:second-factor")
        else:
            login(request, user)
            return _landing(request, user, next_url)
    return render(
        request,
        "people/sign_in.html",
        {"form": form, "next": next_url, "oidc_enabled": oidc.is_enabled()},
    )


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id = pending.get("user")
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return user, pending


def _verify_code(user: User, code: str) -> tuple[TOTPDevice | None, int]:
    """The device that accepts `code`, or None and the seconds to wait when throttled."""
    wait = 0
    for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed:
            until = (data or {}).get("locked_until")
            if until is not None:
                wait = max(wait, math.ceil((until - timezone.now()).total_seconds()))
            continue
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified, 0
        wait = 0
    return None, wait


def second_factor(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        messages.info(request, PENDING_EXPIRED)
        return redirect("people:sign-in")
    user, pending = found
    credentials = _credentials(user.get_username())
    if not AxesProxyHandler.is_allowed(request, credentials):
        return locked_out(request, None, credentials)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, wait = _verify_code(user, form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING_KEY]
            login(request, user, backend=pending["backend"])
            django_otp.login(request, device)
            remember_menu(request, user)
            return _landing(request, user, pending.get("next") or "")
        if wait > 0:
            form.add_error(
                "code", _("Vui lòng đợi %(seconds)s giây rồi nhập lại mã.") % {"seconds": wait}
            )
        else:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                return locked_out(request, None, credentials)
            form.add_error("code", WRONG_CODE)
    return render(request, "people/second_factor.html", {"form": form, "account": user})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(resolve_url(settings.LOGOUT_REDIRECT_URL))


# --- sign-up and password reset: a code to the phone or e-mail ----------------------------

SIGN_UP_KEY = "people.sign_up_code"
RESET_KEY = "people.reset_code"
CONTACT_KEY = "people.contact_code"
SIGN_IN_BACKEND = "tinhso.people.auth.PhoneEmailOrUsernameBackend"


def _show_errors(form: Any, error: actions.PeopleError) -> None:
    """Put an action's messages on the form: on the field when the form has it, else on top."""
    for field, messages_ in error.message_dict.items():
        for message in messages_:
            form.add_error(field if field in form.fields else None, message)


def _pending_code(request: HttpRequest, key: str, purpose: str) -> OneTimeCode | None:
    pk = request.session.get(key)
    row = OneTimeCode.objects.filter(pk=pk, purpose=purpose).first() if pk else None
    if row is None or row.used_at is not None:
        request.session.pop(key, None)
        return None
    return row


def _code_page(
    request: HttpRequest, template: str, form: Any, row: OneTimeCode, resend_url: str
) -> HttpResponse:
    wait = codes.seconds_until_resend(row.sent_at, timezone.now())
    return render(
        request,
        template,
        {
            "form": form,
            "sent_to": masked_address(row.address),
            "by_sms": row.channel == OneTimeCode.Channel.SMS,
            "minutes": int(codes.LIFETIME.total_seconds() // 60),
            "resend_url": resend_url,
            "resend_wait": wait,
        },
    )


def _anonymous_only(request: HttpRequest) -> HttpResponse | None:
    if request.user.is_authenticated and is_fully_signed_in(request.user):
        return redirect(work_page(request.user))
    return None


def sign_up(request: HttpRequest) -> HttpResponse:
    """Đăng ký: name, phone or e-mail, password twice, consent; then a code."""
    if (signed_in := _anonymous_only(request)) is not None:
        return signed_in
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = actions.request_sign_up(
                full_name=data["full_name"],
                contact=data["contact"],
                password=data["password"],
                password_again=data["password_again"],
                consent=data["consent"],
                client_address=client_address(request),
            )
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            request.session[SIGN_UP_KEY] = row.pk
            return redirect("people:sign-up-confirm")
    return render(request, "people/sign_up.html", {"form": form})


def sign_up_confirm(request: HttpRequest) -> HttpResponse:
    row = _pending_code(request, SIGN_UP_KEY, OneTimeCode.Purpose.SIGN_UP)
    if row is None:
        messages.info(request, CODE_SESSION_GONE)
        return redirect("people:sign-up")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.confirm_sign_up(row, form.cleaned_data["code"])
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            del request.session[SIGN_UP_KEY]
            login(request, user, backend=SIGN_IN_BACKEND)
            messages.success(request, _("Đã tạo tài khoản. Chào mừng bạn!"))
            return redirect(_next_url(request) or work_page(user))
    return _code_page(
        request, "people/sign_up_confirm.html", form, row, reverse("people:sign-up-resend")
    )


def _resend(request: HttpRequest, key: str, purpose: str, back: str, start: str) -> HttpResponse:
    row = _pending_code(request, key, purpose)
    if row is None:
        messages.info(request, CODE_SESSION_GONE)
        return redirect(start)
    try:
        actions.resend_code(row, client_address=client_address(request))
    except actions.PeopleError as exc:
        for messages_ in exc.message_dict.values():
            for message in messages_:
                messages.error(request, message)
    else:
        messages.success(request, _("Đã gửi mã mới. Mã cũ không dùng được nữa."))
    return redirect(back)


@require_POST
def sign_up_resend(request: HttpRequest) -> HttpResponse:
    return _resend(
        request,
        SIGN_UP_KEY,
        OneTimeCode.Purpose.SIGN_UP,
        "people:sign-up-confirm",
        "people:sign-up",
    )


def forgot_password(request: HttpRequest) -> HttpResponse:
    """Quên mật khẩu: phone or e-mail; a code goes there if it is an account's."""
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = actions.request_password_reset(
                contact=form.cleaned_data["contact"], client_address=client_address(request)
            )
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            request.session[RESET_KEY] = row.pk
            return redirect("people:reset-password")
    return render(request, "people/forgot_password.html", {"form": form})


def reset_password(request: HttpRequest) -> HttpResponse:
    row = _pending_code(request, RESET_KEY, OneTimeCode.Purpose.PASSWORD_RESET)
    if row is None:
        messages.info(request, CODE_SESSION_GONE)
        return redirect("people:forgot-password")
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.reset_password(
                row,
                data["code"],
                password=data["password"],
                password_again=data["password_again"],
            )
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            del request.session[RESET_KEY]
            if request.user.is_authenticated:
                logout(request)
            messages.success(request, _("Đã đặt mật khẩu mới. Hãy đăng nhập bằng mật khẩu mới."))
            return redirect("people:sign-in")
    return _code_page(
        request, "people/reset_password.html", form, row, reverse("people:reset-resend")
    )


@require_POST
def reset_resend(request: HttpRequest) -> HttpResponse:
    return _resend(
        request,
        RESET_KEY,
        OneTimeCode.Purpose.PASSWORD_RESET,
        "people:reset-password",
        "people:forgot-password",
    )


def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "people/privacy_notice.html")


# --- the account page ---------------------------------------------------------------------


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    citizen = Citizen.objects.filter(user=user).first()
    preferences = PreferencesForm(
        request.POST or None,
        initial={field: getattr(user, field) for field in actions.PREFERENCE_FIELDS},
    )
    if request.method == "POST" and preferences.is_valid():
        data = preferences.cleaned_data
        actions.set_notification_preferences(
            user,
            email=data["notify_by_email"],
            sms=data["notify_by_sms"],
            zalo=data["notify_by_zalo"],
        )
        messages.success(request, _("Đã lưu cách nhận thông báo."))
        return redirect("people:account")
    details = contact_details(user)
    return render(
        request,
        "people/account.html",
        {
            "roles": list(active_roles(user)),
            "citizen": citizen,
            "personal_id": masked_personal_id(citizen.personal_id) if citizen else "",
            "details": details,
            "preferences": preferences,
            "work_url": reverse(work_page(user)) if user.kind == User.Kind.OFFICIAL else "",
        },
    )


@login_required
def account_details(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    details = contact_details(user)
    form = DetailsForm(
        request.POST or None,
        initial={"full_name": user.full_name, "address": details.address},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_own_details(
                user, full_name=form.cleaned_data["full_name"], address=form.cleaned_data["address"]
            )
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu thông tin cá nhân."))
            return redirect("people:account")
    return render(request, "people/account_details.html", {"form": form})


@login_required
def change_password(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.change_password(
                user,
                current=data["current_password"],
                password=data["password"],
                password_again=data["password_again"],
            )
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Đã đổi mật khẩu."))
            return redirect("people:account")
    return render(request, "people/change_password.html", {"form": form})


@login_required
def change_contact(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = actions.request_contact_change(
                user, contact=form.cleaned_data["contact"], client_address=client_address(request)
            )
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            request.session[CONTACT_KEY] = row.pk
            return redirect("people:change-contact-confirm")
    return render(request, "people/change_contact.html", {"form": form})


@login_required
def change_contact_confirm(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    row = _pending_code(request, CONTACT_KEY, OneTimeCode.Purpose.CONTACT_CHANGE)
    if row is None or row.user_id != user.pk:
        request.session.pop(CONTACT_KEY, None)
        messages.info(request, CODE_SESSION_GONE)
        return redirect("people:change-contact")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_contact_change(row, form.cleaned_data["code"], user=user)
        except actions.PeopleError as exc:
            _show_errors(form, exc)
        else:
            del request.session[CONTACT_KEY]
            messages.success(request, _("Đã cập nhật thông tin liên hệ."))
            return redirect("people:account")
    return _code_page(
        request,
        "people/change_contact_confirm.html",
        form,
        row,
        reverse("people:change-contact-resend"),
    )


@login_required
@require_POST
def change_contact_resend(request: HttpRequest) -> HttpResponse:
    return _resend(
        request,
        CONTACT_KEY,
        OneTimeCode.Purpose.CONTACT_CHANGE,
        "people:change-contact-confirm",
        "people:change-contact",
    )


oidc_start = oidc.CitizenAuthenticationRequestView.as_view()
