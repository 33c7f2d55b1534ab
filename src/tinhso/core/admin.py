from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tinhso.core import calendar, outbox
from tinhso.core.models import AuditRecord, CalendarChange, OutboxMessage


@admin.register(CalendarChange)
class CalendarChangeAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "reason", "updated_at"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = calendar.set_calendar_change(obj.date, obj.kind, obj.reason, actor=request.user)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        calendar.remove_calendar_change(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            calendar.remove_calendar_change(obj, actor=request.user)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "state", "attempts", "available_at", "last_error"]
    list_filter = ["state", "topic"]
    exclude = ["payload"]
    readonly_fields = [
        "shown_payload" if f.name == "payload" else f.name for f in OutboxMessage._meta.fields
    ]
    actions = ["retry"]

    @admin.display(description="nội dung (dữ liệu cá nhân được ẩn)")
    def shown_payload(self, obj: OutboxMessage) -> str:
        return json.dumps(
            outbox.without_personal_data(obj.topic, obj.payload), ensure_ascii=False, indent=2
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Gửi lại các thông điệp đã chọn")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        parked = queryset.filter(state=OutboxMessage.State.PARKED)
        for message in parked:
            outbox.retry_parked(message, actor=request.user)
        self.message_user(request, f"Đã xếp lại {len(parked)} thông điệp.", messages.SUCCESS)


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_label", "action", "object_type", "object_id", "channel"]
    list_filter = ["action", "channel"]
    search_fields = ["object_id", "actor_label", "action"]
    readonly_fields = [f.name for f in AuditRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
