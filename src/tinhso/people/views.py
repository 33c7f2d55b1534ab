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
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.people import oidc
from tinhso.people.auth import login_name
from tinhso.people.forms import SecondFactorForm, SignInForm
from tinhso.people.models import User
from tinhso.people.queries import active_roles
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


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated:
        if is_fully_signed_in(request.user):
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
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
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
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
            return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)
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


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "people/account.html", {"roles": list(active_roles(request.user))})


oidc_start = oidc.CitizenAuthenticationRequestView.as_view()
