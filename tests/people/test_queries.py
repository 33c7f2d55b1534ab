"""Role checks, and access to a citizen's personal data: officials with a role only, audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tinhso.core.models import AuditRecord
from tinhso.people.models import Citizen, Role
from tinhso.people.queries import (
    CITIZEN_PERSONAL_FIELDS,
    AccessDenied,
    access_citizen,
    agencies_where,
    has_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_official(make_official, agencies):
    """Specialist at STP and SXD, head of unit at SXD, receiving officer at the centre."""
    return make_official(
        "chuyenvien",
        roles=(
            (Role.SPECIALIST, agencies["STP"]),
            (Role.SPECIALIST, agencies["SXD"]),
            (Role.HEAD_OF_UNIT, agencies["SXD"]),
            (Role.RECEIVING_OFFICER, agencies["TTPVHCC"]),
        ),
    )


def test_has_role_with_and_without_an_agency(busy_official, agencies):
    assert has_role(busy_official, Role.SPECIALIST)
    assert has_role(busy_official, Role.SPECIALIST, agencies["STP"])
    assert has_role(busy_official, Role.HEAD_OF_UNIT, agencies["SXD"])
    assert not has_role(busy_official, Role.HEAD_OF_UNIT, agencies["STP"])
    assert not has_role(busy_official, Role.LEADER)
    assert not has_role(busy_official, Role.SPECIALIST, agencies["UBND"])


def test_agencies_where_lists_each_agency_of_a_role_once(busy_official, agencies):
    assert list(agencies_where(busy_official, Role.SPECIALIST)) == [
        agencies["STP"],
        agencies["SXD"],
    ]
    assert list(agencies_where(busy_official, Role.HEAD_OF_UNIT)) == [agencies["SXD"]]
    assert list(agencies_where(busy_official, Role.RECEIVING_OFFICER)) == [agencies["TTPVHCC"]]
    assert list(agencies_where(busy_official, Role.CLERK)) == []


def test_roles_in_an_inactive_agency_do_not_count(busy_official, agencies):
    agencies["SXD"].is_active = False
    agencies["SXD"].save()
    assert list(agencies_where(busy_official, Role.SPECIALIST)) == [agencies["STP"]]
    assert not has_role(busy_official, Role.HEAD_OF_UNIT)


def test_a_deactivated_official_and_anonymous_visitors_hold_no_role(busy_official):
    anonymous = AnonymousUser()
    assert not has_role(anonymous, Role.SPECIALIST)
    assert list(agencies_where(anonymous, Role.SPECIALIST)) == []
    busy_official.is_active = False
    busy_official.save()
    assert not has_role(busy_official, Role.SPECIALIST)


def test_an_official_with_a_role_reads_a_citizen_and_the_read_is_audited(
    busy_official, make_citizen
):
    citizen = make_citizen().citizen
    before = AuditRecord.objects.count()
    loaded = access_citizen(busy_official, citizen.pk)
    assert loaded == citizen
    assert AuditRecord.objects.count() == before + 1
    record = AuditRecord.objects.order_by("-id").first()
    assert (record.action, record.actor, record.object_type, record.object_id) == (
        "personal_data.read",
        busy_official,
        "people.citizen",
        str(citizen.pk),
    )
    assert record.changes == {"fields": sorted(CITIZEN_PERSONAL_FIELDS)}


def test_the_audited_fields_are_those_the_caller_reads(busy_official, make_citizen):
    citizen = make_citizen().citizen
    access_citizen(busy_official, citizen.pk, fields=("full_name", "phone"))
    record = AuditRecord.objects.order_by("-id").first()
    assert record.changes == {"fields": ["full_name", "phone"]}


@pytest.mark.parametrize("who", ["citizen", "official_without_role", "anonymous"])
def test_access_is_refused_to_anyone_else_and_nothing_is_written(who, make_citizen, make_official):
    citizen = make_citizen().citizen
    other = make_citizen("079301012345", phone="0987654321", email="b@example.com")
    users = {
        "citizen": other,
        "official_without_role": make_official("moivao"),
        "anonymous": AnonymousUser(),
    }
    before = AuditRecord.objects.count()
    with pytest.raises(AccessDenied) as caught:
        access_citizen(users[who], citizen.pk)
    assert caught.value.message == "Bạn không có quyền xem thông tin này."
    assert AuditRecord.objects.count() == before


def test_a_missing_citizen_is_not_found_and_no_read_is_recorded(busy_official):
    before = AuditRecord.objects.count()
    with pytest.raises(Http404):
        access_citizen(busy_official, 987654)
    assert AuditRecord.objects.count() == before
    assert not Citizen.objects.filter(pk=987654).exists()
