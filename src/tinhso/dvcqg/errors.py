"""Every reason the national portal's inbound endpoint refuses, declared once
(`tinhso.core.errors`). Each also carries the portal's own `error_code` (national-portal.md:
"0" success, "3" the dossier exists, "2" an unknown procedure code as the portal answers a
province that syncs one; "1" invalid data), so the portal reads the answer the way it reads
its own (docs/dvcqg.md, "Inbound dossiers")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Kind, declare

PROCEDURE_NOT_OFFERED = declare(
    "dvcqg",
    "procedure_not_offered",
    Kind.INVALID,
    _("Mã thủ tục {ma} không tồn tại hoặc không được tiếp nhận trực tuyến tại tỉnh."),
)
INVALID_DOSSIER = declare(
    "dvcqg", "invalid_dossier", Kind.INVALID, _("Dữ liệu hồ sơ không hợp lệ.")
)
EXISTS_WITH_OTHER_CONTENT = declare(
    "dvcqg",
    "exists_with_other_content",
    Kind.CONFLICT,
    _("Hồ sơ {ma} đã tồn tại trên hệ thống với nội dung khác."),
)

# The portal's error_code for each refusal (national-portal.md [T]).
PORTAL_CODE = {
    PROCEDURE_NOT_OFFERED.id: "2",
    INVALID_DOSSIER.id: "1",
    EXISTS_WITH_OTHER_CONTENT.id: "3",
}
