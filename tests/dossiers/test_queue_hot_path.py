"""The officer's queue (issue 12): a page is a fixed number of queries whatever its length,
loads only the columns the page shows, and every one of them is there (reading a row's
fields asks nothing more); keyset pages walk the queue in the order of `queue`."""

from __future__ import annotations

import pytest

from tinhso.dossiers import queries
from tinhso.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def read_row(d: Dossier) -> tuple[object, ...]:
    """What the queue page and its row actions read (views_office._row, _row.html,
    permissions.refusal for the quick action)."""
    step = d.current_step
    return (
        d.pk,
        d.code,
        d.state,
        d.due_at,
        d.submitted_at,
        d.applicant_name,
        d.is_on_behalf,
        d.filer_name,
        d.version.name,
        step and (step.name, step.role, step.position),
        d.assignee.display_name if d.assignee else None,
        d.agency_id,
        d.reception_agency_id,
        d.current_agency_id,
        d.assignee_id,
        d.route_id,
        d.get_state_display(),
    )


@pytest.fixture
def unit(office):
    """Five dossiers in the justice department's hands, one assigned."""
    dossiers = [office.received() for _ in range(5)]
    Dossier.objects.filter(pk=dossiers[2].pk).update(assignee=office.chuyenvien)
    return dossiers


def test_a_page_is_two_queries_and_reading_its_rows_asks_nothing(
    office, unit, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the official's agencies, the page
        page = queries.queue_page(office.chuyenvien, "don-vi", size=3)
    with django_assert_num_queries(0):
        rows = [read_row(d) for d in page.rows]

    assert len(rows) == 3 and page.after
    assert all("form_data" in d.get_deferred_fields() for d in page.rows)


def test_the_queue_query_set_is_two_queries_for_any_page_length(
    office, unit, django_assert_num_queries
):
    with django_assert_num_queries(2):
        rows = list(
            queries.queue(office.chuyenvien, "don-vi").select_related(
                "version", "current_step", "current_agency", "assignee"
            )[:50]
        )
    with django_assert_num_queries(0):
        [read_row(d) for d in rows]

    assert [d.pk for d in rows] == sorted(
        (d.pk for d in unit), key=lambda pk: (Dossier.objects.get(pk=pk).due_at, pk)
    )


def test_keyset_pages_walk_the_queue_in_its_order_with_undated_rows_last(
    office, unit, django_assert_max_num_queries
):
    Dossier.objects.filter(pk=unit[0].pk).update(due_at=None)
    expected = [d.pk for d in unit[1:]] + [unit[0].pk]
    assert [d.pk for d in queries.queue(office.chuyenvien, "don-vi")] == expected

    seen, after, pages = [], "", 0
    while True:
        with django_assert_max_num_queries(3):  # + the undated rows, where the dated run out
            page = queries.queue_page(office.chuyenvien, "don-vi", after=after, size=2)
        seen += [d.pk for d in page.rows]
        pages += 1
        if page.after is None:
            break
        after = page.after

    assert seen == expected
    assert pages == 3


def test_an_official_of_several_agencies_gets_one_merged_page(
    office, unit, django_assert_max_num_queries
):
    from tinhso.people import actions as people

    building = office.agencies["SXD"]
    people.grant_role(office.chuyenvien, building, "specialist", actor=None)
    Dossier.objects.filter(pk__in=[unit[1].pk, unit[3].pk]).update(current_agency=building)
    expected = [d.pk for d in queries.queue(office.chuyenvien, "don-vi")]
    assert len(expected) == 5

    with django_assert_max_num_queries(3):  # agencies, the merged ids (PostgreSQL), the rows
        first = queries.queue_page(office.chuyenvien, "don-vi", size=3)
    with django_assert_max_num_queries(4):  # the last page: + the undated rows
        rest = queries.queue_page(office.chuyenvien, "don-vi", after=first.after or "", size=3)
    with django_assert_max_num_queries(0):
        [read_row(d) for d in first.rows + rest.rows]

    assert [d.pk for d in first.rows + rest.rows] == expected
    assert rest.after is None


@pytest.mark.parametrize("token", ["", "nonsense", "~", "2026-13-01~5", "x~12a", "~²"])
def test_a_token_not_ours_starts_at_the_first_page(office, unit, token):
    first = queries.queue_page(office.chuyenvien, "don-vi", size=2)

    assert [
        d.pk for d in queries.queue_page(office.chuyenvien, "don-vi", after=token, size=2).rows
    ] == [d.pk for d in first.rows]


def test_on_postgresql_a_queue_page_is_a_prepared_statement(office, unit):
    """Planned once per connection (issue 12): PostgreSQL planned the page's join for longer
    than it ran it. The queue's other pages and the rest of the connection are unchanged."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    offset_rows = list(queries.queue(office.chuyenvien, "don-vi")[:3])
    keyset = queries.queue_page(office.chuyenvien, "don-vi", size=3)

    assert [d.pk for d in offset_rows] == [d.pk for d in keyset.rows]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "dossiers_dossier"%'],
        )
        assert cursor.fetchone()[0] >= 2  # the offset page and the keyset page
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%people_roleassignment%"],
        )
        assert cursor.fetchone()[0] == 0  # the official's agencies: an ordinary statement
