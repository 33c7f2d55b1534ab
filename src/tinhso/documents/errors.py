"""Every reason the documents app refuses, each a declared code (`tinhso.core.errors`).

The kind of each code is its meaning: an object out of the person's reach is NOT_FOUND
(404, its existence does not leak), a role the person does not hold is FORBIDDEN (403), a
state or turn that does not allow the step now is CONFLICT (409), input the sender can
correct is INVALID (422, with `fields` naming the API body field). Raise as
`raise DocumentError(errors.NOT_APPROVED)`; nothing reads the message to decide anything.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, DomainError, Kind, declare


class DocumentError(DomainError):
    """A documents action refused; nothing changed. `except DocumentError` catches the
    documents app's refusals only."""


def _code(name: str, kind: Kind, message: Any) -> Code:
    return declare("documents", name, kind, message)


def invalid(code: Code, field: str, message: Any = None, **params: Any) -> DocumentError:
    """An INVALID refusal about one input field (named as in the API's body)."""
    text = str(message if message is not None else code.message)
    text = text.format(**params) if params else text
    return DocumentError(code, text, fields={field: text})


# --- out of reach (404) --------------------------------------------------------------------
NOT_FOUND = _code("not_found", Kind.NOT_FOUND, _("Không tìm thấy văn bản."))

# --- no role for this step (403) -----------------------------------------------------------
NOT_CLERK = _code(
    "not_clerk", Kind.FORBIDDEN, _("Chỉ văn thư của cơ quan được thực hiện thao tác này.")
)
NOT_LEADER = _code(
    "not_leader", Kind.FORBIDDEN, _("Chỉ lãnh đạo cơ quan được thực hiện thao tác này.")
)
NOT_CLERK_OR_LEADER = _code(
    "not_clerk_or_leader",
    Kind.FORBIDDEN,
    _("Chỉ văn thư hoặc lãnh đạo cơ quan được thực hiện thao tác này."),
)
MAY_NOT_DRAFT = _code(
    "may_not_draft", Kind.FORBIDDEN, _("Bạn không có quyền soạn văn bản của cơ quan này.")
)
NOT_DRAFTER = _code(
    "not_drafter", Kind.FORBIDDEN, _("Chỉ người soạn thảo được trình hoặc sửa dự thảo này.")
)
NOT_REVIEWER = _code(
    "not_reviewer", Kind.FORBIDDEN, _("Bạn không có trong danh sách duyệt dự thảo này.")
)
NOT_DIRECT_APPROVER = _code(
    "not_direct_approver",
    Kind.FORBIDDEN,
    _("Chỉ người có thẩm quyền ký được duyệt thẳng dự thảo này."),
)
NOT_SIGNER = _code(
    "not_signer", Kind.FORBIDDEN, _("Chỉ người có thẩm quyền được giao ký văn bản này.")
)
NOT_HANDLER = _code("not_handler", Kind.FORBIDDEN, _("Bạn không được giao xử lý văn bản này."))
MAY_NOT_LINK = _code("may_not_link", Kind.FORBIDDEN, _("Bạn không có quyền liên kết văn bản này."))
MAY_NOT_READ_FIGURES = _code(
    "may_not_read_figures",
    Kind.FORBIDDEN,
    _("Bạn không có quyền xem số liệu của cơ quan này."),
)

# --- wrong state or turn (409) -------------------------------------------------------------
WRONG_STATE = _code("wrong_state", Kind.CONFLICT, _("Văn bản đang ở trạng thái “{state}”."))
NOT_YOUR_TURN = _code("not_your_turn", Kind.CONFLICT, _("Chưa đến lượt bạn duyệt dự thảo này."))
NOT_APPROVED = _code("not_approved", Kind.CONFLICT, _("Chỉ ký được văn bản đã duyệt."))
NOT_SIGNED = _code("not_signed", Kind.CONFLICT, _("Chỉ phát hành được văn bản đã ký."))
NOT_ISSUED = _code(
    "not_issued", Kind.CONFLICT, _("Chỉ cập nhật hoặc lấy lại được văn bản đã phát hành.")
)
NOT_REVISABLE = _code(
    "not_revisable", Kind.CONFLICT, _("Chỉ sửa được dự thảo chưa trình hoặc đã bị trả lại.")
)
NOT_RECEIVED = _code(
    "not_received", Kind.CONFLICT, _("Văn bản này đã được vào sổ hoặc đã bị từ chối.")
)
NOT_REGISTERED = _code("not_registered", Kind.CONFLICT, _("Chỉ phân công được văn bản đã vào sổ."))
NOT_ASSIGNED = _code(
    "not_assigned",
    Kind.CONFLICT,
    _("Chỉ ghi tiến độ cho văn bản đang được phân công xử lý."),
)
NOT_HANDLING = _code(
    "not_handling",
    Kind.CONFLICT,
    _("Chỉ hoàn thành được văn bản đã vào sổ hoặc đang được phân công xử lý."),
)
ASSIGNMENT_CLOSED = _code(
    "assignment_closed",
    Kind.CONFLICT,
    _("Phân công này không còn mở hoặc không thuộc văn bản này."),
)
NO_PENDING_CHANGE = _code(
    "no_pending_change", Kind.CONFLICT, _("Không có yêu cầu thay đổi nào đang chờ.")
)
NUMBER_CANCELLED = _code("number_cancelled", Kind.CONFLICT, _("Số này đã bị hủy trước đó."))
CHANGED_WHILE_SIGNING = _code(
    "changed_while_signing",
    Kind.CONFLICT,
    _("Văn bản đã thay đổi trong lúc ký; chữ ký vừa tạo không được lưu. Hãy tải lại và thử lại."),
)
CERTIFICATE_INACTIVE = _code(
    "certificate_inactive", Kind.CONFLICT, _("Chứng thư số không còn hiệu lực.")
)
NO_KEY = _code(
    "no_key",
    Kind.CONFLICT,
    _("Chứng thư số này không có khóa ký (kho khóa, USB token, ký từ xa)."),
)
TOKEN_KEY_FOR_EDXML = _code(
    "token_key_for_edxml",
    Kind.CONFLICT,
    _("Khóa trên USB token chưa dùng được để ký gói tin edXML."),
)
NO_KEYSTORE_KEY = _code(
    "no_keystore_key", Kind.CONFLICT, _("Chứng thư số này không có khóa trong kho khóa.")
)
NO_AGENCY_CERTIFICATE = _code(
    "no_agency_certificate", Kind.CONFLICT, _("{agency} chưa có chứng thư số của cơ quan.")
)
NO_SIGNER_CERTIFICATE = _code(
    "no_signer_certificate", Kind.CONFLICT, _("Người ký chưa có chứng thư số.")
)
CERTIFICATE_EXISTS = _code(
    "certificate_exists", Kind.CONFLICT, _("Chứng thư số này đã có trong danh sách.")
)
SIGNING_FAILED = _code("signing_failed", Kind.CONFLICT, _("Không ký được văn bản."))
REMOTE_SIGNING_FAILED = _code(
    "remote_signing_failed", Kind.CONFLICT, _("Dịch vụ ký từ xa không ký được văn bản.")
)
TOKEN_FAILED = _code("token_failed", Kind.CONFLICT, _("Thiết bị ký số báo lỗi."))

# --- input to correct (422) ----------------------------------------------------------------
# a related document out of reach: the same answer as a missing one, on the field
RELATED_NOT_FOUND = _code("related_not_found", Kind.INVALID, _("Không tìm thấy văn bản liên quan."))
UNKNOWN_AGENCY = _code("unknown_agency", Kind.INVALID, _("Không có cơ quan này."))
SUBJECT_REQUIRED = _code("subject_required", Kind.INVALID, _("Cần nhập trích yếu văn bản."))
BAD_DOC_TYPE = _code("bad_doc_type", Kind.INVALID, _("Loại văn bản không hợp lệ."))
BAD_NOTATION = _code("bad_notation", Kind.INVALID, _("Số, ký hiệu không hợp lệ."))
SIGNER_NOT_LEADER = _code(
    "signer_not_leader", Kind.INVALID, _("Người ký phải là lãnh đạo của cơ quan ban hành.")
)
ONE_FILE = _code("one_file", Kind.INVALID, _("Chỉ tải lên một tệp dự thảo: PDF hoặc DOCX."))
FILE_REQUIRED = _code(
    "file_required", Kind.INVALID, _("Cần tải lên một tệp dự thảo mới: PDF hoặc DOCX.")
)
NOT_A_PDF = _code("not_a_pdf", Kind.INVALID, _("Tệp phải là tệp PDF."))
DOCX_UNAVAILABLE = _code(
    "docx_unavailable", Kind.INVALID, _("Máy chủ này chưa nhận được dự thảo DOCX.")
)
DOCX_UNREADABLE = _code("docx_unreadable", Kind.INVALID, _("Không chuyển được tệp DOCX sang PDF."))
REVIEWERS_REQUIRED = _code("reviewers_required", Kind.INVALID, _("Cần chọn người duyệt."))
REVIEWER_TWICE = _code(
    "reviewer_twice",
    Kind.INVALID,
    _("Mỗi người duyệt chỉ được chọn một lần trong một lần trình."),
)
REVIEWER_NOT_ELIGIBLE = _code(
    "reviewer_not_eligible",
    Kind.INVALID,
    _("{name} không phải trưởng đơn vị hoặc lãnh đạo của cơ quan này."),
)
UNKNOWN_OFFICIAL = _code("unknown_official", Kind.INVALID, _("Không có cán bộ “{username}”."))
COMMENT_REQUIRED = _code("comment_required", Kind.INVALID, _("Cần ghi ý kiến khi trả lại dự thảo."))
REASON_REQUIRED = _code("reason_required", Kind.INVALID, _("Cần ghi lý do."))
ASSIGNEE_REQUIRED = _code("assignee_required", Kind.INVALID, _("Cần chọn đơn vị hoặc người xử lý."))
BAD_DAYS = _code("bad_days", Kind.INVALID, _("Hạn xử lý phải từ 1 ngày làm việc."))
UNKNOWN_UNIT = _code("unknown_unit", Kind.INVALID, _("Không có đơn vị này trong cơ quan."))
NOTE_REQUIRED = _code("note_required", Kind.INVALID, _("Cần ghi nội dung tiến độ xử lý."))
NOTE_TOO_LONG = _code(
    "note_too_long", Kind.INVALID, _("Nội dung tiến độ quá dài (tối đa 5.000 ký tự).")
)
ASSIGNMENT_REQUIRED = _code(
    "assignment_required", Kind.INVALID, _("Cần chọn phân công để ghi tiến độ.")
)
UNKNOWN_ASSIGNMENT = _code(
    "unknown_assignment", Kind.INVALID, _("Không có phân công này trong văn bản.")
)
LINK_REQUIRED = _code("link_required", Kind.INVALID, _("Cần chọn văn bản hoặc hồ sơ liên quan."))
LINK_OTHER_AGENCY = _code(
    "link_other_agency",
    Kind.INVALID,
    _("Chỉ liên kết được với văn bản khác của cùng cơ quan."),
)
PIN_REJECTED = _code("pin_rejected", Kind.INVALID, _("Mã PIN của thiết bị ký số không đúng."))
OWNER_REQUIRED = _code(
    "owner_required", Kind.INVALID, _("Chọn đúng một chủ sở hữu: cán bộ hoặc cơ quan.")
)
PKCS12_UNREADABLE = _code(
    "pkcs12_unreadable", Kind.INVALID, _("Sai mật khẩu hoặc tệp không phải PKCS#12.")
)
CERTIFICATE_UNREADABLE = _code(
    "certificate_unreadable",
    Kind.INVALID,
    _("Tệp chứng thư số không đọc được (cần định dạng PEM)."),
)
CERTIFICATE_EXPIRED = _code("certificate_expired", Kind.INVALID, _("Chứng thư số đã hết hạn."))
BAD_TOKEN_URI = _code("bad_token_uri", Kind.INVALID, _("Địa chỉ khóa trên USB token không hợp lệ."))
FILE_TOO_LARGE = _code("file_too_large", Kind.INVALID, _("Tệp dự thảo quá lớn (tối đa 20 MB)."))
NOT_PDF_OR_DOCX = _code(
    "not_pdf_or_docx", Kind.INVALID, _("Tệp dự thảo phải là tệp PDF hoặc DOCX.")
)
# JavaScript, launch actions, embedded files... (`pdfcheck.py`; security issue item 5)
ACTIVE_PDF = _code(
    "active_pdf",
    Kind.INVALID,
    _(
        "Tệp PDF chứa mã chạy tự động (JavaScript, tệp nhúng...) nên không thể đưa vào ký số. "
        "Hãy xuất lại tệp PDF không có nội dung động."
    ),
)
