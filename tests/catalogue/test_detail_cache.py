"""GET /api/v1/procedures/{code} stored (issue 12): a repeated request is one query, the stored
answer joined to the generation, shared by every web worker; every write that changes the
answer changes the generation in its own transaction, so the next request answers from the
new catalogue at once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import set_script_prefix

from tests import factories
from tinhso.catalogue import actions
from tinhso.catalogue.models import Generation, ProcedureVersion, StoredDetail
from tinhso.places.actions import update_agency

pytestmark = pytest.mark.django_db

BIRTH = "/api/v1/procedures/1.001193"


def test_a_repeated_detail_is_the_generation_read_and_the_same_bytes(
    client, civil_status, django_assert_num_queries
):
    # the stored answer with the generation (none yet), the version, its components, the store
    with django_assert_num_queries(4):
        cold = client.get(BIRTH)
    with django_assert_num_queries(1):  # the stored answer with the generation
        warm = client.get(BIRTH)

    assert (cold.status_code, warm.status_code) == (200, 200)
    assert warm.content == cold.content
    assert warm["Content-Type"] == cold["Content-Type"] == "application/json; charset=utf-8"
    assert warm.json()["name"] == "Thủ tục đăng ký khai sinh"


def test_the_answer_does_not_depend_on_who_asks(civil_status, django_user_model):
    anonymous = Client().get(BIRTH)
    signed_in = Client()
    signed_in.force_login(django_user_model.objects.create_user("a", password="x"))

    assert signed_in.get(BIRTH).content == anonymous.content


def test_each_language_has_its_own_entry(client, civil_status, django_assert_num_queries):
    vi = client.get(BIRTH).json()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_assert_num_queries(4):  # not the Vietnamese entry: rendered and stored
        en = client.get(BIRTH).json()
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]

    assert vi["online_type_label"] == "dịch vụ công trực tuyến một phần"
    assert en["online_type_label"] != vi["online_type_label"]
    assert client.get(BIRTH).json() == vi


def test_a_new_version_changes_the_next_answer(client, civil_status):
    assert client.get(BIRTH).json()["version"] == 1

    factories.procedure("1.001193", "Thủ tục đăng ký khai sinh", processing_days=3)

    body = client.get(BIRTH).json()
    assert (body["version"], body["processing_days"]) == (2, "3.0")


def test_publishing_a_draft_changes_the_next_answer(client, civil_status):
    client.get(BIRTH)
    draft = actions.create_draft(civil_status["birth"], actor=None)
    actions.update_draft(draft, actor=None, changes={"result_name": "Trích lục khai sinh"})
    assert client.get(BIRTH).json()["version"] == 1  # a draft is not the public answer

    actions.publish_version(draft, actor=None)

    body = client.get(BIRTH).json()
    assert (body["version"], body["result_name"]) == (2, "Trích lục khai sinh")
    assert ProcedureVersion.objects.get(pk=draft.pk).state == ProcedureVersion.State.PUBLISHED


def test_withdrawing_and_offering_again_change_the_next_answer(client, civil_status):
    assert client.get(BIRTH).status_code == 200

    actions.set_active(civil_status["birth"], False, actor=None)
    assert client.get(BIRTH).status_code == 404

    actions.set_active(civil_status["birth"], True, actor=None)
    assert client.get(BIRTH).status_code == 200


def test_the_agency_and_its_name_change_the_next_answer(client, civil_status):
    assert client.get(BIRTH).json()["agency"] is None
    agency = factories.committee(factories.province())

    actions.set_agency(civil_status["birth"], agency, actor=None)
    assert client.get(BIRTH).json()["agency"]["name"] == agency.name

    update_agency(agency, actor=None, name="Ủy ban nhân dân xã Hòa Thắng")
    assert client.get(BIRTH).json()["agency"]["name"] == "Ủy ban nhân dân xã Hòa Thắng"


def test_a_renamed_field_changes_the_next_answer(client, civil_status):
    assert client.get(BIRTH).json()["field"]["name"] == "Hộ tịch"

    actions.ensure_field("G15-TP07", "Hộ tịch và chứng thực")

    assert client.get(BIRTH).json()["field"]["name"] == "Hộ tịch và chứng thực"


def test_without_the_generation_row_nothing_is_cached(
    client, civil_status, django_assert_num_queries
):
    Generation.objects.all().delete()
    client.get(BIRTH)
    with django_assert_num_queries(3):
        assert client.get(BIRTH).status_code == 200


def test_the_stored_answer_is_what_is_served_while_its_generation_is_current(
    client, civil_status, django_assert_num_queries
):
    cold = client.get(BIRTH)
    stored = StoredDetail.objects.get(code="1.001193", language="vi")
    assert bytes(stored.content) == cold.content
    assert stored.token == Generation.objects.get().token

    # what another worker would read: the row, not a copy of this process's
    StoredDetail.objects.filter(pk=stored.pk).update(content=b'{"from": "the store"}')
    with django_assert_num_queries(1):
        assert client.get(BIRTH).json() == {"from": "the store"}

    actions.ensure_field("G15-TP07", "Hộ tịch và chứng thực")  # a new generation

    fresh = client.get(BIRTH).json()
    assert fresh["field"]["name"] == "Hộ tịch và chứng thực"
    assert StoredDetail.objects.filter(code="1.001193", language="vi").count() == 1  # replaced


def test_an_unknown_procedure_is_not_stored(client, civil_status):
    assert client.get("/api/v1/procedures/9.999999").status_code == 404
    assert not StoredDetail.objects.filter(code="9.999999").exists()


def test_without_the_generation_row_nothing_is_stored(client, civil_status):
    Generation.objects.all().delete()
    assert client.get(BIRTH).status_code == 200
    assert not StoredDetail.objects.exists()


def test_a_script_prefix_is_part_of_the_key_and_an_overlong_one_is_not_stored(client, civil_status):
    # the WSGI handler sets the prefix from SCRIPT_NAME; the test client does not
    long_prefix = "/" + "x" * 120 + "/"
    try:
        set_script_prefix("/cong/")
        mounted = client.get(BIRTH)
        set_script_prefix(long_prefix)
        overlong = client.get(BIRTH)
    finally:
        set_script_prefix("/")

    assert mounted.json()["url"] == "/cong/thu-tuc/1.001193/"
    assert overlong.status_code == 200 and overlong.json()["url"].startswith(long_prefix)
    assert sorted(StoredDetail.objects.values_list("prefix", flat=True)) == ["/cong/"]
    assert client.get(BIRTH).json()["url"] == "/thu-tuc/1.001193/"
