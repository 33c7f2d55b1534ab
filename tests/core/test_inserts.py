"""`core.inserts.insert`: the compiled INSERT only where `save()` would add nothing to it."""

from __future__ import annotations

import pytest
from django.db.models import Model

from tinhso.core import inserts
from tinhso.core.models import AuditCheckpoint, AuditRecord, ProcessedMessage

pytestmark = pytest.mark.django_db


def test_a_model_with_its_own_save_goes_through_save(monkeypatch):
    calls = []

    def save(self, *args, **kwargs):
        calls.append(self)
        Model.save(self, *args, **kwargs)

    monkeypatch.setattr(inserts, "_STATIC_PLAIN", {})
    monkeypatch.setattr(ProcessedMessage, "save", save, raising=False)
    assert not inserts.fast_insert_allowed(ProcessedMessage)
    row = ProcessedMessage(handler="test", message_id=7)
    inserts.insert(row)
    assert calls == [row] and row.pk is not None and not row._state.adding


def test_a_plain_model_takes_the_compiled_insert(monkeypatch):
    monkeypatch.setattr(inserts, "_STATIC_PLAIN", {})
    assert inserts.fast_insert_allowed(ProcessedMessage)


def test_the_audit_record_save_only_guards_updates_so_it_stays_fast():
    assert AuditRecord.save is not Model.save
    assert inserts.fast_insert_allowed(AuditRecord)


def test_a_field_with_a_placeholder_goes_through_save():
    # BinaryField's placeholder may depend on the value (Oracle)
    assert not inserts.fast_insert_allowed(AuditCheckpoint)
