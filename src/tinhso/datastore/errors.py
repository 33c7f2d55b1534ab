"""Every reason the data store refuses, declared once (`tinhso.core.errors`).

Legal sources: Decree 45/2020/NĐ-CP (the store), Decree 13/2023/NĐ-CP and the Law on
Personal Data Protection 2025 (who may see a stored document). A document out of the person's
reach is NOT_FOUND, never FORBIDDEN: its existence is not disclosed.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, DomainError, Kind, declare


class DatastoreError(DomainError):
    """A refusal of a data store action; nothing was written."""


def _d(name: str, kind: Kind, message: Any) -> Code:
    return declare("datastore", name, kind, message)


DOCUMENT_NOT_FOUND = _d("document_not_found", Kind.NOT_FOUND, _("Không tìm thấy giấy tờ."))
SHARE_NOT_VALID = _d(
    "share_not_valid",
    Kind.NOT_FOUND,
    _("Đường dẫn chia sẻ không hợp lệ, đã hết hạn hoặc không dành cho cơ quan của Ông/Bà."),
)
SHARE_REVOKED = _d(
    "share_revoked",
    Kind.CONFLICT,
    _(
        "Chủ sở hữu đã thu hồi đường dẫn chia sẻ này nên không thể xem giấy tờ qua đường dẫn "
        "này nữa. Nếu cơ quan vẫn cần giấy tờ, hãy đề nghị công dân, tổ chức chia sẻ lại."
    ),
)
SHARE_NOT_FOUND = _d("share_not_found", Kind.NOT_FOUND, _("Không tìm thấy lượt chia sẻ."))
SHARE_ENDED = _d(
    "share_ended",
    Kind.CONFLICT,
    _("Đường dẫn chia sẻ này đã hết hiệu lực nên không cần thu hồi."),
)
STORE_NOT_FOUND = _d("store_not_found", Kind.NOT_FOUND, _("Không tìm thấy kho dữ liệu."))
NO_STORE = _d(
    "no_store",
    Kind.FORBIDDEN,
    _("Tài khoản này không có kho dữ liệu: chỉ công dân, tổ chức có kho dữ liệu điện tử."),
)
NOT_AN_OFFICIAL = _d(
    "not_an_official", Kind.FORBIDDEN, _("Chỉ cán bộ của cơ quan được chia sẻ mới xem được.")
)
ISSUED_DOCUMENT = _d(
    "issued_document",
    Kind.CONFLICT,
    _(
        "Giấy tờ do cơ quan cấp hoặc do cán bộ số hóa không thể sửa hay xóa; "
        "Ông/Bà chỉ xóa được giấy tờ mình tự tải lên."
    ),
)
DOCUMENT_IN_USE = _d(
    "document_in_use",
    Kind.CONFLICT,
    _(
        "Giấy tờ đang được dùng trong hồ sơ đã nộp hoặc đang soạn nên không thể xóa; hãy bỏ "
        "giấy tờ khỏi hồ sơ nháp trước."
    ),
)
OFFICER_HAS_NO_KEY = _d(
    "officer_has_no_key",
    Kind.CONFLICT,
    _("Cán bộ chưa có chứng thư số còn hiệu lực nên không thể chứng thực bản số hóa."),
)
EXPIRED_DOCUMENT = _d(
    "expired_document", Kind.CONFLICT, _("Giấy tờ đã hết hạn nên không thể chia sẻ.")
)
KIND_REQUIRED = _d("kind_required", Kind.INVALID, _("Hãy chọn loại giấy tờ."))
FILE_REJECTED = _d("file_rejected", Kind.INVALID, _("{why}"))
DATES_INVALID = _d("dates_invalid", Kind.INVALID, _("Ngày hết hạn phải sau ngày cấp."))
AGENCY_REQUIRED = _d("agency_required", Kind.INVALID, _("Hãy chọn cơ quan được chia sẻ."))
DAYS_INVALID = _d("days_invalid", Kind.INVALID, _("Số ngày chia sẻ phải từ 1 đến {most} ngày."))
REASON_REQUIRED = _d("reason_required", Kind.INVALID, _("Hãy ghi lý do xem giấy tờ."))
STORE_FULL = _d(
    "store_full",
    Kind.INVALID,
    _(
        "Ông/Bà đã tải lên kho {most} giấy tờ, là số tối đa; hãy xóa bớt giấy tờ không cần "
        "trước khi tải thêm."
    ),
)
STORE_TOO_LARGE = _d(
    "store_too_large",
    Kind.INVALID,
    _(
        "Tổng dung lượng giấy tờ Ông/Bà tải lên kho sẽ vượt {most}; hãy xóa bớt giấy tờ không "
        "cần trước khi tải thêm."
    ),
)
READER_REQUIRED = _d(
    "reader_required", Kind.INVALID, _("Lượt xem giấy tờ phải ghi rõ ai là người xem.")
)
