"""Forms of the public pages: filters, a new report (works without a map), follow, reopen, rate."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tinhso.core.text import fold
from tinhso.feedback import rules
from tinhso.feedback.models import Attribute, Category, Report
from tinhso.people.models import User
from tinhso.places.models import Agency, Commune
from tinhso.places.queries import home_province


def _communes() -> Any:
    return Commune.objects.filter(province=home_province()).order_by("name")


class CommuneChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class CommuneByName(forms.CharField):
    """Xã, phường typed by name, as a person says it: "Phường Buôn Ma Thuột", "buon ma thuot"
    or "xa ea kao" (case, diacritics and the unit word do not matter) → the home province's
    Commune, or None when left empty. The page offers the names as suggestions (a datalist,
    and with script a search list), but works with the names typed alone."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Commune | None:
        text = super().clean(value)
        if not text:
            return None
        wanted = fold(text)
        found = [c for c in _communes() if wanted in (fold(str(c)), fold(c.name))]
        if len(found) == 1:
            return found[0]
        if found:
            raise ValidationError(
                gettext("Có nhiều xã, phường tên “%(name)s”: hãy ghi rõ xã hay phường.")
                % {"name": text}
            )
        raise ValidationError(
            gettext("Không có xã, phường “%(name)s” trong tỉnh. Hãy chọn trong danh sách gợi ý.")
            % {"name": text}
        )


def commune_names() -> list[tuple[str, str]]:
    """Every commune of the home province as (name shown, folded name to search)."""
    return [(str(c), fold(str(c))) for c in _communes()]


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _in_range(value: date) -> None:
    """Filter dates stay within 2000–2100 (a later one overflowed the day-after sum)."""
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(gettext("Ngày phải trong khoảng từ 01/01/2000 đến 31/12/2100."))


class FilterForm(forms.Form):
    category = forms.ModelChoiceField(
        Category.objects.filter(is_active=True),
        required=False,
        to_field_name="code",
        label=_("Lĩnh vực"),
        empty_label=_("Tất cả"),
    )
    commune = CommuneChoice(
        Commune.objects.none(),
        required=False,
        to_field_name="code",
        label=_("Xã, phường"),
        empty_label=_("Tất cả"),
    )
    state = forms.ChoiceField(
        choices=[
            ("", _("Tất cả")),
            *[(s.value, s.label) for s in Report.State if s != "rejected"],
        ],
        required=False,
        label=_("Trạng thái"),
    )
    since = forms.DateField(
        required=False,
        label=_("Từ ngày"),
        widget=forms.DateInput({"type": "date", "min": "2000-01-01", "max": "2100-12-31"}),
        validators=[_in_range],
    )
    until = forms.DateField(
        required=False,
        label=_("Đến ngày"),
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
            "widget",
            MultipleFileInput(
                attrs={
                    "accept": "image/jpeg,image/png,image/webp,video/mp4,video/quicktime,video/webm"
                }
            ),
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
        label=_("Lĩnh vực phản ánh"),
        empty_label=None,
    )
    description = forms.CharField(
        label=_("Nội dung phản ánh"),
        widget=forms.Textarea({"rows": 5}),
        max_length=4000,
        help_text=_("Mô tả sự việc bạn thấy."),
    )
    commune = CommuneByName(
        required=False,
        label=_("Xã, phường nơi xảy ra"),
        help_text=_("Gõ tên xã, phường, có dấu hoặc không dấu, rồi chọn trong danh sách."),
        widget=forms.TextInput({"list": "xa-phuong", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Địa chỉ hoặc mô tả nơi xảy ra"),
        required=False,
        max_length=300,
        help_text=_("Ví dụ: trước số 12 đường Lê Duẩn, gần cổng chợ."),
    )
    # Filled by "Dùng vị trí của tôi" (the browser's geolocation); never typed.
    lat = forms.DecimalField(
        label=_("Vĩ độ"), required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput
    )
    long = forms.DecimalField(
        label=_("Kinh độ"), required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput
    )
    photos = MultipleFileField(
        label=_(
            "Ảnh hoặc video (tối đa 5 tệp: ảnh JPEG, PNG, WebP đến 8 MB; "
            "video MP4, MOV, WebM đến 50 MB và 60 giây)"
        ),
        required=False,
    )
    reporter_name = forms.CharField(label=_("Họ và tên"), required=False, max_length=200)
    reporter_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    reporter_phone = forms.CharField(label=_("Số điện thoại"), required=False, max_length=20)
    is_anonymous = forms.BooleanField(label=_("Gửi ẩn danh (không lưu họ tên)"), required=False)
    consents_to_publish = forms.BooleanField(
        label=_("Tôi đồng ý công khai nội dung phản ánh (không công khai thông tin liên hệ)"),
        required=False,
        initial=True,
    )
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, reporter: Any = None, **kwargs: Any) -> None:
        if reporter is not None and getattr(reporter, "is_authenticated", False):
            # A signed-in citizen's contact comes from the account (they may change it here).
            kwargs.setdefault("initial", {}).update(
                {
                    "reporter_name": reporter.full_name,
                    "reporter_email": reporter.email,
                    "reporter_phone": reporter.phone or "",
                }
            )
        super().__init__(*args, **kwargs)
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
    label = attribute.description + ("" if attribute.is_required else gettext(" (không bắt buộc)"))
    choices = [(str(v.get("key")), str(v.get("name"))) for v in attribute.values]
    kind = attribute.datatype
    if kind == Attribute.Datatype.SINGLE:
        return forms.ChoiceField(
            label=label, required=False, choices=[("", gettext("(chọn)")), *choices]
        )
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
    email = forms.EmailField(label=_("Thư điện tử nhận thông báo"))


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("Vấn đề còn tồn tại thế nào?"), widget=forms.Textarea({"rows": 3})
    )


_stars = lazy(lambda n: gettext("%(n)s sao") % {"n": n}, str)  # translated when shown


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Đánh giá kết quả xử lý"),
        coerce=int,
        choices=[(i, _stars(i)) for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )


# --- the office pages (officials) ---------------------------------------------------------


class OfficeFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", _("Tất cả")), *Report.State.choices], required=False, label=_("Trạng thái")
    )
    category = forms.ModelChoiceField(
        Category.objects.order_by("name"),
        required=False,
        label=_("Lĩnh vực"),
        empty_label=_("Tất cả"),
    )
    commune = CommuneChoice(
        Commune.objects.none(), required=False, label=_("Xã, phường"), empty_label=_("Tất cả")
    )
    deadline = forms.ChoiceField(
        choices=[
            ("", _("Tất cả")),
            ("qua-han", _("Quá hạn")),
            ("sap-den-han", _("Sắp đến hạn (trong một ngày làm việc)")),
        ],
        required=False,
        label=_("Hạn xử lý"),
    )
    mine = forms.BooleanField(required=False, label=_("Chỉ phản ánh giao cho tôi"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = _communes()  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=User.objects.none(),  # the report's officials, set per report
        label=_("Giao cho cán bộ"),
        error_messages={
            "required": _("Hãy chọn cán bộ được giao."),
            "invalid_choice": _("Cán bộ này không thuộc cơ quan xử lý phản ánh."),
        },
    )
    note = forms.CharField(
        label=_("Ghi chú công khai (không bắt buộc)"), required=False, max_length=2000
    )

    def __init__(self, *args: Any, officials: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = officials  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]


class StartForm(forms.Form):
    note = forms.CharField(
        label=_("Ghi chú công khai (không bắt buộc)"), required=False, max_length=2000
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Ghi chú nội bộ (người phản ánh không thấy)"),
        widget=forms.Textarea({"rows": 2}),
        max_length=2000,
        error_messages={"required": _("Cần nội dung ghi chú.")},
    )


class ResolveForm(forms.Form):
    answer = forms.CharField(
        label=_("Trả lời công khai"),
        widget=forms.Textarea({"rows": 4}),
        max_length=4000,
        error_messages={"required": _("Cần nội dung trả lời công khai.")},
    )
    evidence = MultipleFileField(
        label=_(
            "Ảnh hoặc video kết quả xử lý (tối đa 5 tệp: ảnh JPEG, PNG, WebP; video MP4, MOV, WebM)"
        ),
        required=False,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do từ chối (công khai)"),
        widget=forms.Textarea({"rows": 2}),
        max_length=2000,
        error_messages={"required": _("Cần nêu lý do từ chối.")},
    )


class DuplicateForm(forms.Form):
    original = forms.CharField(
        label=_("Trùng với phản ánh số"),
        max_length=30,
        help_text=_("Ví dụ: PA-12 hoặc 12."),
        error_messages={"required": _("Hãy nhập số phản ánh gốc.")},
    )

    def clean_original(self) -> int:
        text = self.cleaned_data["original"].strip().upper().removeprefix("PA-")
        number = rules.parse_id(text)
        if number is None:
            raise ValidationError(gettext("Số phản ánh không hợp lệ: %(text)s.") % {"text": text})
        return number


class RerouteForm(forms.Form):
    agency: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Agency.objects.none(),  # set per report
        label=_("Chuyển đến cơ quan, đơn vị"),
        error_messages={
            "required": _("Hãy chọn cơ quan, đơn vị nhận."),
            "invalid_choice": _("Không thể chuyển phản ánh đến cơ quan này."),
        },
    )
    reason = forms.CharField(
        label=_("Lý do chuyển (công khai)"),
        widget=forms.Textarea({"rows": 2}),
        max_length=2000,
        error_messages={"required": _("Cần nêu lý do chuyển cơ quan xử lý.")},
    )

    def __init__(self, *args: Any, agencies: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        field.queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            pk__in=[a.pk for a in agencies]
        )
        # the units under the report's agency first (the order reroute_targets gives)
        field.choices = [("", "---------"), *[(a.pk, a.name) for a in agencies]]  # type: ignore[attr-defined]
