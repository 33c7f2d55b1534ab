"""Every reason accounts, sign-in and organisations refuse, declared once
(`tinhso.core.errors`).

`PeopleError` is a `DomainError` that Django's forms and the admin also read as a
ValidationError with one message list per field (`core.errors.FieldsRefused`). A client
application's refused key (`clients.ClientRefused`: 401, 403 missing scope, 429) is the
API's authentication, answered by its own handler, not a domain refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, FieldsRefused, Kind, declare


def _d(name: str, kind: Kind, message: Any) -> Code:
    return declare("people", name, kind, message)


INVALID_INPUT = _d("invalid_input", Kind.INVALID, _("Thông tin chưa hợp lệ."))
READ_ONLY_FIELD = _d("read_only_field", Kind.INVALID, _("Không sửa được trường này."))
NOT_AN_OFFICIAL = _d(
    "not_an_official", Kind.INVALID, _("Chỉ tài khoản cán bộ, công chức mới được giao vai trò.")
)
UNKNOWN_ROLE = _d("unknown_role", Kind.INVALID, _("Vai trò không hợp lệ."))
ALREADY_REGISTERED = _d(
    "already_registered",
    Kind.CONFLICT,
    _("Thông tin này vừa được đăng ký ở nơi khác; hãy đăng nhập hoặc lấy lại mật khẩu."),
)
CODE_INVALID = _d("code_invalid", Kind.INVALID, _("Mã xác nhận gồm 6 chữ số."))
CODE_WRONG = _d("code_wrong", Kind.INVALID, _("Mã không đúng."))
CODE_REFUSED = _d(
    "code_refused",
    Kind.CONFLICT,  # used, expired or too many attempts: a new code is needed
    _("Mã không còn dùng được. Hãy bấm «Gửi lại mã» để nhận mã mới."),
)
RESEND_TOO_SOON = _d("resend_too_soon", Kind.CONFLICT, _("Vui lòng đợi một lát rồi gửi lại mã."))


class PeopleError(FieldsRefused):
    """Input refused: `message_dict` holds the Vietnamese messages per field; `code` says
    why (INVALID_INPUT unless a more specific code is given)."""

    def __init__(self, errors: Mapping[str, Any], code: Code = INVALID_INPUT) -> None:
        super().__init__(code, errors)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message_dict, self.code))
