"""Catalogue search's round trips (issue 12): the hits are ranked in the database and only the
page's procedures are loaded, as tuples of what a list prints (no e-forms or long texts).
Four queries whatever the number of matches: the catalogue's generation, the vocabulary, the
ranking, the page; a repeated search is two (the generation, the page:
`test_search_cache.py`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.catalogue.models import Procedure
from tinhso.catalogue.queries import ListedProcedure, search

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("q", ["dang ky khai sinh", "DANG KY KHAI SINH", "dang ki khai sihn"])
def test_birth_registration_first_however_it_is_typed(civil_status, q):
    assert search(q).items[0].name == "Thủ tục đăng ký khai sinh"


def test_a_new_query_is_four_queries(civil_status, django_assert_num_queries):
    with django_assert_num_queries(4):  # generation, vocabulary, ranking (with the total), page
        page = search("dang ky khai sinh")
        names = [p.name for p in page.items]

    assert names[0] == "Thủ tục đăng ký khai sinh"
    assert page.count == len(names) and page.exact


def test_many_matches_cost_no_more_queries_than_one(
    publish, civil_status, django_assert_num_queries
):
    for n in range(30):
        publish(f"9.{n:06d}", f"Cấp giấy phép thử nghiệm số {n}")

    with django_assert_num_queries(4):
        page = search("cap giay phep", limit=5)

    assert page.count == 30 and len(page.items) == 5
    second = search("cap giay phep", limit=5, offset=5)
    assert not {p.pk for p in page.items} & {p.pk for p in second.items}
    beyond = search("cap giay phep", limit=5, offset=100)
    assert beyond.items == [] and beyond.count == 30


def test_the_page_leaves_the_e_form_and_long_texts_in_the_database(
    civil_status, django_assert_num_queries
):
    search("khai sinh")
    with CaptureQueriesContext(connection) as ctx:  # warm: the generation, the page
        page = search("khai sinh")

    page_sql = ctx.captured_queries[-1]["sql"]
    assert len(ctx.captured_queries) == 2 and "catalogue_procedureversion" in page_sql
    for column in ("eform_schema", "eform_layout", "legal_basis", "conditions", "steps"):
        assert column not in page_sql
    # the rows are tuples of what a list prints, not model instances
    assert all(isinstance(p, ListedProcedure) for p in page.items)
    with django_assert_num_queries(0):  # what a result list shows is loaded
        shown = [
            (
                p.name,
                p.field.name,
                p.current_version.online_type,
                p.current_version.processing_label,
                p.current_version.channels,
                p.current_version.total_fee,
            )
            for p in page.items
        ]
    assert len(shown) == 4
    first = page.items[0]
    version = Procedure.objects.get(pk=first.pk).current_version
    assert version is not None
    assert first.current_version.processing_label == version.processing_label
    assert first.current_version.total_fee == version.total_fee
    assert first.current_version.get_online_type_display() == version.get_online_type_display()


def test_the_level_filter_is_applied_in_the_ranking(civil_status, django_assert_num_queries):
    everywhere = search("khai sinh")
    levels = {p.code: p.levels for p in everywhere.items}
    level = next(iter(levels.values()))[0]

    with django_assert_num_queries(4):
        page = search("khai sinh", level=level)

    assert [p.code for p in page.items] == [
        code for code, these in levels.items() if level in these
    ]
    assert page.count == len(page.items)


@pytest.mark.parametrize(
    "q", ["khai sinh", "dang ky", "dang ky khai", "giay xac nhan", "ket ho", "thu tuc dang ky"]
)
def test_the_database_ranks_as_name_score_does(publish, civil_status, q):
    """The SQL score against the Python reference (`name_score`, popularity, index rank),
    on names that share words."""
    from tinhso.catalogue.models import Procedure
    from tinhso.catalogue.search import correct, full_text_matches, name_score, plain_words

    publish("9.000001", "Đăng ký khai sinh lưu động", popularity=9000)
    words, prefix = correct(plain_words(q))
    hits, _exact = full_text_matches(words, prefix)
    rank_of = dict(hits)
    top = max((abs(r) for r in rank_of.values()), default=1.0) or 1.0
    rows = Procedure.objects.filter(pk__in=rank_of).values("pk", "name_key", "popularity")
    expected = sorted(
        rows,
        key=lambda r: (
            -(
                name_score(r["name_key"], words, prefix)
                + min(r["popularity"], 10_000) / 10_000
                + 0.5 * rank_of[r["pk"]] / top
            ),
            r["pk"],
        ),
    )

    assert [p.pk for p in search(q).items] == [r["pk"] for r in expected]


def test_on_postgresql_the_ranking_is_a_prepared_statement(civil_status):
    """Parsed and planned once per connection and shape of query (issue 12)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for q in ("dang ky khai sinh", "dang ky khai tu", "DANG KY KHAI SINH"):
        assert search(q).items

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%WITH hits AS%"],
        )
        assert cursor.fetchone()[0] == 1  # three words, no filter: one statement
