"""Sign-in forms: parsing only; the views decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


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
