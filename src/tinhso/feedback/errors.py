"""Every reason field reports refuse, declared once (`tinhso.core.errors`).

`RuleError` is a report's rule broken (input, state, reach), `MediaError` a photo or video
refused by its content; both name the input field the pages show their message beside
(`exc.field`). The refusal policy: a report out of the official's reach is NOT_FOUND, a
report whose state does not allow the action is CONFLICT, input the person can correct is
INVALID.

The Open311 endpoints (GeoReport v2) answer in that protocol's own error document with its
statuses (400, 403, 404, 429): `open311_views.Open311Error` is the protocol's adapter, not a
domain refusal, and takes the message of the domain error it reports.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import Code, DomainError, Kind, declare


class FeedbackError(DomainError, ValueError):
    """A refusal about a field report; nothing was written. A ValueError too, as the app's
    refusals were before they had codes (callers catching ValueError keep working)."""

    def __init__(self, code: Code, message: Any = None, field: str = "", **params: Any) -> None:
        super().__init__(code, message, **params)
        if field:
            self.fields = {field: self.message}

    @property
    def field(self) -> str:
        """The input field the message is about ("" for the whole input)."""
        return next(iter(self.fields), "")

    def at(self, field: str) -> FeedbackError:
        """The same refusal, about `field` (a photo refused by media, shown beside "media")."""
        return type(self)(self.code, self.message, field)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message, self.field))


class RuleError(FeedbackError):
    """The input or the report's state breaks a rule; the message is for the person."""


class MediaError(FeedbackError):
    """The file is refused; the message says why, in Vietnamese."""


def _d(name: str, kind: Kind, message: Any) -> Code:
    return declare("feedback", name, kind, message)


INVALID, CONFLICT, NOT_FOUND = Kind.INVALID, Kind.CONFLICT, Kind.NOT_FOUND

# --- out of reach (404) ---
REPORT_NOT_FOUND = _d("report_not_found", NOT_FOUND, _("Không tìm thấy phản ánh."))

# --- the report's state (409) ---
WRONG_STATE = _d("wrong_state", CONFLICT, _("Trạng thái của phản ánh không cho phép thao tác này."))
REPORT_CLOSED = _d("report_closed", CONFLICT, _("Phản ánh đã đóng, không thể chuyển."))
REOPEN_REFUSED = _d(
    "reopen_refused", CONFLICT, _("Chỉ mở lại được phản ánh đã xử lý xong, trong thời hạn.")
)
NOT_RESOLVED = _d("not_resolved", CONFLICT, _("Chỉ đánh giá được phản ánh đã xử lý xong."))
MEDIA_FULL = _d("media_full", CONFLICT, _("Phản ánh đã có đủ số ảnh hoặc video."))
FOLLOWERS_FULL = _d(
    "followers_full", CONFLICT, _("Phản ánh này đã đủ người theo dõi, không nhận thêm.")
)
NO_AGENCY = _d(
    "no_agency",
    CONFLICT,
    _("Chưa có cơ quan nào để giao xử lý; quản trị viên cần cấu hình."),
)

# --- input the person can correct (422) ---
REQUIRED = _d("required", INVALID, _("Trường này là bắt buộc."))
CATEGORY_CLOSED = _d("category_closed", INVALID, _("Lĩnh vực này không còn tiếp nhận phản ánh."))
DESCRIPTION_MISSING = _d("description_missing", INVALID, _("Hãy mô tả sự việc hoặc gửi kèm ảnh."))
DESCRIPTION_TOO_LONG = _d("description_too_long", INVALID, _("Nội dung dài quá giới hạn."))
TEXT_TOO_LONG = _d("text_too_long", INVALID, _("Nội dung dài quá giới hạn."))
UNKNOWN_QUESTION = _d("unknown_question", INVALID, _("Câu hỏi bổ sung không thuộc lĩnh vực này."))
UNANSWERED_QUESTION = _d("unanswered_question", INVALID, _("Chưa trả lời câu hỏi bắt buộc."))
UNKNOWN_CHOICE = _d("unknown_choice", INVALID, _("Lựa chọn không có trong câu hỏi."))
SINGLE_CHOICE = _d("single_choice", INVALID, _("Câu hỏi này chỉ chọn một."))
NOT_A_NUMBER = _d("not_a_number", INVALID, _("Cần một số."))
POSITION_INCOMPLETE = _d("position_incomplete", INVALID, _("Cần cả vĩ độ (lat) và kinh độ (long)."))
POSITION_MISSING = _d(
    "position_missing",
    INVALID,
    _("Cần vị trí: chọn trên bản đồ, nhập địa chỉ, hoặc chọn xã, phường và mô tả nơi xảy ra."),
)
COORDINATE_INVALID = _d("coordinate_invalid", INVALID, _("Tọa độ không hợp lệ (WGS84)."))
OUTSIDE_VIETNAM = _d("outside_vietnam", INVALID, _("Tọa độ nằm ngoài lãnh thổ Việt Nam."))
COMMUNE_OUTSIDE = _d("commune_outside", INVALID, _("Xã, phường không thuộc tỉnh này."))
EMAIL_INVALID = _d("email_invalid", INVALID, _("Địa chỉ thư điện tử không hợp lệ."))
PHONE_INVALID = _d("phone_invalid", INVALID, _("Số điện thoại không hợp lệ."))
STATUS_INVALID = _d("status_invalid", INVALID, _("status phải là open hoặc closed."))
RATING_INVALID = _d("rating_invalid", INVALID, _("Mức đánh giá từ 1 đến 5 sao."))
ASSIGNEE_OUTSIDE = _d(
    "assignee_outside", INVALID, _("Người được giao không thuộc cơ quan xử lý phản ánh này.")
)
UNKNOWN_ASSIGNEE = _d("unknown_assignee", INVALID, _("Không có cán bộ này."))
UNKNOWN_AGENCY = _d("unknown_agency", INVALID, _("Không có cơ quan này."))
SAME_AGENCY = _d("same_agency", INVALID, _("Phản ánh đã thuộc cơ quan này."))
UNKNOWN_ORIGINAL = _d("unknown_original", INVALID, _("Không có phản ánh gốc này."))
DUPLICATE_OF_ITSELF = _d(
    "duplicate_of_itself", INVALID, _("Không thể đánh dấu trùng với chính nó.")
)
DUPLICATE_OF_DUPLICATE = _d(
    "duplicate_of_duplicate",
    INVALID,
    _("Phản ánh gốc cũng là một phản ánh trùng; chọn phản ánh gốc."),
)
FOLLOW_LINK_INVALID = _d(
    "follow_link_invalid",
    INVALID,
    _("Liên kết xác nhận không hợp lệ hoặc đã hết hạn; hãy đăng ký theo dõi lại."),
)

# --- photos and videos, judged by their content (422) ---
TOO_MANY_MEDIA = _d("too_many_media", INVALID, _("Gửi quá số ảnh hoặc video cho phép."))
MEDIA_TOO_LARGE = _d("media_too_large", INVALID, _("Tệp quá lớn."))
NOT_A_PHOTO = _d(
    "not_a_photo",
    INVALID,
    _("Tệp không phải ảnh JPEG, PNG hoặc WebP (đã kiểm tra nội dung tệp)."),
)
NOT_A_VIDEO = _d(
    "not_a_video",
    INVALID,
    _("Tệp không phải video MP4, MOV hoặc WebM (đã kiểm tra nội dung tệp)."),
)
NOT_MEDIA = _d(
    "not_media",
    INVALID,
    _(
        "Tệp không phải ảnh JPEG, PNG hoặc WebP, cũng không phải video MP4, MOV "
        "hoặc WebM (đã kiểm tra nội dung tệp)."
    ),
)
MEDIA_MISMATCH = _d("media_mismatch", INVALID, _("Nội dung tệp không khớp với định dạng của tệp."))
MEDIA_BROKEN = _d("media_broken", INVALID, _("Tệp bị hỏng hoặc không đọc được."))
VIDEO_UNAVAILABLE = _d(
    "video_unavailable",
    CONFLICT,  # the server's state (no ffmpeg), not the file: the same file may pass later
    _(
        "Máy chủ này chưa cài công cụ xử lý video (ffmpeg) nên chưa nhận được video; "
        "hãy gửi ảnh chụp thay cho video."
    ),
)
MEDIA_URL_INVALID = _d(
    "media_url_invalid", INVALID, _("media_url phải là địa chỉ http:// hoặc https://.")
)
MEDIA_FETCH_REFUSED = _d("media_fetch_refused", INVALID, _("Không tải được ảnh từ media_url."))
