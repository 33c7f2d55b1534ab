"""Read-only admin views of dossiers: changes go through the actions, never the admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    ProcessingRoute,
    Rating,
    RouteStep,
)
from tinhso.web.admin_display import yes_no


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FileInline(ReadOnlyInline):
    model = DossierFile
    fields = ["component", "original_name", "kind", "size", "uploaded_at"]
    readonly_fields = ["component", "original_name", "kind", "size", "uploaded_at"]


class EventInline(ReadOnlyInline):
    model = DossierEvent
    fields = ["at", "state", "note"]
    readonly_fields = ["at", "state", "note"]


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = ["code", "state", "agency", "applicant_name", "submitted_at", "appointment_at"]
    list_filter = ["state", "channel", "delivery"]
    search_fields = ["code", "applicant_name"]
    inlines = [FileInline, EventInline]
    exclude = ["lookup_secret_hash"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Dossier._meta.fields if f.name != "lookup_secret_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["dossier", "level", "created_at"]
    list_filter = ["level"]
    readonly_fields = ["dossier", "level", "comment", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class RouteStepFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        total = sum((d.get("share_percent") or Decimal(0) for d in kept), Decimal(0))
        if kept and total != Decimal(100):
            raise ValidationError(
                _("Tổng tỉ lệ thời gian của các bước phải bằng 100%% (hiện là %(total)s%%).")
                % {"total": total}
            )


def _route_in_use(route: Any) -> bool:
    return (
        route is not None and route.pk is not None and Dossier.objects.filter(route=route).exists()
    )


class RouteStepInline(admin.TabularInline):
    model = RouteStep
    formset = RouteStepFormSet
    extra = 0
    fields = ["position", "name", "agency", "role", "share_percent"]

    # A route a dossier started on is frozen: its steps are that dossier's legal budget.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _route_in_use(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _route_in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _route_in_use(obj) and super().has_delete_permission(request, obj)


@admin.register(ProcessingRoute)
class ProcessingRouteAdmin(admin.ModelAdmin):
    """Quy trình nội bộ: administrators edit a route until a dossier starts on it; after that
    they publish a new number (dossiers keep the version they started on)."""

    list_display = ["procedure", "number", yes_no(ProcessingRoute, "is_active"), "created_at"]
    list_filter = ["is_active"]
    search_fields = ["procedure__code", "procedure__name"]
    inlines = [RouteStepInline]

    def _in_use(self, obj: Any) -> bool:
        return _route_in_use(obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # What the route was before this save, for the audit record written once the steps
        # are saved too (the admin's change view runs in one transaction).
        obj._audit_before = (
            _route_snapshot(ProcessingRoute.objects.get(pk=obj.pk)) if change else {}
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        route = form.instance
        before = getattr(route, "_audit_before", {})
        super().save_related(request, form, formsets, change)
        audit.record(
            "dossiers.route.saved",
            route,
            actor=request.user,
            changes=audit.diff(before, _route_snapshot(route)),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["procedure", "number"] if self._in_use(obj) else []

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [RouteStepInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._in_use(obj) and super().has_delete_permission(request, obj)


def _route_snapshot(route: ProcessingRoute) -> dict[str, Any]:
    steps = RouteStep.objects.filter(route=route).order_by("position")
    return {
        "procedure": route.procedure_id,
        "number": route.number,
        "is_active": route.is_active,
        "steps": [[s.position, s.name, s.agency_id, s.role, str(s.share_percent)] for s in steps],
    }
