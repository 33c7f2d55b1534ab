"""Processing routes in the admin: shares add up, saves are audited, a route in use is frozen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tinhso.core.models import AuditRecord
from tinhso.dossiers.models import RouteStep
from tinhso.people import actions as people_actions

from .test_office_views import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = people_actions.create_official(
        username="quantri.route",
        full_name="Quản Trị",
        email="qt@example.com",
        password="mat-khau-dai-2026",
        actor=None,
        is_staff=True,
        is_superuser=True,
    )
    return sign_in(client, admin)


def form_for(route, shares: list[str]) -> dict[str, str]:
    steps = list(route.steps.order_by("position"))
    data = {
        "procedure": str(route.procedure_id),
        "number": str(route.number),
        "is_active": "on",
        "note": "",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, (step, share) in enumerate(zip(steps, shares, strict=True)):
        data.update(
            {
                f"steps-{i}-id": str(step.pk),
                f"steps-{i}-route": str(route.pk),
                f"steps-{i}-position": str(step.position),
                f"steps-{i}-name": step.name,
                f"steps-{i}-agency": str(step.agency_id or ""),
                f"steps-{i}-role": step.role,
                f"steps-{i}-share_percent": share,
            }
        )
    return data


def shares(route) -> list[str]:
    return [
        str(s) for s in route.steps.order_by("position").values_list("share_percent", flat=True)
    ]


def test_shares_must_add_up_to_a_hundred_and_nothing_changes_otherwise(admin_client, office):
    route = office.route
    url = reverse("admin:dossiers_processingroute_change", args=[route.pk])
    before = shares(route)
    response = admin_client.post(url, form_for(route, ["60", "30"]))
    assert response.status_code == 200
    assert "Tổng tỉ lệ thời gian của các bước phải bằng 100% (hiện là 90%)." in (
        response.content.decode()
    )
    assert shares(route) == before
    assert not AuditRecord.objects.filter(action="dossiers.route.saved").exists()


def test_a_route_not_yet_used_is_edited_and_the_change_audited(admin_client, office):
    route = office.route
    url = reverse("admin:dossiers_processingroute_change", args=[route.pk])
    assert [s.split(".")[0] for s in shares(route)] == ["70", "30"]
    response = admin_client.post(url, form_for(route, ["80", "20"]))
    assert response.status_code == 302
    assert [s.split(".")[0] for s in shares(route)] == ["80", "20"]
    record = AuditRecord.objects.get(action="dossiers.route.saved")
    before, after = record.changes["steps"]
    assert [step[4] for step in before] == ["70.00", "30.00"]
    assert [step[4] for step in after] == ["80.00", "20.00"]


def test_a_route_a_dossier_started_on_is_frozen(admin_client, office):
    office.received()
    route = office.route
    before = shares(route)
    url = reverse("admin:dossiers_processingroute_change", args=[route.pk])
    admin_client.post(url, form_for(route, ["10", "90"]))
    assert shares(route) == before
    assert RouteStep.objects.filter(route=route).count() == len(before)
