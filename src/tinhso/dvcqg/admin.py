"""The administrator's page of the national portal sync (Quản trị › Đồng bộ Cổng DVC quốc
gia): health per agency (dossiers behind, lag, parked messages, last error) and the parked
messages with the portal's reason and a button to send each again once its cause is fixed.

Only the provincial IT administrator (`actions.may_manage_sync`) sees it; the re-send is the
audited action `actions.resend_parked`, which checks the role again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from tinhso.dvcqg import actions, catalogue_sync, queries, sync
from tinhso.dvcqg.models import CatalogueChange, SyncState


def _lag(seconds: int) -> str:
    if seconds <= 0:
        return "—"
    if seconds < 60:
        return f"{seconds} giây"
    if seconds < 3600:
        return f"{seconds // 60} phút"
    if seconds < 86400:
        return f"{seconds // 3600} giờ {seconds % 3600 // 60} phút"
    return f"{seconds // 86400} ngày"


def _state(row: dict[str, Any], enabled: bool) -> tuple[str, str]:
    """An agency's sync state as the administrator reads it (class suffix, words): green only
    when the sync is on and the portal holds every dossier's latest version, nothing parked."""
    if row["parked"]:
        return "loi", "Có hồ sơ bị Cổng từ chối"
    if not enabled or row["behind"]:
        return "cho", "Chưa đồng bộ"
    return "tot", "Đã đồng bộ"


@admin.register(SyncState)
class SyncHealthAdmin(admin.ModelAdmin):
    """The model's list is the health page: SyncState rows are the sync's own bookkeeping."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_manage_sync(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return actions.may_manage_sync(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        resend = self.admin_site.admin_view(require_POST(self.resend_view))
        return [
            path("gui-lai/<int:message_id>/", resend, name="dvcqg_syncstate_resend"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not actions.may_manage_sync(request.user):
            raise PermissionDenied
        enabled = sync.enabled()
        health = queries.sync_health()
        for row in health["agencies"]:
            row["lag"] = _lag(row["lag_seconds"])
            row["state"], row["state_label"] = _state(row, enabled)
        context = {
            **self.admin_site.each_context(request),
            "title": "Đồng bộ với Cổng Dịch vụ công quốc gia",
            "opts": self.model._meta,
            "enabled": enabled,
            "health": health,
        }
        return TemplateResponse(request, "admin/dvcqg/health.html", context)

    def resend_view(self, request: HttpRequest, message_id: int) -> HttpResponse:
        try:
            message = actions.resend_parked(message_id, actor=request.user)
        except actions.NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except actions.ResendRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Đã đưa tin #{message.pk} vào hàng đợi gửi lại lên Cổng DVC quốc gia.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:dvcqg_syncstate_changelist"))


@admin.register(CatalogueChange)
class CatalogueChangeAdmin(admin.ModelAdmin):
    """Thay đổi danh mục thủ tục chờ công bố: the catalogue sync's findings; the administrator
    publishes (or sets aside) the selected ones. Nothing is published without this."""

    list_display = ["code", "name", "kind", "state", "detected_at", "decided_by"]
    list_filter = ["state", "kind"]
    search_fields = ["code", "name"]
    actions = ["publish_selected", "dismiss_selected"]
    exclude = ["record"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_manage_sync(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return actions.may_manage_sync(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> Any:
        # the actions are this page's purpose: offered although rows are not "changed"
        found = super().get_actions(request)
        if actions.may_manage_sync(request.user):
            for name in ("publish_selected", "dismiss_selected"):
                found[name] = self.get_action(name)
        return found

    @admin.action(description="Công bố các thay đổi đã chọn")
    def publish_selected(self, request: HttpRequest, queryset: Any) -> None:
        self._apply(request, queryset, catalogue_sync.publish, "Đã công bố")

    @admin.action(description="Bỏ qua các thay đổi đã chọn")
    def dismiss_selected(self, request: HttpRequest, queryset: Any) -> None:
        self._apply(request, queryset, catalogue_sync.dismiss, "Đã bỏ qua")

    def _apply(self, request: HttpRequest, queryset: Any, action: Any, done: str) -> None:
        count = 0
        for change in queryset:
            try:
                action(change.pk, actor=request.user)
                count += 1
            except actions.NotPermitted as exc:
                raise PermissionDenied(str(exc)) from exc
            except (catalogue_sync.ChangeRefused, ValueError) as exc:
                self.message_user(request, f"{change.code}: {exc}", messages.ERROR)
        self.message_user(request, f"{done} {count} thay đổi.", messages.SUCCESS)
