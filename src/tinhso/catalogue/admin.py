"""Admin for the catalogue. Every change goes through `tinhso.catalogue.actions`, so it is
audited: published versions are read-only; administrators make a draft, edit it (fields here,
the e-form in the e-form editor with its live preview), and publish it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import QuerySet, TextField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tinhso.catalogue import actions, eforms, queries
from tinhso.catalogue.models import ComponentRequirement, Field, Procedure, ProcedureVersion
from tinhso.catalogue.rules import ComponentSpec, clean_spec
from tinhso.core import archives
from tinhso.web.admin_display import yes_no

# A made-up citizen, to show administrators what prefill will look like.
SAMPLE_CITIZEN = {
    "full_name": "Nguyễn Thị Mẫu",
    "personal_id": "066190000001",
    "phone": "0912345678",
    "email": "mau@example.vn",
    "address": "Phường Buôn Ma Thuột, tỉnh Đắk Lắk",
    "date_of_birth": "1990-01-01",
}


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "search_key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = ["agency", "is_active"]


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureForm
    list_display = [
        "code",
        "name",
        "field",
        "agency",
        yes_no(Procedure, "is_active"),
        "current_version",
    ]
    list_filter = ["is_active", "field"]
    list_select_related = ["field", "agency", "current_version"]
    search_fields = ["=code", "name", "name_key"]
    readonly_fields = ["code", "name", "field", "levels", "current_version", "popularity"]
    fields = ["code", "name", "field", "levels", "agency", "is_active", "current_version"]
    autocomplete_fields = ["agency"]
    actions = ["make_draft"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # procedures come from the national database (import) or the demo

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Procedure, form: Any, change: bool) -> None:
        current = Procedure.objects.get(pk=obj.pk)
        if "agency" in form.changed_data:
            actions.set_agency(current, form.cleaned_data["agency"], actor=request.user)
        if "is_active" in form.changed_data:
            actions.set_active(current, form.cleaned_data["is_active"], actor=request.user)
        obj.refresh_from_db()

    @admin.action(description=gettext_lazy("Tạo bản nháp mới từ phiên bản mới nhất"))
    def make_draft(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> None:
        for procedure in queryset:
            version = actions.create_draft(procedure, actor=request.user)
            self.message_user(
                request, _("Đã tạo %(version)s.") % {"version": version}, messages.SUCCESS
            )


def _is_draft(obj: Any) -> bool:
    return isinstance(obj, ProcedureVersion) and obj.state == ProcedureVersion.State.DRAFT


# A blank form (mẫu đơn, tờ khai) is served to every citizen from /media/: only the formats
# people open to fill in, recognised by their content, and a ZIP-based one only if what it
# expands to is bounded (core/archives.py; security issue 17, item 5).
MAX_FORM_FILE_BYTES = 10 * 1024 * 1024
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls


def _form_file_problem(content: bytes) -> str:
    if len(content) > MAX_FORM_FILE_BYTES:
        return _("Tệp mẫu lớn hơn 10 MB.")
    if content.startswith(b"%PDF-") or content.startswith(_OLE2):
        return ""
    if archives.is_zip(content):
        try:
            archives.check_archive(content)
        except archives.ArchiveRefused:
            return _("Tệp mẫu là tệp nén giải nén ra quá lớn hoặc có cấu trúc bất thường.")
        return ""
    return _("Tệp mẫu phải là PDF, Word (DOC, DOCX), Excel (XLSX) hoặc ODT.")


class ComponentForm(forms.ModelForm):
    class Meta:
        model = ComponentRequirement
        fields = (
            "position",
            "code",
            "name",
            "originals",
            "copies",
            "required",
            "from_datastore",
            "form_file",
        )

    def clean_form_file(self) -> Any:
        upload = self.cleaned_data.get("form_file")
        if upload and hasattr(upload, "read") and not getattr(upload, "_committed", False):
            upload.seek(0)
            content = upload.read(MAX_FORM_FILE_BYTES + 1)
            upload.seek(0)
            problem = _form_file_problem(content)
            if problem:
                raise ValidationError(problem)
        return upload


class ComponentInline(admin.TabularInline):
    """Components of a draft are edited here; saving goes through `actions.update_draft`."""

    model = ComponentRequirement
    form = ComponentForm
    fields = ComponentForm.Meta.fields
    extra = 0
    formfield_overrides = {TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if _is_draft(obj) else self.fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and super().has_delete_permission(request, obj)


class VersionForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Cách thức thực hiện"),
        choices=[
            ("online", gettext_lazy("Trực tuyến")),
            ("counter", gettext_lazy("Trực tiếp")),
            ("post", gettext_lazy("Bưu chính công ích")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ProcedureVersion
        fields = [
            "name",
            "processing_days",
            "processing_hours",
            "processing_note",
            "online_type",
            "channels",
            "fees",
            "result_name",
            "legal_basis",
            "conditions",
            "steps",
        ]

    def clean(self) -> dict[str, Any]:
        """The same rules the action applies, shown on the fields before anything is saved."""
        cleaned = super().clean() or {}
        if self.instance.pk and self.instance.state == ProcedureVersion.State.DRAFT:
            base = actions.spec_of(ProcedureVersion.objects.get(pk=self.instance.pk))
            values = {k: v for k, v in cleaned.items() if k in self.Meta.fields}
            spec = replace(base, **values)
            for name, message in clean_spec(spec).items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, message)
                elif name not in self.fields:
                    self.add_error(None, message)
        return cleaned


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ["procedure", "number", "state", "published_at", "name"]
    list_filter = ["state", "online_type"]
    list_select_related = ["procedure"]
    search_fields = ["=procedure__code", "name"]
    inlines = [ComponentInline]
    actions = ["publish"]
    change_form_template = "admin/catalogue/procedureversion/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        base = ["procedure", "number", "state", "published_at"]
        if obj is not None and obj.state != ProcedureVersion.State.DRAFT:
            return [*base, *VersionForm.Meta.fields]
        return base

    def save_model(
        self, request: HttpRequest, obj: ProcedureVersion, form: Any, change: bool
    ) -> None:
        """Nothing is saved here: `save_related` sends fields and components to the action."""
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """One `actions.update_draft` call with the changed fields and, if edited, components."""
        version = ProcedureVersion.objects.get(pk=form.instance.pk)
        changes: dict[str, Any] = {name: form.cleaned_data[name] for name in form.changed_data}
        for formset in formsets:
            # the admin's change message reads these; the audit trail has the real record
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is ComponentRequirement and formset.has_changed():
                changes["components"] = self._components(formset)
        if not _is_draft(version) or not changes:
            return
        try:
            actions.update_draft(version, actor=request.user, changes=changes)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))

    @staticmethod
    def _components(formset: Any) -> list[ComponentSpec]:
        rows = []
        for inline_form in formset.forms:
            data = inline_form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            upload = data.get("form_file")
            if upload and hasattr(upload, "read") and not getattr(upload, "_committed", False):
                name = default_storage.save(f"catalogue/forms/{upload.name}", upload)
            else:
                name = getattr(upload, "name", "") or ""
            rows.append(
                (
                    data.get("position") or 0,
                    ComponentSpec(
                        name=data["name"],
                        code=data.get("code") or "",
                        originals=data.get("originals") or 0,
                        copies=data.get("copies") or 0,
                        required=bool(data.get("required")),
                        from_datastore=bool(data.get("from_datastore")),
                        group=getattr(data.get("id"), "group", "") or "",
                        form_file=name,
                    ),
                )
            )
        rows.sort(key=lambda row: row[0])
        return [spec for _, spec in rows]

    @admin.action(description=gettext_lazy("Công bố các bản nháp đã chọn"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ProcedureVersion]) -> None:
        for version in queryset:
            try:
                actions.publish_version(version, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request, _("Đã công bố %(version)s.") % {"version": version}, messages.SUCCESS
                )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/eform/",
                self.admin_site.admin_view(self.eform_editor),
                name="catalogue_procedureversion_eform",
            ),
            path(
                "<int:pk>/eform/preview/",
                self.admin_site.admin_view(require_POST(self.eform_preview)),
                name="catalogue_procedureversion_eform_preview",
            ),
        ]
        return own + super().get_urls()

    def _editable(self, request: HttpRequest, pk: int) -> ProcedureVersion:
        try:
            return queries.access_version_for_edit(request.user, pk)
        except ProcedureVersion.DoesNotExist:
            raise Http404 from None

    def eform_editor(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._editable(request, pk)
        schema_text = json.dumps(version.eform_schema, ensure_ascii=False, indent=2)
        layout_text = json.dumps(version.eform_layout, ensure_ascii=False, indent=2)
        problems: list[str] = []
        if request.method == "POST":
            schema_text = request.POST.get("schema", "")
            layout_text = request.POST.get("layout", "")
            schema, layout, problems = _parse(schema_text, layout_text)
            if not problems:
                changes = {"eform_schema": schema, "eform_layout": layout}
                try:
                    if version.state == ProcedureVersion.State.DRAFT:
                        target = actions.update_draft(version, actor=request.user, changes=changes)
                        note = _("Đã lưu biểu mẫu của bản nháp.")
                    else:
                        target = actions.create_draft(
                            version.procedure, actor=request.user, changes=changes
                        )
                        note = _("Đã tạo bản nháp %(number)s với biểu mẫu mới; hãy công bố.") % {
                            "number": target.number
                        }
                except ValidationError as exc:
                    problems = exc.messages
                else:
                    messages.success(request, note)
                    return HttpResponseRedirect(
                        reverse("admin:catalogue_procedureversion_eform", args=[target.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Biểu mẫu điện tử: %(version)s") % {"version": version},
            "version": version,
            "schema_text": schema_text,
            "layout_text": layout_text,
            "problems": problems,
            "preview": _preview_html(*_parse(schema_text, layout_text)[:2]) if not problems else "",
        }
        return TemplateResponse(request, "admin/catalogue/eform_editor.html", context)

    def eform_preview(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._editable(request, pk)
        schema, layout, problems = _parse(
            request.POST.get("schema", ""), request.POST.get("layout", "")
        )
        if problems:
            return JsonResponse({"problems": problems, "html": ""})
        return JsonResponse({"problems": [], "html": _preview_html(schema, layout)})


def _parse(schema_text: str, layout_text: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    problems: list[str] = []
    schema: Any = {}
    layout: Any = {}
    try:
        schema = json.loads(schema_text or "{}")
    except json.JSONDecodeError as exc:
        problems.append(
            _("JSON Schema không hợp lệ: dòng %(line)s, cột %(column)s.")
            % {"line": exc.lineno, "column": exc.colno}
        )
    try:
        layout = json.loads(layout_text or "{}")
    except json.JSONDecodeError as exc:
        problems.append(
            _("Bố cục không hợp lệ: dòng %(line)s, cột %(column)s.")
            % {"line": exc.lineno, "column": exc.colno}
        )
    if not problems:
        if not isinstance(layout, dict):
            problems.append(_("Bố cục phải là một đối tượng JSON."))
        elif schema:
            problems.extend(eforms.check_schema(schema, layout))
    return (
        schema if isinstance(schema, dict) else {},
        layout if isinstance(layout, dict) else {},
        problems,
    )


def _preview_html(schema: dict[str, Any], layout: dict[str, Any]) -> str:
    if not schema:
        return ""
    data = eforms.prefill(schema, layout, SAMPLE_CITIZEN)
    return render_to_string(
        "catalogue/eform_fields.html", {"fields": eforms.fields(schema, layout, data, {})}
    )
