"""Admin for places: units are read-only (they come from the import); agencies go through
the actions, so every change is audited. Agencies are deactivated, never deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from tinhso.places import actions
from tinhso.places.codes import normalize_agency_code
from tinhso.places.models import Agency, Commune, LegacyProvince, Province
from tinhso.web.admin_display import yes_no


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Province)
class ProvinceAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "division_type", "phone_code"]
    list_filter = ["division_type"]
    search_fields = ["name", "search_key", "codename"]


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "division_type", "province"]
    list_filter = ["division_type", "province"]
    list_select_related = ["province"]
    search_fields = ["name", "search_key", "codename", "=code"]


@admin.register(LegacyProvince)
class LegacyProvinceAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "division_type", "successor"]
    list_select_related = ["successor"]
    search_fields = ["name"]


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["code", "name", "short_name", "level", "parent", "province", "commune"]

    def clean_code(self) -> str:
        return normalize_agency_code(self.cleaned_data["code"] or "")

    def clean_parent(self) -> Agency | None:
        parent = self.cleaned_data.get("parent")
        if parent is not None and not parent.is_active and parent.pk != self.instance.parent_id:
            raise ValidationError("Cơ quan cấp trên đã ngừng hoạt động.")
        return parent


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    form = AgencyForm
    list_display = ["code", "name", "short_name", "level", "parent", yes_no(Agency, "is_active")]
    list_filter = ["level", "is_active", "province"]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["parent", "province", "commune"]
    readonly_fields = ["is_active", "created_at", "updated_at"]
    actions = ["deactivate", "reactivate"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Agency, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name in data}
            actions.update_agency(obj, actor=request.user, **fields)
            return
        created = actions.create_agency(
            code=data["code"],
            name=data["name"],
            short_name=data["short_name"],
            level=data["level"],
            province=data.get("province"),
            parent=data.get("parent"),
            commune=data.get("commune"),
            actor=request.user,
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    @admin.action(description="Ngừng hoạt động các cơ quan, đơn vị đã chọn")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        self._apply(request, queryset, actions.deactivate_agency, "Đã ngừng hoạt động")

    @admin.action(description="Hoạt động trở lại các cơ quan, đơn vị đã chọn")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        self._apply(request, queryset, actions.reactivate_agency, "Đã cho hoạt động trở lại")

    def _apply(
        self, request: HttpRequest, queryset: QuerySet[Agency], action: Any, done: str
    ) -> None:
        # Several passes, so that selecting a unit together with the units under it works
        # whatever the order (children are deactivated before their parent).
        pending, count = list(queryset), 0
        errors: dict[str, str] = {}
        while pending:
            retry = []
            for agency in pending:
                try:
                    action(agency, actor=request.user)
                except ValidationError as exc:
                    errors[agency.code] = " ".join(exc.messages)
                    retry.append(agency)
                else:
                    errors.pop(agency.code, None)
                    count += 1
            if len(retry) == len(pending):
                break
            pending = retry
        for code, message in errors.items():
            self.message_user(request, f"{code}: {message}", messages.ERROR)
        if count:
            self.message_user(request, f"{done} {count} cơ quan, đơn vị.", messages.SUCCESS)
