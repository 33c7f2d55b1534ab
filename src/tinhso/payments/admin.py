"""The ledger in the admin, to read only: a finance officer goes through attempts, what the
gateways said and the refund cases, filtered by state; nothing is changed here.

Legal source: Law on Fees and Charges 2015 art. 12 (the collecting agency accounts for every
amount). Every change is an action (payments/actions.py) with its audit record, so these
pages offer no add, change or delete: a ledger edited by hand is no longer a ledger.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from tinhso.payments.models import Attempt, Charge, Event, Receipt, Refund
from tinhso.web.admin_display import yes_no


class ReadOnly(admin.ModelAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        model: type[models.Model] = self.model
        return [f.name for f in model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Charge)
class ChargeAdmin(ReadOnly):
    list_display = ["dossier", "due", "total", "state", "created_at", "paid_at"]
    list_filter = ["state", "due"]
    search_fields = ["dossier__code"]


@admin.register(Attempt)
class AttemptAdmin(ReadOnly):
    list_display = ["txn_ref", "charge", "gateway", "amount", "state", "created_at", "paid_at"]
    list_filter = ["state", "gateway"]
    search_fields = ["txn_ref", "transaction_no", "charge__dossier__code"]


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = [
        "received_at",
        "txn_ref",
        "kind",
        "status",
        "amount",
        "effect",
        yes_no(Event, "verified"),
    ]
    list_filter = ["kind", "effect", "verified"]
    search_fields = ["txn_ref"]


@admin.register(Refund)
class RefundAdmin(ReadOnly):
    list_display = ["attempt", "amount", "cause", "state", "created_at"]
    list_filter = ["state", "cause"]
    search_fields = ["attempt__txn_ref", "attempt__charge__dossier__code"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnly):
    list_display = ["receipt_number", "charge", "amount", "payer_name", "issued_at"]
    list_filter = ["series", "year"]
    search_fields = ["charge__dossier__code"]

    @admin.display(description=gettext_lazy("số biên lai"), ordering="number")
    def receipt_number(self, obj: Receipt) -> str:
        return obj.label
