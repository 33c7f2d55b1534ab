"""Every reason the administrative units and agencies refuse, declared once
(`tinhso.core.errors`); refusals are `FieldsRefused`, which forms and the admin read per field.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, FieldsRefused, Kind, declare

__all__ = ["FieldsRefused", "PlacesError"]


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
