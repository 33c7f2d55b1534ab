"""The move of Open311 clients from feedback.ApiClient to people.ApiClient (people 0003,
feedback 0003–0005): clients copied with their key hash, dates and state, a clashing name
marked, reports pointing at the copies, old keys still accepted; and back again."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tinhso.feedback.models import Report
from tinhso.people import clients
from tinhso.people.models import ApiClient

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BEFORE = [("feedback", "0002_photo_kind_and_video"), ("people", "0002_api_clients")]
AFTER = [
    ("feedback", "0005_drop_feedback_api_clients"),
    ("people", "0003_open311_clients_from_feedback"),
]


def old_key() -> str:  # as feedback.actions.issue_api_key made them
    return "o311_" + secrets.token_urlsafe(32)


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_open311_clients_move_to_people_and_reports_follow(roads, agencies, migrator):
    migrate = migrator
    old_apps = migrate(BEFORE)
    OldClient = old_apps.get_model("feedback", "ApiClient")
    OldReport = old_apps.get_model("feedback", "Report")
    OldPeopleClient = old_apps.get_model("people", "ApiClient")
    created = datetime(2025, 3, 4, 8, 30, tzinfo=VN)
    revoked = datetime(2026, 1, 2, 10, 0, tzinfo=VN)
    OldPeopleClient.objects.create(
        name="Cổng DVC quốc gia",
        key_prefix="tsk_abcdef",
        key_hash=sha256("tsk_" + "x" * 43),
        scopes=["dossiers.submit"],
    )
    live_key, gone_key = old_key(), old_key()
    live = OldClient.objects.create(
        name="Cổng DVC quốc gia",  # the same name as a dossiers client: gets " (Open311)"
        key_prefix=live_key[:9],
        key_hash=sha256(live_key),
        requests_per_minute=30,
    )
    OldClient.objects.filter(pk=live.pk).update(created_at=created)
    gone = OldClient.objects.create(
        name="Ứng dụng cũ",
        key_prefix=gone_key[:9],
        key_hash=sha256(gone_key),
        is_active=False,
        revoked_at=revoked,
    )
    times = {"received_at": created, "updated_at": created, "due_at": created}
    by_live = OldReport.objects.create(
        category_id=roads.pk,
        description="Ổ gà.",
        agency_id=agencies["SXD"].pk,
        channel="open311",
        api_client_id=live.pk,
        token="t1",
        **times,
    )
    by_gone = OldReport.objects.create(
        category_id=roads.pk,
        description="Đèn hỏng.",
        agency_id=agencies["SXD"].pk,
        channel="open311",
        api_client_id=gone.pk,
        token="t2",
        **times,
    )
    on_web = OldReport.objects.create(
        category_id=roads.pk,
        description="Rác.",
        agency_id=agencies["SXD"].pk,
        token="t3",
        **times,
    )

    migrate(AFTER)

    moved = ApiClient.objects.get(key_hash=sha256(live_key))
    assert (moved.name, moved.key_prefix, moved.scopes) == (
        "Cổng DVC quốc gia (Open311)",
        live_key[:9],
        ["open311.post"],
    )
    assert (moved.requests_per_minute, moved.is_active, moved.created_at) == (30, True, created)
    old_gone = ApiClient.objects.get(name="Ứng dụng cũ")
    assert (old_gone.is_active, old_gone.revoked_at, old_gone.scopes) == (
        False,
        revoked,
        ["open311.post"],
    )
    assert ApiClient.objects.get(name="Cổng DVC quốc gia").scopes == ["dossiers.submit"]
    assert ApiClient.objects.count() == 3
    assert Report.objects.get(pk=by_live.pk).api_client == moved
    assert Report.objects.get(pk=by_gone.pk).api_client == old_gone
    assert Report.objects.get(pk=on_web.pk).api_client is None
    # the keys already handed out keep working (the revoked one stays refused)
    assert clients.admit(live_key, "open311.post") == moved
    assert clients.authenticate(gone_key) is None
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "feedback_apiclient" not in tables and "feedback_apiusage" not in tables


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_reversed(roads, agencies, migrator):
    migrate = migrator
    api_client, key = clients.issue("Ứng dụng phường", scopes=["open311.post"], actor=None)
    clients.issue("Cổng DVC quốc gia", scopes=["dossiers.submit"], actor=None)
    at = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    report = Report.objects.create(
        category=roads,
        description="Ổ gà.",
        agency=agencies["SXD"],
        channel="open311",
        api_client=api_client,
        token="t1",
        received_at=at,
        updated_at=at,
        due_at=at,
    )
    old_apps = migrate([("feedback", "0002_photo_kind_and_video")])
    OldClient = old_apps.get_model("feedback", "ApiClient")
    old = OldClient.objects.get()  # only the Open311 client comes back
    assert (old.name, old.key_hash) == ("Ứng dụng phường", sha256(key))
    assert old_apps.get_model("feedback", "Report").objects.get(pk=report.pk).api_client_id == (
        old.pk
    )
    migrate([("feedback", "0005_drop_feedback_api_clients")])  # forwards again: nothing doubled
    assert ApiClient.objects.count() == 2
    assert Report.objects.get(pk=report.pk).api_client == api_client
