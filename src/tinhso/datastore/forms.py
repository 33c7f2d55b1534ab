"""The citizen's forms of the data store (parse only; the actions check the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.datastore.models import DocumentKind
from tinhso.places.models import Agency


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class UploadForm(forms.Form):
    kind = forms.ModelChoiceField(
        label=_("Loại giấy tờ"),
        queryset=DocumentKind.objects.exclude(code="KQ-TTHC").order_by("name"),
        empty_label=_("— Chọn loại giấy tờ —"),
        error_messages={"required": _("Hãy chọn loại giấy tờ.")},
    )
    number = forms.CharField(label=_("Số, ký hiệu"), max_length=100, required=False)
    issuer_name = forms.CharField(label=_("Cơ quan cấp"), max_length=300, required=False)
    issued_on = forms.DateField(
        label=_("Ngày cấp"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Ngày cấp không hợp lệ.")},
    )
    expires_on = forms.DateField(
        label=_("Ngày hết hạn (nếu có)"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Ngày hết hạn không hợp lệ.")},
    )
    file = forms.FileField(
        label=_("Tệp giấy tờ"), error_messages={"required": _("Hãy chọn tệp để tải lên.")}
    )


class ShareForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Cơ quan được xem"),
        queryset=Agency.objects.filter(is_active=True).order_by("name"),
        empty_label=_("— Chọn cơ quan —"),
        error_messages={"required": _("Hãy chọn cơ quan được chia sẻ.")},
    )
    days = forms.IntegerField(
        label=_("Số ngày đường dẫn còn hiệu lực"),
        min_value=1,
        error_messages={"required": _("Hãy ghi số ngày."), "invalid": _("Hãy ghi số ngày.")},
    )


class ReadForm(forms.Form):
    """The official's confirmation before a shared document is opened (and the read recorded)."""

    reason = forms.CharField(
        label=_("Lý do xem giấy tờ"),
        max_length=300,
        initial=_("Xem giấy tờ được công dân chia sẻ"),
        error_messages={"required": _("Hãy ghi lý do xem giấy tờ.")},
    )
