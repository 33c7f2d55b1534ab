"""Client applications of other channels: keys issued once and stored hashed, scopes,
revocation, the per-minute limit, and the admin and command that call the actions."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tinhso.core.models import AuditRecord
from tinhso.people import clients
from tinhso.people.actions import PeopleError
from tinhso.people.models import ApiClient, ApiClientUsage

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 8, 15, 20, tzinfo=UTC)


def test_issue_returns_the_key_once_and_stores_only_its_hash():
    client, key = clients.issue(
        "  Cổng DVC   quốc gia ", scopes=["dossiers.submit"], actor=None, requests_per_minute=30
    )
    assert key.startswith("tsk_") and len(key) == 47
    client.refresh_from_db()
    assert client.name == "Cổng DVC quốc gia"
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client.key_prefix == key[:10]
    assert client.scopes == ["dossiers.submit"] and client.requests_per_minute == 30
    assert key not in str(list(ApiClient.objects.values_list()))
    record = AuditRecord.objects.get(action="people.api_client_issued")
    assert record.changes["name"] == [None, "Cổng DVC quốc gia"]
    assert record.changes["scopes"] == [None, ["dossiers.submit"]]
    assert key not in str(record.changes) and client.key_hash not in str(record.changes)


def test_issue_refuses_bad_input_and_writes_nothing():
    clients.issue("Ứng dụng A", scopes=["dossiers.submit"], actor=None)
    before = (ApiClient.objects.count(), AuditRecord.objects.count())
    with pytest.raises(PeopleError) as same_name:
        clients.issue("Ứng dụng A", scopes=["dossiers.submit"], actor=None)
    assert same_name.value.message_dict == {"name": ["Đã có ứng dụng tên “Ứng dụng A”."]}
    with pytest.raises(PeopleError) as bad_scope:
        clients.issue("Ứng dụng B", scopes=["dossiers.read"], actor=None)
    assert bad_scope.value.message_dict["scopes"][0].startswith(
        "Phạm vi không hợp lệ: dossiers.read."
    )
    with pytest.raises(PeopleError) as no_scope:
        clients.issue("Ứng dụng B", scopes=[], actor=None)
    assert no_scope.value.message_dict == {"scopes": ["Cần ít nhất một phạm vi."]}
    with pytest.raises(PeopleError) as zero:
        clients.issue("Ứng dụng B", scopes=["open311.post"], actor=None, requests_per_minute=0)
    assert list(zero.value.message_dict) == ["requests_per_minute"]
    assert (ApiClient.objects.count(), AuditRecord.objects.count()) == before


def test_authenticate_finds_only_an_active_client_by_its_key():
    client, key = clients.issue("Ứng dụng A", scopes=["dossiers.submit"], actor=None)
    assert clients.authenticate(key) == client
    assert clients.authenticate(f"  {key} ") == client
    assert clients.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert clients.authenticate("") is None and clients.authenticate(None) is None
    assert clients.authenticate(client.key_hash) is None  # the hash is not a key
    clients.revoke(client, actor=None)
    assert clients.authenticate(key) is None


def test_revoke_is_immediate_audited_and_done_once():
    client, key = clients.issue("Ứng dụng A", scopes=["dossiers.submit"], actor=None)
    revoked = clients.revoke(client, actor=None, now=AT)
    assert (revoked.is_active, revoked.revoked_at) == (False, AT)
    assert not revoked.has_scope("dossiers.submit")
    clients.revoke(client, actor=None)
    assert AuditRecord.objects.filter(action="people.api_client_revoked").count() == 1
    with pytest.raises(clients.ClientRefused):
        clients.admit(key, "dossiers.submit")


def test_update_changes_scopes_and_limit_with_an_audit_record():
    client, _ = clients.issue("Ứng dụng A", scopes=["dossiers.submit"], actor=None)
    clients.update(client, actor=None, scopes=["open311.post", "dossiers.submit"])
    client.refresh_from_db()
    assert client.scopes == ["dossiers.submit", "open311.post"]
    record = AuditRecord.objects.get(action="people.api_client_updated")
    assert record.changes == {"scopes": [["dossiers.submit"], ["dossiers.submit", "open311.post"]]}
    clients.update(client, actor=None, scopes=["dossiers.submit", "open311.post"])
    assert AuditRecord.objects.filter(action="people.api_client_updated").count() == 1


def test_the_limit_is_a_fixed_one_minute_window():
    client, key = clients.issue(
        "Ứng dụng A", scopes=["dossiers.submit"], actor=None, requests_per_minute=2
    )
    first = clients.count_request(client, now=AT)
    second = clients.count_request(client, now=AT.replace(second=59))
    third = clients.count_request(client, now=AT.replace(second=59, microsecond=10))
    assert [u.allowed for u in (first, second, third)] == [True, True, False]
    assert (third.count, third.limit, third.retry_after) == (3, 2, 1)
    assert first.retry_after == 40
    next_minute = clients.count_request(client, now=AT.replace(minute=16, second=0))
    assert next_minute.allowed and next_minute.count == 1
    with pytest.raises(clients.RateLimited) as limited:
        for _ in range(3):
            clients.admit(key, "dossiers.submit", now=AT.replace(minute=17, second=30))
    assert limited.value.retry_after == 30 and limited.value.status == 429
    # old windows are dropped when a new one starts
    clients.count_request(client, now=AT.replace(hour=9))
    assert list(ApiClientUsage.objects.values_list("minute", flat=True)) == [
        AT.replace(hour=9, second=0)
    ]


def test_admit_refuses_a_missing_scope():
    _, key = clients.issue("Ứng dụng A", scopes=["open311.post"], actor=None)
    with pytest.raises(clients.MissingScope) as refused:
        clients.admit(key, "dossiers.submit")
    assert refused.value.status == 403
    assert not ApiClientUsage.objects.exists()  # refused before counting


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_counted_exactly():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    client, _ = clients.issue(
        "Ứng dụng A", scopes=["dossiers.submit"], actor=None, requests_per_minute=10
    )
    allowed: list[bool] = []

    def hit() -> None:
        allowed.append(clients.count_request(client, now=AT).allowed)
        connection.close()

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(allowed) == [False] * 6 + [True] * 10
    assert ApiClientUsage.objects.get().count == 16


# --- admin -----------------------------------------------------------------------------------
def test_adding_a_client_in_the_admin_issues_a_key_shown_once(admin_client):
    response = admin_client.post(
        "/quan-tri/people/apiclient/add/",
        {"name": "Ứng dụng Đắk Lắk số", "scopes": ["dossiers.submit"], "requests_per_minute": 120},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    client = ApiClient.objects.get()
    key = page.split("hãy lưu lại ngay): ", 1)[1][:47]
    assert clients.authenticate(key) == client
    assert (client.scopes, client.requests_per_minute) == (["dossiers.submit"], 120)
    record = AuditRecord.objects.get(action="people.api_client_issued")
    assert record.actor == admin_client.admin
    change_page = admin_client.get(f"/quan-tri/people/apiclient/{client.pk}/change/")
    assert key not in change_page.content.decode()


def test_revoking_in_the_admin_goes_through_the_action(admin_client):
    client, key = clients.issue("Ứng dụng A", scopes=["dossiers.submit"], actor=None)
    response = admin_client.post(
        "/quan-tri/people/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
        follow=True,
    )
    assert "Đã thu hồi khóa của 1 ứng dụng." in response.content.decode()
    assert clients.authenticate(key) is None
    record = AuditRecord.objects.get(action="people.api_client_revoked")
    assert record.actor == admin_client.admin


# --- command ---------------------------------------------------------------------------------
def test_command_issues_lists_and_revokes():
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "clients", "issue-key", "Cổng DVC", "--scope", "dossiers.submit", stdout=out, stderr=err
    )
    key = out.getvalue().strip()
    client = clients.authenticate(key)
    assert client is not None and client.scopes == ["dossiers.submit"]
    assert "khóa chỉ hiện một lần này" in err.getvalue()
    listing = io.StringIO()
    call_command("clients", "list", stdout=listing)
    assert listing.getvalue().startswith(f"Cổng DVC\t{key[:10]}…\tdossiers.submit\t60/phút")
    assert key not in listing.getvalue()
    done = io.StringIO()
    call_command("clients", "revoke", "Cổng DVC", stdout=done)
    assert done.getvalue().strip() == "Đã thu hồi khóa của “Cổng DVC”."
    assert clients.authenticate(key) is None
    with pytest.raises(CommandError, match="Không có ứng dụng tên “Không có”"):
        call_command("clients", "revoke", "Không có")
    with pytest.raises(CommandError, match="Đã có ứng dụng tên"):
        call_command("clients", "issue-key", "Cổng DVC", "--scope", "open311.post")
