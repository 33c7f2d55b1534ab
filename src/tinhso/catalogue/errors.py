"""Every reason the catalogue of procedures refuses, declared once (`tinhso.core.errors`).

`CatalogueError` is a `DomainError` that the admin's forms also read as a ValidationError
with one message list per field (`core.errors.FieldsRefused`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, FieldsRefused, Kind, declare


class CatalogueError(FieldsRefused):
    """A refusal about a procedure or one of its versions; nothing was written."""


def _d(name: str, kind: Kind, message: Any) -> Code:
    return declare("catalogue", name, kind, message)


INVALID_INPUT = _d("invalid_input", Kind.INVALID, _("Thông tin thủ tục chưa hợp lệ."))
FIELD_INCOMPLETE = _d("field_incomplete", Kind.INVALID, _("Lĩnh vực cần có mã và tên."))
UNKNOWN_LEVEL = _d("unknown_level", Kind.INVALID, _("Cấp thực hiện chỉ gồm: tỉnh, sở/ngành, xã."))
CODE_MISSING = _d("code_missing", Kind.INVALID, _("Vui lòng nhập mã thủ tục."))
CODE_TAKEN = _d("code_taken", Kind.CONFLICT, _("Mã thủ tục này đã có trong danh mục."))
READ_ONLY_FIELD = _d("read_only_field", Kind.INVALID, _("Trường này không sửa được."))
NOT_A_DRAFT = _d("not_a_draft", Kind.CONFLICT, _("Chỉ sửa hoặc công bố được bản nháp."))

# --- out of reach (404): the public read API ---
PROCEDURE_NOT_FOUND = _d(
    "procedure_not_found", Kind.NOT_FOUND, _("Không có thủ tục đang công bố này.")
)
