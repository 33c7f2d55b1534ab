"""HTML forms of the officials' document pages: they parse and check input only.

Every change still goes through `tinhso.documents.actions`; a form never saves. Choices (the
agencies a user may act for, the signers, the people to assign) come from the view, which
has done the access checks. Legal source: Decree 30/2020/NĐ-CP Điều 14–23.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.documents import numbering
from tinhso.documents.models import (
    Assignment,
    Direction,
    Document,
    Partner,
    Register,
    Secrecy,
    Urgency,
)
from tinhso.people.models import User
from tinhso.places.models import Agency

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
REQUIRED = {"required": _("Vui lòng nhập thông tin này.")}
PICK = {"required": _("Vui lòng chọn."), "invalid_choice": _("Lựa chọn không hợp lệ.")}
DOCX_MAGIC = b"PK\x03\x04"


def _types() -> list[tuple[str, str]]:
    return [(code, name) for code, (name, _abbr) in numbering.DOCUMENT_TYPES.items()]


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.username)


class AgencyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class DraftingAgencyChoice(AgencyChoice):
    """Offers the agencies the person drafts for (`permissions.drafting_agencies`) but reads
    any active agency, so another agency's draft is refused by the action's rule (403, as in
    the API), not by the list."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            return Agency.objects.get(pk=int(value), is_active=True)
        except (ValueError, TypeError, Agency.DoesNotExist):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class SignerChoice(UserChoice):
    """Offers the leaders of the person's drafting agencies (`permissions.signers`) but reads
    any active official: whether they may sign for the chosen agency is the action's rule
    (422 on the signer, as in the API)."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            return User.objects.get(pk=int(value), is_active=True, kind=User.Kind.OFFICIAL)
        except (ValueError, TypeError, User.DoesNotExist):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class AgencyMultiple(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PartnerMultiple(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.organ_id})"


def read_upload(upload: Any, *, required: bool) -> bytes | None:
    """The uploaded file's bytes, refusing an oversized one with a Vietnamese message."""
    if upload is None:
        if required:
            raise forms.ValidationError(_("Vui lòng chọn tệp."))
        return None
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(_("Tệp quá lớn (tối đa 50 MB)."))
    return bytes(upload.read())


class PaperForm(forms.Form):
    """Văn bản giấy: the register fields and the scan (Điều 20.1.b, 21 Decree 30/2020)."""

    agency = AgencyChoice(
        queryset=Agency.objects.none(), label=_("Cơ quan nhận"), error_messages=PICK
    )
    doc_type = forms.ChoiceField(label=_("Loại văn bản"), choices=_types, error_messages=PICK)
    number_and_notation = forms.CharField(
        label=_("Số, ký hiệu"),
        max_length=80,
        help_text=_("Ví dụ: 15/QĐ-UBND"),
        error_messages=REQUIRED,
    )
    document_date = forms.DateField(
        label=_("Ngày văn bản"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Ngày không hợp lệ.")},
    )
    sender_name = forms.CharField(label=_("Nơi gửi"), max_length=300, error_messages=REQUIRED)
    subject = forms.CharField(
        label=_("Trích yếu"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=REQUIRED,
    )
    scan = forms.FileField(
        label=_("Bản quét (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
        error_messages={"required": _("Vui lòng chọn tệp bản quét.")},
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]

    def clean_document_date(self) -> date | None:
        day = self.cleaned_data.get("document_date")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("Ngày văn bản không được sau hôm nay."))
        return day

    def clean_scan(self) -> bytes | None:
        return read_upload(self.cleaned_data.get("scan"), required=True)


class DraftForm(forms.Form):
    """Dự thảo văn bản đi: an uploaded PDF or DOCX, or the agency's template (Annex I)."""

    agency = DraftingAgencyChoice(
        queryset=Agency.objects.none(), label=_("Cơ quan ban hành"), error_messages=PICK
    )
    doc_type = forms.ChoiceField(label=_("Loại văn bản"), choices=_types, error_messages=PICK)
    unit = forms.CharField(
        label=_("Đơn vị soạn thảo (ký hiệu của công văn)"),
        max_length=20,
        required=False,
        help_text=_("Ví dụ: VX, QLXD; để trống nếu không có."),
    )
    subject = forms.CharField(
        label=_("Trích yếu"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=REQUIRED,
    )
    content = forms.CharField(
        label=_("Nội dung (khi soạn theo mẫu của cơ quan)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    urgency = forms.ChoiceField(
        label=_("Mức độ khẩn"), choices=Urgency.choices, initial=Urgency.NORMAL, error_messages=PICK
    )
    secrecy = forms.ChoiceField(
        label=_("Độ mật"), choices=Secrecy.choices, required=False, error_messages=PICK
    )
    signer = SignerChoice(queryset=User.objects.none(), label=_("Người ký"), error_messages=PICK)
    signer_position = forms.CharField(label=_("Chức vụ người ký"), max_length=200, required=False)
    place = forms.CharField(label=_("Địa danh"), max_length=100, required=False)
    # Checkbox lists, not Ctrl-click lists (nobody on a phone or a touch pad can do those).
    internal = AgencyMultiple(
        queryset=Agency.objects.none(),
        label=_("Nơi nhận trong tỉnh (gửi ngay)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Nơi nhận không hợp lệ.")},
    )
    external = PartnerMultiple(
        queryset=Partner.objects.none(),
        label=_("Nơi nhận ngoài hệ thống (qua trục liên thông)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Nơi nhận không hợp lệ.")},
    )
    file = forms.FileField(
        label=_("Tệp dự thảo (PDF hoặc DOCX); để trống để soạn theo mẫu"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={
                "accept": "application/pdf,application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document,.docx,.pdf"
            }
        ),
    )

    def __init__(
        self, *args: Any, agencies: Any, signers: Any, internal: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["signer"].queryset = signers  # type: ignore[attr-defined]
        self.fields["internal"].queryset = internal  # type: ignore[attr-defined]
        self.fields["external"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")

    def clean_file(self) -> tuple[str, bytes] | None:
        upload = self.cleaned_data.get("file")
        data = read_upload(upload, required=False)
        if upload is None or data is None:
            return None
        if not (data.startswith(b"%PDF-") or data.startswith(DOCX_MAGIC)):
            raise forms.ValidationError(_("Tệp dự thảo phải là tệp PDF hoặc DOCX."))
        return (str(upload.name or ""), data)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), max_length=1000, error_messages=REQUIRED)


class AssignForm(forms.Form):
    """Phân công xử lý: a unit or a person, the leader's instruction, a deadline in working
    days (Điều 22 Decree 30/2020)."""

    unit = AgencyChoice(
        queryset=Agency.objects.none(),
        label=_("Đơn vị xử lý"),
        required=False,
        error_messages=PICK,
    )
    assignee = UserChoice(
        queryset=User.objects.none(),
        label=_("Người xử lý"),
        required=False,
        error_messages=PICK,
    )
    instruction = forms.CharField(
        label=_("Ý kiến chỉ đạo"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    days = forms.IntegerField(
        label=_("Hạn xử lý (số ngày làm việc)"),
        min_value=1,
        max_value=365,
        initial=5,
        error_messages={
            "required": _("Vui lòng nhập hạn xử lý."),
            "invalid": _("Hạn xử lý phải là một số ngày."),
            "min_value": _("Hạn xử lý phải từ 1 ngày làm việc."),
            "max_value": _("Hạn xử lý không quá 365 ngày làm việc."),
        },
    )

    def __init__(self, *args: Any, units: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("unit") and not data.get("assignee") and not self.errors:
            raise forms.ValidationError(_("Cần chọn đơn vị hoặc người xử lý."))
        return data


class FinishForm(forms.Form):
    result = forms.CharField(
        label=_("Kết quả xử lý"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=REQUIRED,
    )


class LinkForm(forms.Form):
    related = forms.IntegerField(
        label=_("Mã văn bản liên quan (số trong địa chỉ trang văn bản)"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("Mã văn bản phải là một số."),
            "min_value": _("Mã văn bản phải là một số."),
        },
    )
    dossier_code = forms.CharField(label=_("Mã hồ sơ một cửa"), max_length=40, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        empty = not data.get("related") and not (data.get("dossier_code") or "").strip()
        if empty and not self.errors:
            raise forms.ValidationError(_("Cần chọn văn bản hoặc hồ sơ liên quan."))
        return data


class AnswerForm(forms.Form):
    accept = forms.ChoiceField(
        label=_("Trả lời"),
        choices=[("yes", _("Đồng ý")), ("no", _("Từ chối"))],
        widget=forms.RadioSelect,
        error_messages=PICK,
    )


class SignForm(forms.Form):
    pin = forms.CharField(
        label=_("Mã PIN của thiết bị ký số (nếu ký bằng thiết bị ký số USB)"),
        max_length=64,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class SubmitForm(forms.Form):
    """Trình duyệt: up to three reviewers in order; the competent signer is always the last
    step (the action appends them). Left empty: the previous round's reviewers."""

    reviewer_1 = UserChoice(
        queryset=User.objects.none(),
        label=_("Người duyệt thứ nhất"),
        required=False,
        error_messages=PICK,
    )
    reviewer_2 = UserChoice(
        queryset=User.objects.none(),
        label=_("Người duyệt thứ hai"),
        required=False,
        error_messages=PICK,
    )
    reviewer_3 = UserChoice(
        queryset=User.objects.none(),
        label=_("Người duyệt thứ ba"),
        required=False,
        error_messages=PICK,
    )

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("reviewer_1", "reviewer_2", "reviewer_3"):
            self.fields[name].queryset = reviewers  # type: ignore[attr-defined]

    def chain(self) -> list[Any]:
        return [
            self.cleaned_data[name]
            for name in ("reviewer_1", "reviewer_2", "reviewer_3")
            if self.cleaned_data.get(name)
        ]


class ReviewForm(forms.Form):
    """The current reviewer's comment: optional to approve, required to return."""

    comment = forms.CharField(
        label=_("Ý kiến"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Ý kiến (lý do trả lại)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Cần ghi ý kiến khi trả lại dự thảo.")},
    )


class ReviseForm(forms.Form):
    """Sửa dự thảo: a new version of the file (the earlier ones are kept)."""

    file = forms.FileField(
        label=_("Tệp dự thảo mới (PDF hoặc DOCX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
        error_messages={"required": _("Vui lòng chọn tệp.")},
    )
    subject = forms.CharField(
        label=_("Trích yếu mới (để trống nếu giữ nguyên)"), max_length=1000, required=False
    )

    def clean_file(self) -> tuple[str, bytes]:
        upload = self.cleaned_data.get("file")
        data = read_upload(upload, required=True)
        assert upload is not None and data is not None
        if not (data.startswith(b"%PDF-") or data.startswith(DOCX_MAGIC)):
            raise forms.ValidationError(_("Tệp dự thảo phải là tệp PDF hoặc DOCX."))
        return (str(upload.name or ""), data)


class AssignmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        who = [obj.unit.name if obj.unit else "", obj.assignee.full_name if obj.assignee else ""]
        return ", ".join(w for w in who if w) or str(obj.pk)


class ProgressForm(forms.Form):
    """Ghi tiến độ xử lý: a note on an open assignment (the viewer's own by default)."""

    assignment = AssignmentChoice(
        queryset=Assignment.objects.none(),
        label=_("Phân công"),
        required=False,
        empty_label=_("Phân công của tôi"),
        error_messages=PICK,
    )
    note = forms.CharField(
        label=_("Tiến độ, kết quả đến nay"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=REQUIRED,
    )

    def __init__(self, *args: Any, assignments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = assignments  # type: ignore[attr-defined]


class ListForm(forms.Form):
    """The document list's search and filters (`queries.search`): text, register, type,
    state, period (ngày văn bản) and, for officials of several agencies, the agency."""

    q = forms.CharField(label=_("Tìm theo trích yếu, nội dung, số ký hiệu"), required=False)
    direction = forms.ChoiceField(label=_("Loại sổ"), required=False, error_messages=PICK)
    register = forms.ModelChoiceField(
        queryset=Register.objects.none(),
        label=_("Sổ đăng ký"),
        required=False,
        empty_label=_("Tất cả"),
        error_messages=PICK,
    )
    doc_type = forms.ChoiceField(label=_("Loại văn bản"), required=False, error_messages=PICK)
    state = forms.ChoiceField(label=_("Trạng thái"), required=False, error_messages=PICK)
    date_from = forms.DateField(
        label=_("Từ ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Ngày không hợp lệ (ngày/tháng/năm).")},
    )
    date_to = forms.DateField(
        label=_("Đến ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Ngày không hợp lệ (ngày/tháng/năm).")},
    )
    agency = AgencyChoice(
        queryset=Agency.objects.none(),
        label=_("Cơ quan"),
        required=False,
        empty_label=_("Tất cả"),
        error_messages=PICK,
    )

    def __init__(self, *args: Any, agencies: Any, registers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("Tất cả"))]
        self.fields["direction"].choices = everything + list(Direction.choices)  # type: ignore[attr-defined]
        self.fields["doc_type"].choices = everything + _types()  # type: ignore[attr-defined]
        self.fields["state"].choices = everything + list(Document.State.choices)  # type: ignore[attr-defined]
        self.fields["register"].queryset = registers  # type: ignore[attr-defined]
        self.fields["register"].label_from_instance = str  # type: ignore[attr-defined]
        if agencies.count() > 1:
            self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        else:
            del self.fields["agency"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("“Đến ngày” phải sau hoặc bằng “Từ ngày”."))
        return data
