"""Administration of field reports: categories and their questions, the routing matrix, and a
read-only view of reports. Open311 client keys are people.ApiClient rows, administered in the
people admin ("ứng dụng kết nối", scope `open311.post`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.feedback import actions
from tinhso.feedback.models import Attribute, Category, Report, RoutingRule
from tinhso.web.admin_display import yes_no


class AttributeInline(admin.TabularInline):
    model = Attribute
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "group",
        "deadline_days",
        "deadline_hours",
        yes_no(Category, "is_active"),
    ]
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
