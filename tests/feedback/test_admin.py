"""The admin: categories and the routing matrix, each change through an action; Open311 keys
in the people admin."""

from __future__ import annotations

import pytest

from tests import factories
from tinhso.core.models import AuditRecord
from tinhso.feedback.models import Report, RoutingRule
from tinhso.people.clients import hash_key
from tinhso.people.models import ApiClient


@pytest.fixture
def admin_client(client, db):
    return factories.sign_in(client, factories.official("quantri", is_staff=True))


@pytest.mark.parametrize("page", ["category", "routingrule", "report"])
def test_the_lists_open(admin_client, submitted, page):
    assert admin_client.get(f"/quan-tri/feedback/{page}/").status_code == 200


def test_open311_clients_are_administered_in_the_people_admin(admin_client, roads):
    # feedback has no client admin of its own any more
    assert admin_client.get("/quan-tri/feedback/apiclient/").status_code == 404
    response = admin_client.post(
        "/quan-tri/people/apiclient/add/",
        {"name": "Ứng dụng phường", "scopes": ["open311.post"], "requests_per_minute": "30"},
        follow=True,
    )
    api_client = ApiClient.objects.get()
    [message] = [str(m) for m in response.context["messages"] if "Khóa API" in str(m)]
    key = message.rsplit(": ", 1)[1]
    assert api_client.key_hash == hash_key(key) and api_client.scopes == ["open311.post"]
    assert AuditRecord.objects.filter(action="people.api_client_issued").count() == 1
    posted = admin_client.post(
        "/open311/v2/requests.json",
        {
            "service_code": roads.code,
            "lat": "12.6678",
            "long": "108.0382",
            "description": "Ổ gà.",
            "attribute[muc-do]": "cao",
            "api_key": key,
        },
    )
    assert posted.status_code == 201
    assert Report.objects.get().api_client == api_client


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


def test_the_report_page_shows_no_reporter_details(admin_client, submitted):
    response = admin_client.get(f"/quan-tri/feedback/report/{submitted.pk}/change/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ổ gà lớn trước số 12 Lê Duẩn." in text
    for detail in ("Nguyễn Văn An", "an@example.com", "0912345678", submitted.token):
        assert detail not in text
    assert not AuditRecord.objects.filter(action="personal_data.read").exists()
