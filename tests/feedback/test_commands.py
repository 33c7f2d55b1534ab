"""`tinhso open311 issue-key | revoke-key | list-keys` and `tinhso feedback escalate`."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tinhso.feedback.models import Report
from tinhso.people import clients
from tinhso.people.clients import hash_key
from tinhso.people.models import ApiClient


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_issue_key_prints_the_key_once_and_stores_only_its_hash(db):
    key = run("open311", "issue-key", "Ứng dụng Đắk Lắk 24h").strip()
    client = ApiClient.objects.get()
    assert client.name == "Ứng dụng Đắk Lắk 24h"
    assert client.key_hash == hash_key(key) and client.scopes == ["open311.post"]
    assert key not in (client.key_hash, client.key_prefix)
    assert clients.authenticate(key) == client
    listing = run("open311", "list-keys")
    assert listing == f"{key[:10]}…  60/min  active  Ứng dụng Đắk Lắk 24h\n"
    assert key not in listing


def test_list_keys_shows_only_open311_clients(db):
    clients.issue("Cổng DVC quốc gia", scopes=["dossiers.submit"], actor=None)
    _, key = clients.issue("Cả hai", scopes=["dossiers.submit", "open311.post"], actor=None)
    assert run("open311", "list-keys") == f"{key[:10]}…  60/min  active  Cả hai\n"
    with pytest.raises(CommandError, match="không có ứng dụng 'Cổng DVC quốc gia'"):
        run("open311", "revoke-key", "Cổng DVC quốc gia")
    assert ApiClient.objects.get(name="Cổng DVC quốc gia").is_active


def test_revoke_key(db):
    run("open311", "issue-key", "Cũ", "--per-minute", "5")
    assert run("open311", "revoke-key", "Cũ") == "revoked Cũ\n"
    client = ApiClient.objects.get()
    assert not client.is_active and client.requests_per_minute == 5
    assert "revoked " in run("open311", "list-keys")
    with pytest.raises(CommandError, match="không có ứng dụng 'Mới'"):
        run("open311", "revoke-key", "Mới")


def test_a_second_key_with_the_same_name_is_refused(db):
    run("open311", "issue-key", "Trùng")
    with pytest.raises(CommandError, match="Đã có ứng dụng tên “Trùng”"):
        run("open311", "issue-key", "Trùng")


def test_escalate_moves_overdue_reports(submitted, agencies):
    Report.objects.filter(pk=submitted.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert run("feedback", "escalate") == "escalated 1 report(s)\n"
    submitted.refresh_from_db()
    assert submitted.agency == agencies["UBND"]
    assert run("feedback", "escalate") == "escalated 0 report(s)\n"
