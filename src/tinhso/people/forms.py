"""Sign-in forms: parsing only; the views decide."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class SignInForm(forms.Form):
    # Named `username`: django-axes reads the identifier under AXES_USERNAME_FORM_FIELD.
    username = forms.CharField(
        label=gettext_lazy("Số điện thoại, email hoặc tên đăng nhập"),
        max_length=254,
        error_messages={
            "required": gettext_lazy("Chưa nhập số điện thoại, email hoặc tên đăng nhập.")
        },
    )
    password = forms.CharField(
        label=gettext_lazy("Mật khẩu"),
        strip=False,
        max_length=4096,
        error_messages={"required": gettext_lazy("Chưa nhập mật khẩu.")},
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Mã xác thực (6 chữ số)"),
        max_length=20,
        error_messages={"required": gettext_lazy("Chưa nhập mã xác thực.")},
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s+", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("Mã xác thực gồm 6 chữ số, lấy từ ứng dụng xác thực."))
        return code


def _text(
    label: StrOrPromise, required_message: StrOrPromise, *, max_length: int, strip: bool = True
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        strip=strip,
        error_messages={"required": required_message},
    )


class SignUpForm(forms.Form):
    full_name = _text(
        gettext_lazy("Họ và tên"), gettext_lazy("Chưa nhập họ và tên."), max_length=200
    )
    contact = _text(
        gettext_lazy("Số điện thoại di động hoặc email"),
        gettext_lazy("Chưa nhập số điện thoại hoặc email."),
        max_length=254,
    )
    password = _text(
        gettext_lazy("Mật khẩu"), gettext_lazy("Chưa nhập mật khẩu."), strip=False, max_length=4096
    )
    password_again = _text(
        gettext_lazy("Nhập lại mật khẩu"),
        gettext_lazy("Chưa nhập lại mật khẩu."),
        strip=False,
        max_length=4096,
    )
    consent = forms.BooleanField(required=False)


class ContactForm(forms.Form):
    contact = _text(
        gettext_lazy("Số điện thoại di động hoặc email"),
        gettext_lazy("Chưa nhập số điện thoại hoặc email."),
        max_length=254,
    )


class CodeForm(forms.Form):
    code = _text(
        gettext_lazy("Mã xác nhận (6 chữ số)"),
        gettext_lazy("Chưa nhập mã xác nhận."),
        max_length=20,
    )


class ResetForm(CodeForm):
    password = _text(
        gettext_lazy("Mật khẩu mới"),
        gettext_lazy("Chưa nhập mật khẩu mới."),
        strip=False,
        max_length=4096,
    )
    password_again = _text(
        gettext_lazy("Nhập lại mật khẩu mới"),
        gettext_lazy("Chưa nhập lại mật khẩu mới."),
        strip=False,
        max_length=4096,
    )


class PasswordChangeForm(forms.Form):
    current_password = _text(
        gettext_lazy("Mật khẩu hiện tại"),
        gettext_lazy("Chưa nhập mật khẩu hiện tại."),
        strip=False,
        max_length=4096,
    )
    password = ResetForm.base_fields["password"]
    password_again = ResetForm.base_fields["password_again"]


class DetailsForm(forms.Form):
    full_name = _text(
        gettext_lazy("Họ và tên"), gettext_lazy("Chưa nhập họ và tên."), max_length=200
    )
    address = forms.CharField(label=gettext_lazy("Địa chỉ liên hệ"), max_length=300, required=False)


class PreferencesForm(forms.Form):
    notify_by_email = forms.BooleanField(label=gettext_lazy("Email"), required=False)
    notify_by_sms = forms.BooleanField(label=gettext_lazy("Tin nhắn SMS"), required=False)
    notify_by_zalo = forms.BooleanField(label=gettext_lazy("Zalo"), required=False)
