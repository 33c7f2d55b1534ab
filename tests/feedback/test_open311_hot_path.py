"""Open311 `GET requests.json` (issue 12): one query for a range whatever the number of
rows (the reports with their first photos), written as JSON from the rows as the database
returns them, the same text as the records' json.dumps; and keyset pages (`page_size`,
`after`, a Link to the next page) that cost what the first page does."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tinhso.feedback import actions, open311, open311_views, queries
from tinhso.feedback.models import Photo, Report

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


def test_a_range_is_one_query(client, week_of_reports, django_assert_num_queries):
    start, end = MONDAY - timedelta(days=1), MONDAY + timedelta(days=6)

    with django_assert_num_queries(1):
        rows = queries.open311_requests(queries.RequestRange(start=start, end=end))

    assert [r["pk"] for r in rows] == newest_first(week_of_reports)
    assert all(r["photo"] is None for r in rows)


def test_the_http_answer_is_one_query_for_any_number_of_rows(
    client, week_of_reports, django_assert_num_queries
):
    with django_assert_num_queries(1):
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
        with django_assert_num_queries(1):  # a later page costs what the first does
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


def test_the_json_is_the_records_json_dumps_would_write(client, week_of_reports):
    """The direct writer against the record builder (still the XML's and the by-id answer's):
    open and closed states, notes, no place, no coordinates, photos and evidence."""
    first, second, third, fourth = (r.pk for r in week_of_reports[:4])
    Report.objects.filter(pk=first).update(
        state=Report.State.RESOLVED, answer='Đã vá "ổ gà"\nngày 24/11.'
    )
    Report.objects.filter(pk=second).update(
        state=Report.State.IN_PROGRESS, public_note="Đang xử lý", address="", lat=None, long=None
    )
    Report.objects.filter(pk=third).update(address="", commune=None)
    Report.objects.filter(pk=fourth).update(lat=Decimal("-0.000001"), long=Decimal("108"))
    photos = [
        Photo.objects.create(report_id=fourth, image="feedback/photos/a.jpg", is_evidence=True),
        Photo.objects.create(report_id=fourth, image="feedback/photos/b.jpg"),
        Photo.objects.create(report_id=fourth, image="feedback/photos/c.jpg"),
    ]
    start, end = MONDAY - timedelta(days=1), MONDAY + timedelta(days=6)

    response = client.get(URL, {**WEEK})

    assert response.status_code == 200
    assert response["Content-Type"] == open311.FORMATS["json"]
    base = "http://testserver"
    records = [
        open311_views._request_record(row, base)
        for row in queries.open311_requests(queries.RequestRange(start=start, end=end))
    ]
    assert response.content.decode() == open311.Document("r", "r", records).json()
    body = {r["service_request_id"]: r for r in json.loads(response.content)}
    assert body[str(first)]["status"] == "closed"
    assert body[str(first)]["expected_datetime"] is None
    assert body[str(second)]["lat"] is None
    assert body[str(second)]["address"].endswith("Buôn Ma Thuột")
    assert body[str(third)]["address"] == "" and body[str(third)]["address_id"] == ""
    assert body[str(fourth)]["lat"] == -0.000001
    assert body[str(fourth)]["media_url"].endswith(f"/{photos[1].pk}/")  # the first citizen's
    assert body[str(fourth)]["requested_datetime"].endswith("+07:00")


def test_the_xml_and_a_service_code_still_answer(client, week_of_reports, roads):
    xml = client.get("/open311/v2/requests.xml", WEEK)
    by_code = client.get(URL, {**WEEK, "service_code": roads.code})
    other = client.get(URL, {**WEEK, "service_code": "khong-co"})

    assert xml.status_code == 200 and xml.content.count(b"<request>") == len(week_of_reports)
    assert len(ids(by_code)) == len(week_of_reports)
    assert ids(other) == []


def test_a_deep_page_starts_the_index_scan_at_its_cursor(week_of_reports):
    # The cursor's `(received_at, id) <` comparison as an OR is only a filter: at 10 M reports
    # a page in the middle of a week read and dropped every newer row of that week (181 ms at
    # 10 M, 17 ms at 1 M). The plain `received_at <= cursor's` bound is an index condition.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    order = newest_first(week_of_reports)
    span = queries.RequestRange(
        start=MONDAY - timedelta(days=1), end=MONDAY + timedelta(days=6), after=order[2], limit=2
    )
    with connection.cursor() as cursor:  # a tiny table: make the planner show the index path
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = queries._open311_query(span).explain()

    bounds = [
        line for line in plan.splitlines() if "Index Cond" in line and "received_at <=" in line
    ]
    assert any("$" in line or "SubPlan" in line or "InitPlan" in line for line in bounds), plan
