"""Every reason the one-stop shop refuses, declared once (`tinhso.core.errors`).

The kind of each code is the refusal policy: a dossier out of the person's reach is
NOT_FOUND (its existence is not revealed), a visible dossier the person holds no role for is
FORBIDDEN, a dossier whose state or turn does not allow the action now is CONFLICT, and input
the person can correct is INVALID with one message per field (the API body's field names:
`reason`, `to`, `form.ho_ten`, `attachments.0.component`...).

Actions raise `DossierError(code, ...)`; the permission rules in `permissions.py` return one
(or None) so the pages can show the reason before anyone clicks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, DomainError, Kind, declare


class DossierError(DomainError):
    """A refusal of a dossier action (one of the codes below); nothing was written."""


class NotAllowed(DossierError):
    """This official may not take this action on this dossier: no role for it (403), not
    their turn on the route (409: assigned to another, no later or earlier step, not yet at
    the leader's step, no result yet), or the dossier is out of their reach (404)."""


class IdempotencyConflict(DossierError):
    """The same Idempotency-Key came with a different request body."""


def invalid(code: Code, field: str, message: Any = None, **params: Any) -> DossierError:
    """An INVALID code about one input field: the message goes beside that field."""
    text = str(message if message is not None else code.message)
    text = text.format(**params) if params else text
    return DossierError(code, text, fields={field: text})


def invalid_input(fields: Mapping[str, Any]) -> DossierError:
    """Several fields at once (a form, the API's body)."""
    return DossierError(INVALID_INPUT, fields=fields)


def _d(name: str, kind: Kind, message: Any) -> Code:
    return declare("dossiers", name, kind, message)


NOT_FOUND, FORBIDDEN, CONFLICT, INVALID = (
    Kind.NOT_FOUND,
    Kind.FORBIDDEN,
    Kind.CONFLICT,
    Kind.INVALID,
)

# --- out of reach (404) ---
DOSSIER_NOT_FOUND = _d("not_found", NOT_FOUND, _("Không tìm thấy hồ sơ."))

# --- no role for the action (403) ---
NOT_RECEIVING_OFFICER = _d(
    "not_receiving_officer",
    FORBIDDEN,
    _("Bạn không phải cán bộ tiếp nhận của nơi nhận hồ sơ này."),
)
NOT_STEP_PERFORMER = _d(
    "not_step_performer", FORBIDDEN, _("Bạn không được giao xử lý bước này của hồ sơ.")
)
NOT_STEP_MANAGER = _d(
    "not_step_manager",
    FORBIDDEN,
    _("Chỉ lãnh đạo đơn vị đang xử lý mới được thực hiện thao tác này."),
)
NOT_DECIDING_LEADER = _d(
    "not_deciding_leader",
    FORBIDDEN,
    _("Chỉ lãnh đạo cơ quan ở bước phê duyệt mới được quyết định."),
)
NOT_RESULT_HANDLER = _d(
    "not_result_handler",
    FORBIDDEN,
    _("Chỉ văn thư, chuyên viên của cơ quan giải quyết được cập nhật kết quả."),
)
NOT_RETURNING_DESK = _d(
    "not_returning_desk", FORBIDDEN, _("Chỉ cán bộ một cửa nơi tiếp nhận mới được trả kết quả.")
)
NOT_CONSULTED = _d(
    "not_consulted", FORBIDDEN, _("Cơ quan của bạn không được xin ý kiến về hồ sơ này.")
)
NOT_AT_DESK = _d("not_at_desk", FORBIDDEN, _("Thao tác này không thực hiện ở bộ phận một cửa."))

# --- wrong state or turn (409) ---
WRONG_STATE = _d(
    "wrong_state", CONFLICT, _("Trạng thái hiện tại của hồ sơ không cho phép thao tác này.")
)
NOT_EDITABLE = _d("not_editable", CONFLICT, _("Hồ sơ đã nộp, không thể sửa."))
# The procedure is the client's choice of input: 422 on `procedure`, as before the codes.
PROCEDURE_NOT_APPLIED = _d(
    "procedure_not_applied", INVALID, _("Thủ tục này hiện không được áp dụng.")
)
PROCEDURE_NOT_ONLINE = _d(
    "procedure_not_online", INVALID, _("Thủ tục này không nhận hồ sơ trực tuyến.")
)
SUBMITTED_FILE_KEPT = _d(
    "submitted_file_kept", CONFLICT, _("Không thể xóa tệp đã nộp; hãy bổ sung tệp mới.")
)
NOT_A_DRAFT = _d("not_a_draft", CONFLICT, _("Chỉ xóa được bản nháp."))
ALREADY_SUBMITTED = _d("already_submitted", CONFLICT, _("Hồ sơ này đã được nộp."))
DRAFT_HAS_NO_SECRET = _d("draft_has_no_secret", CONFLICT, _("Bản nháp chưa có mã tra cứu."))
IDEMPOTENCY_KEY_REUSED = _d(
    "idempotency_key_reused",
    CONFLICT,
    _("Khóa này đã dùng cho một yêu cầu có nội dung khác."),
)
REASON_TOO_LONG = _d(
    "reason_too_long", Kind.INVALID, _("Lý do dài quá {limit} ký tự; hãy viết ngắn gọn hơn.")
)
TOO_LATE_TO_WITHDRAW = _d(
    "too_late_to_withdraw",
    CONFLICT,
    _("Hồ sơ đã được tiếp nhận xử lý, không thể rút trực tuyến."),
)
NOT_SUBMITTED_YET = _d("not_submitted_yet", CONFLICT, _("Hồ sơ chưa nộp, chưa thể đánh giá."))
ALREADY_RATED = _d("already_rated", CONFLICT, _("Hồ sơ này đã được đánh giá."))
NO_OPEN_SUPPLEMENT = _d(
    "no_open_supplement", CONFLICT, _("Hồ sơ không có yêu cầu bổ sung đang chờ.")
)
ASSIGNED_TO_ANOTHER = _d(
    "assigned_to_another", CONFLICT, _("Hồ sơ đã được phân công cho cán bộ khác.")
)
LAST_STEP = _d(
    "last_step", CONFLICT, _("Đây là bước cuối của quy trình: hãy phê duyệt hoặc từ chối.")
)
FIRST_STEP = _d(
    "first_step",
    CONFLICT,
    _("Đây là bước đầu của quy trình, không có bước trước để trả lại."),
)
NOT_AT_LEADER_STEP = _d(
    "not_at_leader_step", CONFLICT, _("Hồ sơ chưa đến bước lãnh đạo phê duyệt.")
)
OPINIONS_PENDING = _d(
    "opinions_pending", CONFLICT, _("Còn chờ ý kiến của cơ quan được xin ý kiến.")
)
ALREADY_LATE = _d(
    "already_late",
    CONFLICT,
    _("Hồ sơ đã quá hạn: phiếu xin lỗi phải gửi trước ngày hẹn."),
)
NO_RESULT = _d("no_result", CONFLICT, _("Chưa đính kèm kết quả giải quyết."))
NOT_BEING_PROCESSED = _d("not_being_processed", CONFLICT, _("Hồ sơ không ở trạng thái giải quyết."))

# --- input to correct (422, per field) ---
INVALID_INPUT = _d(
    "invalid_input", INVALID, _("Thông tin chưa hợp lệ; vui lòng xem các mục được đánh dấu.")
)
AGENCY_REQUIRED = _d("agency_required", INVALID, _("Vui lòng chọn cơ quan giải quyết hồ sơ."))
UNKNOWN_COMPONENT = _d("unknown_component", INVALID, _("Thành phần hồ sơ không thuộc thủ tục này."))
UNKNOWN_STORED_DOCUMENT = _d(
    "unknown_stored_document",
    INVALID,
    _("Không tìm thấy giấy tờ này trong kho dữ liệu của bạn."),
)
SCAN_REJECTED = _d(
    "scan_rejected", INVALID, _("Bản quét phải là tệp PDF hoặc ảnh JPG, PNG đọc được.")
)
SCAN_KIND_REQUIRED = _d("scan_kind_required", INVALID, _("Hãy chọn loại giấy tờ của bản quét."))
NOT_A_PAPER_DOSSIER = _d(
    "not_a_paper_dossier",
    CONFLICT,
    _(
        "Chỉ số hóa được thành phần của hồ sơ nộp trực tiếp hoặc qua bưu chính, chưa kết thúc, "
        "có tài khoản công dân."
    ),
)
STORED_DOCUMENT_NOT_FOR_COMPONENT = _d(
    "stored_document_not_for_component",
    INVALID,
    _("Giấy tờ này không phải loại giấy tờ mà thành phần hồ sơ yêu cầu."),
)
STORED_DOCUMENT_CHOSEN = _d(
    "stored_document_chosen", INVALID, _("Giấy tờ này đã được chọn cho thành phần hồ sơ.")
)
APPLICANT_ONLY_FOR_CLIENTS = _d(
    "applicant_only_for_clients",
    INVALID,
    _(
        "Chỉ ứng dụng kết nối mới nộp hồ sơ thay người khác; "
        "hồ sơ nộp bằng tài khoản đang đăng nhập là của chính tài khoản đó."
    ),
)
# Who files (Decree 118/2025/NĐ-CP; Civil Code 2015 Art. 138-143): the account holder for
# themselves, or for another person with an authorisation (docs/dossiers.md, "Who files").
APPLICANT_NOT_ACCOUNT_HOLDER = _d(
    "applicant_not_account_holder",
    INVALID,
    _(
        "Người nộp phải là chủ tài khoản. Nếu nộp thay người khác, hãy chọn “Nộp thay” và "
        "đính kèm giấy ủy quyền."
    ),
)
NO_VERIFIED_PERSONAL_ID = _d(
    "no_verified_personal_id",
    INVALID,
    _(
        "Tài khoản của Ông/Bà chưa có số định danh cá nhân đã xác thực (hãy đăng nhập bằng "
        "VNeID). Nếu nộp thay người khác, hãy chọn “Nộp thay” và đính kèm giấy ủy quyền."
    ),
)
ON_BEHALF_MISMATCH = _d(
    "on_behalf_mismatch",
    INVALID,
    _("Thông tin người yêu cầu trong tờ khai phải là của người được nộp thay đã khai."),
)
ON_BEHALF_NAME_REQUIRED = _d(
    "on_behalf_name_required", INVALID, _("Vui lòng nhập họ và tên người được nộp thay.")
)
ON_BEHALF_RELATION_REQUIRED = _d(
    "on_behalf_relation_required",
    INVALID,
    _("Vui lòng cho biết Ông/Bà là gì của người được nộp thay (quan hệ)."),
)
ON_BEHALF_IS_ACCOUNT_HOLDER = _d(
    "on_behalf_is_account_holder",
    INVALID,
    _("Người được nộp thay là chính chủ tài khoản; hãy chọn nộp cho chính mình."),
)
AUTHORISATION_REQUIRED = _d(
    "authorisation_required",
    INVALID,
    _("Nộp thay người khác cần đính kèm giấy ủy quyền (văn bản ủy quyền)."),
)
AUTHORISATION_NOT_ON_BEHALF = _d(
    "authorisation_not_on_behalf",
    INVALID,
    _("Chỉ đính kèm giấy ủy quyền khi nộp thay người khác."),
)
ON_BEHALF_ONLY_FOR_ACCOUNTS = _d(
    "on_behalf_only_for_accounts",
    INVALID,
    _(
        "Ứng dụng kết nối nộp hồ sơ cho người nộp ghi ở “applicant”; "
        "“on_behalf” chỉ dành cho tài khoản công dân."
    ),
)
RATING_REQUIRED = _d("rating_required", INVALID, _("Vui lòng chọn mức độ hài lòng."))
RATING_REASON_REQUIRED = _d(
    "rating_reason_required", INVALID, _("Vui lòng cho biết lý do chưa hài lòng.")
)
SUPPLEMENT_REASON_REQUIRED = _d(
    "supplement_reason_required", INVALID, _("Vui lòng nêu nội dung cần bổ sung, hoàn thiện.")
)
REJECT_REASON_REQUIRED = _d(
    "reject_reason_required", INVALID, _("Vui lòng nêu lý do từ chối tiếp nhận.")
)
ASSIGNEE_REQUIRED = _d("assignee_required", INVALID, _("Vui lòng chọn cán bộ."))
ASSIGNEE_WITHOUT_ROLE = _d(
    "assignee_without_role", INVALID, _("Cán bộ được phân công không có vai trò ở bước này.")
)
PAPER_KIND_INVALID = _d("paper_kind_invalid", INVALID, _("Loại tài liệu trình không hợp lệ."))
QUESTION_REQUIRED = _d("question_required", INVALID, _("Vui lòng nêu nội dung xin ý kiến."))
OPINION_AGENCIES_REQUIRED = _d(
    "opinion_agencies_required", INVALID, _("Vui lòng chọn cơ quan cho ý kiến.")
)
OPINION_AGENCY_INVALID = _d(
    "opinion_agency_invalid", INVALID, _("Cơ quan này đang được xin ý kiến hoặc đang xử lý hồ sơ.")
)
ANSWER_REQUIRED = _d("answer_required", INVALID, _("Vui lòng nhập ý kiến."))
RETURN_REASON_REQUIRED = _d("return_reason_required", INVALID, _("Vui lòng nêu lý do trả lại."))
RETURN_POSITION_INVALID = _d(
    "return_position_invalid", INVALID, _("Chỉ trả lại được một bước trước của quy trình.")
)
DELAY_REASON_REQUIRED = _d("delay_reason_required", INVALID, _("Vui lòng nêu lý do chậm trễ."))
NEW_APPOINTMENT_REQUIRED = _d("new_appointment_required", INVALID, _("Vui lòng nhập ngày hẹn mới."))
NEW_APPOINTMENT_TOO_EARLY = _d(
    "new_appointment_too_early", INVALID, _("Ngày hẹn mới phải sau ngày hẹn hiện tại.")
)
REFUSE_REASON_REQUIRED = _d(
    "refuse_reason_required", INVALID, _("Vui lòng nêu lý do từ chối giải quyết.")
)
RESULT_NAME_REQUIRED = _d("result_name_required", INVALID, _("Vui lòng nhập tên kết quả."))
RESULT_FILE_REQUIRED = _d("result_file_required", INVALID, _("Vui lòng chọn tệp kết quả."))
RETURN_HOW_REQUIRED = _d("return_how_required", INVALID, _("Vui lòng chọn cách trả kết quả."))
NO_ELECTRONIC_RESULT = _d(
    "no_electronic_result", INVALID, _("Không có kết quả điện tử để trả trực tuyến.")
)
RESULT_WAITS_FOR_PAYMENT = _d(
    "result_waits_for_payment",
    CONFLICT,
    _("Người nộp chưa nộp phí, lệ phí phải nộp trước khi nhận kết quả; chưa trả kết quả được."),
)
UNKNOWN_PROCEDURE = _d("unknown_procedure", INVALID, _("Không có thủ tục đang áp dụng với mã này."))
UNKNOWN_AGENCY = _d("unknown_agency", INVALID, _("Không có cơ quan với mã định danh này."))
IDEMPOTENCY_KEY_LENGTH = _d(
    "idempotency_key_length", INVALID, _("Khóa phải dài từ 8 đến 200 ký tự.")
)
CHANNEL_INVALID = _d("channel_invalid", INVALID, _("Kênh tiếp nhận không hợp lệ."))
