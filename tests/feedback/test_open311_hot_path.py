"""Open311 `GET requests.json` (issue 12): two queries for a range whatever the number of
rows (the reports, their first photos), and keyset pages (`page_size`, `after`, a Link to
the next page) that cost what the first page does."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tinhso.feedback import actions, queries

VN = ZoneInfo("Asia/Ho_Chi_Minh")
URL = "/open311/v2/requests.json"
WEEK = {"start_date": "2026-11-23T00:00:00+07:00", "end_date": "2026-11-30T00:00:00+07:00"}
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=VN)


@pytest.fixture
def week_of_reports(new_report):
    """Seven reports, two of them received at the same moment (the order falls to the id)."""
    moments = [MONDAY + timedelta(hours=5 * n) for n in range(6)] + [MONDAY + timedelta(hours=5)]
    return [actions.submit_report(new_report(), now=at) for at in moments]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(r["service_request_id"]) for r in json.loads(response.content)]


def newest_first(reports) -> list[int]:
    return [r.pk for r in sorted(reports, key=lambda r: (r.received_at, r.pk), reverse=True)]


def test_a_range_is_two_queries(client, week_of_reports, django_assert_num_queries):
    start, end = MONDAY - timedelta(days=1), MONDAY + timedelta(days=6)

    with django_assert_num_queries(2):
        rows = queries.open311_requests(start=start, end=end)

    assert [r["pk"] for r in rows] == newest_first(week_of_reports)
    assert all(r["photo"] is None for r in rows)


def test_the_http_answer_is_two_queries_for_any_number_of_rows(
    client, week_of_reports, django_assert_num_queries
):
    with django_assert_num_queries(2):
        response = client.get(URL, WEEK)

    assert ids(response) == newest_first(week_of_reports)
    assert "Link" not in response  # everything fitted in one page


def test_keyset_pages_walk_the_range_without_gaps_or_repeats(
    client, week_of_reports, django_assert_num_queries
):
    seen: list[int] = []
    response = client.get(URL, {**WEEK, "page_size": 3})
    pages = 0
    while True:
        seen += ids(response)
        pages += 1
        if "Link" not in response:
            break
        link = response["Link"]
        assert link.endswith('>; rel="next"')
        with django_assert_num_queries(2):  # a later page costs what the first does
            response = client.get(link[1 : link.index(">")])

    assert seen == newest_first(week_of_reports)
    assert pages == 3  # 3 + 3 + 1


def test_after_continues_from_that_report(client, week_of_reports):
    order = newest_first(week_of_reports)

    assert ids(client.get(URL, {**WEEK, "after": order[2], "page_size": 2})) == order[3:5]


@pytest.mark.parametrize(
    "params", [{"page_size": "0"}, {"page_size": "1001"}, {"page_size": "x"}, {"after": "abc"}]
)
def test_bad_page_parameters_are_the_specifications_400(client, week_of_reports, params):
    response = client.get(URL, {**WEEK, **params})

    assert response.status_code == 400
    [error] = json.loads(response.content)
    assert error["code"] == 400
