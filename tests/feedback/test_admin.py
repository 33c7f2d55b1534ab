"""The admin: categories, the routing matrix and Open311 keys, each change through an action."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core.models import AuditRecord
from tinhso.feedback.actions import hash_key
from tinhso.feedback.models import ApiClient, RoutingRule
from tinhso.people import actions as people_actions


@pytest.fixture
def admin_client(client, db):
    user = people_actions.create_official(
        username="quantri",
        full_name="Quản trị",
        email="qt@example.com",
        password="mat-khau-rat-dai-2025",
        actor=None,
        is_staff=True,
        is_superuser=True,
    )
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.mark.parametrize("page", ["category", "routingrule", "apiclient", "report"])
def test_the_lists_open(admin_client, submitted, page):
    assert admin_client.get(f"/quan-tri/feedback/{page}/").status_code == 200


def test_adding_a_client_shows_its_key_once_and_stores_the_hash(admin_client):
    response = admin_client.post(
        "/quan-tri/feedback/apiclient/add/",
        {"name": "Ứng dụng phường", "requests_per_minute": "30"},
        follow=True,
    )
    client = ApiClient.objects.get()
    [message] = [str(m) for m in response.context["messages"] if "api_key" in str(m)]
    key = message.rsplit(": ", 1)[1]
    assert client.key_hash == hash_key(key) and client.requests_per_minute == 30
    assert AuditRecord.objects.filter(action="feedback.api_key.issue").count() == 1


def test_revoking_from_the_list(admin_client, db):
    from tinhso.feedback import actions

    client, _ = actions.issue_api_key("Cũ", actor=None)
    admin_client.post(
        "/quan-tri/feedback/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
    )
    client.refresh_from_db()
    assert not client.is_active


def test_a_routing_rule_saved_in_the_admin_is_audited(admin_client, roads, communes, agencies):
    response = admin_client.post(
        "/quan-tri/feedback/routingrule/add/",
        {
            "category": roads.pk,
            "commune": communes["tan-lap"].pk,
            "agency": agencies["UBND"].pk,
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(commune=communes["tan-lap"])
    assert rule.agency == agencies["UBND"]
    assert AuditRecord.objects.filter(action="feedback.route.set").count() == 3


def test_changing_a_client_in_the_admin_is_audited(admin_client, db):
    from tinhso.feedback import actions

    client, _ = actions.issue_api_key("Cũ", actor=None)
    response = admin_client.post(
        f"/quan-tri/feedback/apiclient/{client.pk}/change/",
        {"name": "Ứng dụng mới", "requests_per_minute": "15"},
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.requests_per_minute) == ("Ứng dụng mới", 15)
    record = AuditRecord.objects.get(action="feedback.api_key.update")
    assert record.changes == {
        "name": ["Cũ", "Ứng dụng mới"],
        "requests_per_minute": [60, 15],
    }
    assert record.actor.username == "quantri"


def test_the_report_page_shows_no_reporter_details(admin_client, submitted):
    response = admin_client.get(f"/quan-tri/feedback/report/{submitted.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ổ gà lớn trước số 12 Lê Duẩn." in text
    for detail in ("Nguyễn Văn An", "an@example.com", "0912345678", submitted.token):
        assert detail not in text
    assert not AuditRecord.objects.filter(action="personal_data.read").exists()
