"""Admin: units are read-only; agency changes go through the audited actions; no deletes."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from tinhso.core.models import AuditRecord
from tinhso.places.admin import AgencyForm
from tinhso.places.codes import CODE_MESSAGE
from tinhso.places.demo import load_demo
from tinhso.places.models import Agency, Commune, LegacyProvince, Province

pytestmark = pytest.mark.usefixtures("places")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create(
        username="admin", kind="official", is_staff=True, is_superuser=True
    )


@pytest.fixture
def request_(admin_user):
    request = RequestFactory().post("/quan-tri/places/agency/")
    request.user = admin_user
    request._messages = CookieStorage(request)
    return request


def agency_admin():
    return admin.site._registry[Agency]


def form_data(**overrides):
    data = {
        "code": "000.00.00.H66",
        "name": "Ủy ban nhân dân tỉnh Đắk Lắk",
        "short_name": "UBND",
        "level": "province",
        "parent": "",
        "province": str(Province.objects.get(code=66).pk),
        "commune": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("model", [Province, Commune, LegacyProvince])
def test_units_are_read_only(request_, model):
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request_)
    assert not model_admin.has_add_permission(request_)
    assert not model_admin.has_change_permission(request_)
    assert not model_admin.has_delete_permission(request_)


def test_agencies_cannot_be_deleted(request_):
    assert not agency_admin().has_delete_permission(request_)
    assert "delete_selected" not in agency_admin().get_actions(request_)
    assert set(agency_admin().get_actions(request_)) == {"deactivate", "reactivate"}


def test_adding_an_agency_goes_through_the_action(request_, admin_user):
    form = AgencyForm(data=form_data(code=" 000.00.00.h66"))
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    agency_admin().save_model(request_, obj, form, change=False)
    saved = Agency.objects.get()
    assert (obj.pk, obj._state.adding, saved.code) == (saved.pk, False, "000.00.00.H66")
    record = AuditRecord.objects.get()
    assert (record.action, record.actor, record.object_id) == (
        "agency.create",
        admin_user,
        str(saved.pk),
    )


def test_changing_an_agency_is_audited_with_the_old_values(request_, admin_user):
    load_demo()
    justice = Agency.objects.get(short_name="STP")
    form = AgencyForm(
        data=form_data(
            code="000.00.03.H66",
            name="Sở Tư pháp",
            short_name="STP",
            level="department",
            parent=str(justice.parent_id),
        ),
        instance=justice,
    )
    assert form.is_valid(), form.errors
    assert form.changed_data == ["name"]
    agency_admin().save_model(request_, form.save(commit=False), form, change=True)
    record = AuditRecord.objects.get(action="agency.update")
    assert (record.actor, record.changes) == (
        admin_user,
        {"name": ["Sở Tư pháp tỉnh Đắk Lắk", "Sở Tư pháp"]},
    )
    assert Agency.objects.get(pk=justice.pk).name == "Sở Tư pháp"


def test_the_form_shows_code_errors_in_vietnamese():
    form = AgencyForm(data=form_data(code="UBND-66"))
    assert not form.is_valid()
    assert form.errors["code"] == [CODE_MESSAGE]


def test_deactivating_a_unit_with_its_units_in_one_go(request_, admin_user):
    load_demo()
    local = Agency.objects.get(code="000.01.50.H66")
    selected = Agency.objects.filter(
        pk__in=[local.pk, *local.children.values_list("pk", flat=True)]
    )
    agency_admin().deactivate(request_, selected)
    assert list(Agency.objects.filter(code__in=["000.01.50.H66", "001.01.50.H66"]).values_list(
        "is_active", flat=True
    )) == [False, False]  # fmt: skip
    assert AuditRecord.objects.filter(action="agency.deactivate").count() == 2
    assert [str(m) for m in get_messages(request_)] == ["Đã ngừng hoạt động 2 cơ quan, đơn vị."]


def test_deactivation_refused_is_reported_and_changes_nothing(request_):
    load_demo()
    committee = Agency.objects.filter(code="000.00.00.H66")
    agency_admin().deactivate(request_, committee)
    assert Agency.objects.get(code="000.00.00.H66").is_active is True
    assert AuditRecord.objects.filter(action="agency.deactivate").count() == 0
    assert [str(m) for m in get_messages(request_)] == [
        "000.00.00.H66: Còn 116 đơn vị trực thuộc đang hoạt động: "
        "cần ngừng hoạt động các đơn vị đó trước."
    ]
