"""Every reason the administrative units and agencies refuse, declared once
(`tinhso.core.errors`), and `FieldsRefused`, the shape the apps edited through Django forms
and the admin share (people, catalogue and places).

`FieldsRefused` is a `DomainError` that is also Django's `ValidationError` with one message
list per field (`message_dict`), so a form or the admin shows it beside its inputs as before
the apps had codes, and the API's one handler answers it with its code's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import ALL, Code, DomainError, Kind, declare


def _messages(given: Any) -> list[str]:
    return [str(m) for m in given] if isinstance(given, list | tuple) else [str(given)]


class FieldsRefused(DomainError, ValidationError):  # type: ignore[misc]
    """A refusal with a declared code and one message list per input field ("__all__" for
    the whole input)."""

    def __init__(self, code: Code, errors: Mapping[str, Any] | None = None) -> None:
        given = {field: _messages(msgs) for field, msgs in (errors or {ALL: code.message}).items()}
        ValidationError.__init__(self, given)  # error_dict, message_dict: what forms read
        # DomainError's attributes, set here: its __init__ would run ValidationError's
        # one-message __init__ next (the MRO), which replaces `code` with a string
        self.code = code
        self.fields = {field: " ".join(msgs) for field, msgs in given.items()}
        texts = list(self.fields.values())
        self.message = texts[0] if len(texts) == 1 else str(code.message)
        self.params = None
        self.args = (self.message,)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message_dict))


class PlacesError(FieldsRefused):
    """A refusal about an agency or an administrative unit; nothing was written."""


def _d(name: str, kind: Kind, message: Any) -> Code:
    return declare("places", name, kind, message)


PARENT_INACTIVE = _d("parent_inactive", Kind.INVALID, _("Cơ quan cấp trên đã ngừng hoạt động."))
PROVINCE_MISSING = _d("province_missing", Kind.INVALID, _("Cần chọn tỉnh, thành phố của cơ quan."))
CHILDREN_ACTIVE = _d(
    "children_active",
    Kind.CONFLICT,
    _("Còn đơn vị trực thuộc đang hoạt động: cần ngừng hoạt động các đơn vị đó trước."),
)

# --- out of reach (404): the public read API ---
PROVINCE_NOT_FOUND = _d("province_not_found", Kind.NOT_FOUND, _("Không có tỉnh, thành phố này."))
LEGACY_PROVINCE_NOT_FOUND = _d(
    "legacy_province_not_found", Kind.NOT_FOUND, _("Không có tỉnh cũ (trước 1/7/2025) này.")
)
AGENCY_NOT_FOUND = _d("agency_not_found", Kind.NOT_FOUND, _("Không có cơ quan, đơn vị này."))
