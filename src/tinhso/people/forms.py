"""Sign-in forms: parsing only; the views decide."""

from __future__ import annotations

import re

from django import forms


class SignInForm(forms.Form):
    # Named `username`: django-axes reads the identifier under AXES_USERNAME_FORM_FIELD.
    username = forms.CharField(
        label="Số điện thoại, email hoặc tên đăng nhập",
        max_length=254,
        error_messages={"required": "Chưa nhập số điện thoại, email hoặc tên đăng nhập."},
    )
    password = forms.CharField(
        label="Mật khẩu",
        strip=False,
        max_length=4096,
        error_messages={"required": "Chưa nhập mật khẩu."},
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Mã xác thực (6 chữ số)",
        max_length=20,
        error_messages={"required": "Chưa nhập mã xác thực."},
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s+", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError("Mã xác thực gồm 6 chữ số, lấy từ ứng dụng xác thực.")
        return code
