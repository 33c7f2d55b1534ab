"""Administration of field reports: categories and their questions, the routing matrix, Open311
client keys (issued and revoked through the actions), and a read-only view of reports."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tinhso.feedback import actions
from tinhso.feedback.models import ApiClient, Attribute, Category, Report, RoutingRule
from tinhso.feedback.rules import RuleError


class AttributeInline(admin.TabularInline):
    model = Attribute
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "deadline_days", "deadline_hours", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["code", "name"]
    inlines = [AttributeInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "commune", "agency"]
    list_filter = ["category"]
    autocomplete_fields = ["commune", "agency"]
    search_fields = ["category__name", "commune__name", "agency__name"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Through the action: the change is audited like every other.
        rule = actions.set_route(obj.category, obj.commune, obj.agency, actor=request.user)
        obj.pk = rule.pk


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "requests_per_minute", "is_active", "revoked_at"]
    readonly_fields = ["key_prefix", "is_active", "revoked_at", "created_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            # Through the action: the change is audited like every other.
            values = {k: form.cleaned_data[k] for k in form.changed_data if k in form.cleaned_data}
            try:
                actions.update_api_client(obj, actor=request.user, **values)
            except RuleError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            return
        try:
            client, key = actions.issue_api_key(
                obj.name, actor=request.user, requests_per_minute=obj.requests_per_minute
            )
        except RuleError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = client.pk
        self.message_user(
            request,
            f"Khóa api_key của {client.name} (chỉ hiện một lần, hãy lưu lại): {key}",
            messages.WARNING,
        )

    @admin.action(description="Thu hồi khóa api_key đã chọn")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            actions.revoke_api_key(client, actor=request.user)
        self.message_user(request, f"Đã thu hồi {queryset.count()} khóa.")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only, and without the reporter: their name and contact are personal data that
    only the handling agency reads, through the audited API (queries.access_report_for_official);
    the admin's view permission is neither scoped to an agency nor audited."""

    list_display = ["__str__", "category", "state", "agency", "received_at", "due_at"]
    exclude = ["reporter", "reporter_name", "reporter_email", "reporter_phone", "token"]
    list_filter = ["state", "category", "channel"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
