"""Administration of documents: registers, certificates, trusted roots and axis partners.

Documents and numbers are read-only here: every change goes through the actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from tinhso.core import audit
from tinhso.documents import actions, books
from tinhso.documents.models import (
    Certificate,
    Document,
    IssuedNumber,
    Partner,
    Register,
    ReviewStep,
    TrustedRoot,
)
from tinhso.web.admin_display import yes_no


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Register)
class RegisterAdmin(ReadOnly):
    list_display = [
        "__str__",
        "agency",
        "year",
        "direction",
        yes_no(Register, "secret"),
        "last_number",
    ]
    list_filter = ["direction", "secret", "year"]
    actions = ["print_pdf", "print_xlsx"]

    @admin.action(description="In sổ (PDF)")
    def print_pdf(self, request: HttpRequest, queryset: QuerySet[Register]) -> HttpResponse:
        register = queryset.first()
        assert register is not None
        response = HttpResponse(books.to_pdf(register), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="so-{register.pk}.pdf"'
        return response

    @admin.action(description="In sổ (XLSX)")
    def print_xlsx(self, request: HttpRequest, queryset: QuerySet[Register]) -> HttpResponse:
        register = queryset.first()
        assert register is not None
        response = HttpResponse(
            books.to_xlsx(register),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="so-{register.pk}.xlsx"'
        return response


@admin.register(IssuedNumber)
class IssuedNumberAdmin(ReadOnly):
    list_display = ["number", "register", "document", "issued_at", "cancelled_at", "cancel_reason"]
    list_filter = ["register__direction"]


class ReviewStepInline(admin.TabularInline):
    """The review history (trình duyệt), read-only."""

    model = ReviewStep
    fields = ["round", "position", "reviewer", "state", "comment", "acted_at"]
    readonly_fields = ["round", "position", "reviewer", "state", "comment", "acted_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly):
    list_display = ["id", "number_and_notation", "direction", "state", "agency", "subject"]
    list_filter = ["direction", "state", "doc_type"]
    search_fields = ["subject", "notation", "exchange_id"]
    exclude = ["search_text", "subject_key"]
    inlines = [ReviewStepInline]


@admin.register(Certificate)
class CertificateAdmin(ReadOnly):
    list_display = [
        "subject",
        "serial",
        "issuer",
        "not_after",
        "state",
        yes_no(Certificate, "is_test"),
    ]
    list_filter = ["state", "is_test"]
    exclude = ["pkcs12"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description="Thu hồi chứng thư số")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        for cert in queryset:
            actions.revoke_certificate(cert, actor=request.user)
        messages.success(request, f"Đã thu hồi {queryset.count()} chứng thư số.")


class AuditedAdmin(admin.ModelAdmin):
    """Configuration saved from the admin, with its audit record in the same transaction."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            name = obj._meta.model_name
            audit.record(f"documents.{name}.save", obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit.record(f"documents.{obj._meta.model_name}.delete", obj, actor=request.user)
            super().delete_model(request, obj)


@admin.register(TrustedRoot)
class TrustedRootAdmin(AuditedAdmin):
    list_display = [
        "name",
        yes_no(TrustedRoot, "is_test"),
        yes_no(TrustedRoot, "is_active"),
        "created_at",
    ]


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    list_display = ["organ_id", "name", "endpoint_url", yes_no(Partner, "is_active")]
    search_fields = ["organ_id", "name"]
