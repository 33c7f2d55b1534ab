"""The catalogue search's cached ranking (issue 12): a repeated search is the generation read
and the page's rows; every write that changes what a search answers changes the generation in
its own transaction, so the next search answers from the new catalogue at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from tests import factories
from tests.catalogue.test_importer import record
from tinhso.catalogue import actions, generation
from tinhso.catalogue.importer import import_paths
from tinhso.catalogue.models import Generation, Procedure
from tinhso.catalogue.queries import search

pytestmark = pytest.mark.django_db


def names(page) -> list[str]:
    return [p.name for p in page.items]


@pytest.mark.parametrize("q", ["dang ky khai sinh", "DANG KY KHAI SINH", "dang ki khai sihn"])
def test_a_repeated_search_is_the_generation_and_the_page(
    civil_status, django_assert_num_queries, q
):
    cold = search(q)  # four queries, more for a typo (test_search_hot_path.py)
    with django_assert_num_queries(2):  # the generation, the page's rows
        warm = search(q)

    assert names(warm) == names(cold)
    assert names(warm)[0] == "Thủ tục đăng ký khai sinh"
    assert (warm.count, warm.corrected, warm.exact) == (cold.count, cold.corrected, cold.exact)


def test_the_same_words_share_an_entry_and_other_filters_do_not(
    civil_status, django_assert_num_queries
):
    search("dang ky khai sinh")
    with django_assert_num_queries(2):
        assert names(search("  ĐĂNG KÝ   khai SINH "))[0] == "Thủ tục đăng ký khai sinh"
    with django_assert_num_queries(4):
        other_field = search("dang ky khai sinh", field="G01-CA05")
    assert other_field.items == [] and other_field.count == 0
    with django_assert_num_queries(4):
        second_page = search("dang ky khai sinh", limit=1, offset=1)
    assert names(second_page) == names(search("dang ky khai sinh"))[1:2]


def test_publishing_changes_the_next_search(publish, civil_status):
    before = search("dang ky khai sinh")
    assert before.count == 3

    publish("9.000001", "Đăng ký khai sinh")

    after = search("dang ky khai sinh")
    assert after.count == 4
    assert names(after)[0] == "Đăng ký khai sinh"


def test_a_new_version_renames_at_once(civil_status):
    search("khai tu")
    factories.procedure("1.000656", "Thủ tục đăng ký khai tử và cấp trích lục")

    shown = names(search("khai tu"))
    assert shown[0] == "Thủ tục đăng ký khai tử và cấp trích lục"
    assert "Thủ tục đăng ký khai tử" not in shown


def test_withdrawing_and_offering_again_change_the_next_search(civil_status):
    birth = civil_status["birth"]
    assert birth.pk in {p.pk for p in search("dang ky khai sinh").items}

    actions.set_active(birth, False, actor=None)
    gone = search("dang ky khai sinh")
    assert birth.pk not in {p.pk for p in gone.items} and gone.count == 2

    actions.set_active(birth, True, actor=None)
    back = search("dang ky khai sinh")
    assert names(back)[0] == "Thủ tục đăng ký khai sinh" and back.count == 3


def test_the_competent_agency_changes_the_next_filtered_search(civil_status):
    agency = factories.committee(factories.province())
    assert search("khai sinh", agency=agency.code).count == 0

    actions.set_agency(civil_status["birth_again"], agency, actor=None)

    assert names(search("khai sinh", agency=agency.code)) == ["Thủ tục đăng ký lại khai sinh"]


def test_popularity_changes_the_next_listing(civil_status):
    first = search("").items[0]
    assert first.pk == civil_status["birth_copy"].pk  # popularity 50, the others 0

    actions.set_popularity({civil_status["death"].pk: 500}, actor=None)

    assert search("").items[0].pk == civil_status["death"].pk


def test_an_import_changes_the_next_search(civil_status, tmp_path: Path):
    assert search("xac nhan tinh trang hon nhan").count == 1
    imported = record(
        id="019d2bfd-0000-0000-0000-000000000009",
        code="1.999999",
        name="Thủ tục cấp Giấy xác nhận tình trạng hôn nhân lưu động",
    )
    (tmp_path / "a.json").write_text(json.dumps(imported, ensure_ascii=False), encoding="utf-8")

    report = import_paths([tmp_path], actor=None)

    assert report.created == ["1.999999"]
    after = search("xac nhan tinh trang hon nhan")
    assert after.count == 2
    assert "Cấp Giấy xác nhận tình trạng hôn nhân lưu động" in names(after)  # "Thủ tục" dropped


def test_a_rolled_back_write_leaves_the_generation_as_it_was(civil_status):
    token = generation.current()

    with pytest.raises(RuntimeError), transaction.atomic():
        actions.set_active(civil_status["birth"], False, actor=None)
        assert generation.current() != token
        raise RuntimeError("refused")

    assert generation.current() == token
    assert Procedure.objects.get(pk=civil_status["birth"].pk).is_active


def test_the_page_is_read_fresh_even_from_a_cached_ranking(civil_status):
    """A row withdrawn behind the actions' back (no bump) still leaves the page: the rows are
    filtered again by published and active, and a missing id sends the search to rank again."""
    assert search("dang ky khai sinh").count == 3
    Procedure.objects.filter(pk=civil_status["birth"].pk).update(is_active=False)

    page = search("dang ky khai sinh")

    assert "Thủ tục đăng ký khai sinh" not in names(page)
    assert page.count == 2 == len(page.items)


def test_without_the_generation_row_nothing_is_cached(civil_status, django_assert_num_queries):
    Generation.objects.all().delete()
    search("dang ky khai sinh")
    with django_assert_num_queries(4):  # no token, no cache: the full search again
        assert names(search("dang ky khai sinh"))[0] == "Thủ tục đăng ký khai sinh"

    factories.procedure("9.000002", "Đăng ký khai sinh")  # the next write puts the row back

    assert generation.current() is not None
    assert names(search("dang ky khai sinh"))[0] == "Đăng ký khai sinh"
