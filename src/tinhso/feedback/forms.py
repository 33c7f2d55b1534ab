"""Forms of the public pages: filters, a new report (works without a map), follow, reopen, rate."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tinhso.feedback.models import Attribute, Category, Report
from tinhso.places.models import Commune
from tinhso.places.queries import home_province


def _communes() -> Any:
    return Commune.objects.filter(province=home_province()).order_by("name")


class CommuneChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _in_range(value: date) -> None:
    """Filter dates stay within 2000–2100 (a later one overflowed the day-after sum)."""
    if not EARLIEST <= value <= LATEST:
        raise ValidationError("Ngày phải trong khoảng từ 01/01/2000 đến 31/12/2100.")


class FilterForm(forms.Form):
    category = forms.ModelChoiceField(
        Category.objects.filter(is_active=True),
        required=False,
        to_field_name="code",
        label="Lĩnh vực",
        empty_label="Tất cả",
    )
    commune = CommuneChoice(
        Commune.objects.none(),
        required=False,
        to_field_name="code",
        label="Xã, phường",
        empty_label="Tất cả",
    )
    state = forms.ChoiceField(
        choices=[("", "Tất cả"), *[(s.value, s.label) for s in Report.State if s != "rejected"]],
        required=False,
        label="Trạng thái",
    )
    since = forms.DateField(
        required=False,
        label="Từ ngày",
        widget=forms.DateInput({"type": "date", "min": "2000-01-01", "max": "2100-12-31"}),
        validators=[_in_range],
    )
    until = forms.DateField(
        required=False,
        label="Đến ngày",
        widget=forms.DateInput({"type": "date", "min": "2000-01-01", "max": "2100-12-31"}),
        validators=[_in_range],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = _communes()  # type: ignore[attr-defined]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(
        Category.objects.filter(is_active=True).order_by("code"),
        label="Lĩnh vực phản ánh",
        empty_label=None,
    )
    description = forms.CharField(
        label="Nội dung phản ánh",
        widget=forms.Textarea({"rows": 5}),
        max_length=4000,
        help_text="Mô tả sự việc bạn thấy.",
    )
    commune = CommuneChoice(
        Commune.objects.none(),
        required=False,
        label="Xã, phường nơi xảy ra",
        empty_label="(chọn xã, phường)",
    )
    address = forms.CharField(
        label="Địa chỉ hoặc mô tả nơi xảy ra",
        required=False,
        max_length=300,
        help_text="Ví dụ: trước số 12 đường Lê Duẩn, gần cổng chợ.",
    )
    lat = forms.DecimalField(
        label="Vĩ độ (không bắt buộc)", required=False, max_digits=9, decimal_places=6
    )
    long = forms.DecimalField(
        label="Kinh độ (không bắt buộc)", required=False, max_digits=9, decimal_places=6
    )
    photos = MultipleFileField(
        label="Ảnh (tối đa 5 ảnh JPEG, PNG, WebP; mỗi ảnh tối đa 8 MB)", required=False
    )
    reporter_name = forms.CharField(label="Họ và tên", required=False, max_length=200)
    reporter_email = forms.EmailField(label="Thư điện tử", required=False)
    reporter_phone = forms.CharField(label="Số điện thoại", required=False, max_length=20)
    is_anonymous = forms.BooleanField(label="Gửi ẩn danh (không lưu họ tên)", required=False)
    consents_to_publish = forms.BooleanField(
        label="Tôi đồng ý công khai nội dung phản ánh (không công khai thông tin liên hệ)",
        required=False,
        initial=True,
    )
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = _communes()  # type: ignore[attr-defined]
        # Every category's extra questions, grouped; only the chosen category's are used
        # (and checked by the action), so the page works without script.
        self.question_groups: list[tuple[Category, list[str]]] = []
        for category in (
            Category.objects.filter(is_active=True).order_by("code").prefetch_related("attributes")
        ):
            names = []
            for attribute in category.attributes.all():
                name = f"hoi__{category.code}__{attribute.code}"
                self.fields[name] = _question_field(attribute)
                names.append(name)
            if names:
                self.question_groups.append((category, names))

    def answers(self) -> dict[str, Any]:
        """The answers to the chosen category's questions."""
        prefix = f"hoi__{self.cleaned_data['category'].code}__"
        return {
            name[len(prefix) :]: value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix) and value not in (None, "", [])
        }

    def question_fields(self) -> list[tuple[Category, list[forms.BoundField]]]:
        return [(c, [self[n] for n in names]) for c, names in self.question_groups]


def _question_field(attribute: Attribute) -> forms.Field:
    label = attribute.description + ("" if attribute.is_required else " (không bắt buộc)")
    choices = [(str(v.get("key")), str(v.get("name"))) for v in attribute.values]
    kind = attribute.datatype
    if kind == Attribute.Datatype.SINGLE:
        return forms.ChoiceField(label=label, required=False, choices=[("", "(chọn)"), *choices])
    if kind == Attribute.Datatype.MULTI:
        return forms.MultipleChoiceField(
            label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
        )
    if kind == Attribute.Datatype.TEXT:
        return forms.CharField(label=label, required=False, widget=forms.Textarea({"rows": 2}))
    if kind == Attribute.Datatype.NUMBER:
        return forms.DecimalField(label=label, required=False)
    return forms.CharField(label=label, required=False, max_length=2000)


class FollowForm(forms.Form):
    email = forms.EmailField(label="Thư điện tử nhận thông báo")


class ReopenForm(forms.Form):
    note = forms.CharField(label="Vấn đề còn tồn tại thế nào?", widget=forms.Textarea({"rows": 3}))


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Đánh giá kết quả xử lý",
        coerce=int,
        choices=[(i, f"{i} sao") for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
