"""Read-only admin views of dossiers: changes go through the actions, never the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    ProcessingRoute,
    Rating,
    RouteStep,
)


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
    exclude = ["lookup_secret"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Dossier._meta.fields if f.name != "lookup_secret"]

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


class RouteStepInline(admin.TabularInline):
    model = RouteStep
    extra = 0
    fields = ["position", "name", "agency", "role", "share_percent"]


@admin.register(ProcessingRoute)
class ProcessingRouteAdmin(admin.ModelAdmin):
    """Quy trình nội bộ: administrators edit a route until a dossier starts on it; after that
    they publish a new number (dossiers keep the version they started on)."""

    list_display = ["procedure", "number", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["procedure__code", "procedure__name"]
    inlines = [RouteStepInline]

    def _in_use(self, obj: Any) -> bool:
        return obj is not None and Dossier.objects.filter(route=obj).exists()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["procedure", "number"] if self._in_use(obj) else []

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [RouteStepInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._in_use(obj) and super().has_delete_permission(request, obj)
