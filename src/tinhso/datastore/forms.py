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
    """`organisation`: the form of an organisation's store, offering only the kinds an
    organisation holds (`DocumentKind.ORGANISATION_CODES`); any other kind is a form error."""

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

    def __init__(self, *args: Any, organisation: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisation:
            field = self.fields["kind"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = DocumentKind.objects.filter(
                code__in=DocumentKind.ORGANISATION_CODES
            ).order_by("name")


# The groups of the agency picker, in this order (its ~230 agencies are mostly communes).
AGENCY_GROUPS = (
    (Agency.Level.PROVINCE, _("Ủy ban nhân dân tỉnh")),
    (Agency.Level.SERVICE_CENTRE, _("Trung tâm Phục vụ hành chính công")),
    (Agency.Level.DEPARTMENT, _("Sở, ban, ngành")),
    (Agency.Level.UNIT, _("Phòng, bộ phận")),
    (Agency.Level.COMMUNE, _("Ủy ban nhân dân xã, phường, đặc khu")),
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

    def agency_groups(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """The active agencies as `<optgroup>`s by level (AGENCY_GROUPS), each by name: one
        flat list of ~230 names was hard to use on a phone. Empty groups are left out."""
        field = self.fields["agency"]
        assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None
        by_level: dict[str, list[tuple[int, str]]] = {}
        for pk, name, level in field.queryset.values_list("pk", "name", "level"):
            by_level.setdefault(level, []).append((pk, name))
        known = {level for level, _label in AGENCY_GROUPS}
        groups = [
            (str(label), by_level[level]) for level, label in AGENCY_GROUPS if level in by_level
        ]
        rest = [row for level, rows in by_level.items() if level not in known for row in rows]
        if rest:
            groups.append((str(_("Cơ quan khác")), rest))
        return groups


class ReadForm(forms.Form):
    """The official's confirmation before a shared document is opened (and the read recorded)."""

    reason = forms.CharField(
        label=_("Lý do xem giấy tờ"),
        max_length=300,
        initial=_("Xem giấy tờ được công dân chia sẻ"),
        error_messages={"required": _("Hãy ghi lý do xem giấy tờ.")},
    )
