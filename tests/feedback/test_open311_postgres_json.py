"""Open311 `GET requests.json` written by PostgreSQL (issue 12): the statement that reads a
range also writes its JSON, and the text must be, byte for byte, what json.dumps of the
records writes (and what the Python writer, SQLite's path, writes from the rows). The data is
the hard part: quotes, backslashes, every control character, Vietnamese text, characters
beyond the BMP, the line separators, NULL places and coordinates, coordinates that are whole,
tiny or negative, photos and evidence, a second's last microsecond, and moments from before
Vietnam's offset was +07:00 (+08:00 in 1970, +07:06:30 in 1900). Also: the range's compiled
SQL (tinhso.core.compiled_reads) refuses a marker a lookup transformed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from tests import factories
from tinhso.core import compiled_reads
from tinhso.core.compiled_reads import MarkerNotBound
from tinhso.feedback import actions, open311, open311_views, queries, rules
from tinhso.feedback.models import Category, Photo, Report
from tinhso.places.models import Agency

from .test_open311_hot_path import MONDAY, URL, VN, WEEK

BASE = "http://testserver"
# PostgreSQL's text holds no NUL; every other control character, and DEL
CONTROLS = "".join(chr(c) for c in range(1, 32)) + "\x7f"
QUOTED = 'Đã vá "ổ gà" \\ ngày 24/11.\nXong.\r\n\t— Phường Buôn Ma Thuột'
WIDE = "😀𝔘 \u2028\u2029 </script><!-- ệ ỹ Ữ"
WEEK_SPAN = queries.RequestRange(
    start=datetime(2026, 11, 23, tzinfo=VN), end=datetime(2026, 11, 30, tzinfo=VN)
)
ALL_TIME = queries.RequestRange(start=datetime(1899, 1, 1, tzinfo=UTC), end=MONDAY + timedelta(30))


@pytest.fixture
def varied(new_report, province, communes, roads, lights, agencies):
    """Reports over the week covering each way a field is written, two from long ago, and
    two that are not published (rejected; not consenting)."""
    zone = factories.commune(province, 24999, "Côn Đảo", "đặc khu")
    Category.objects.filter(pk=lights.pk).update(name='Đèn "chiếu sáng" \\ công cộng')
    Agency.objects.filter(pk=agencies["SXD"].pk).update(name=f"Sở Xây dựng {WIDE}")
    reports = [
        actions.submit_report(new_report(**extra), now=MONDAY + timedelta(hours=3 * n))
        for n, extra in enumerate(
            [{}, {}, {}, {"category": lights, "attributes": {}}, {}, {}, {}, {}, {}, {}, {}, {}]
        )
    ]
    pk = [r.pk for r in reports]
    Report.objects.filter(pk=pk[0]).update(
        state=Report.State.RESOLVED,
        answer=QUOTED,
        description=CONTROLS,
        address=WIDE,
        received_at=MONDAY + timedelta(microseconds=999_999),
        updated_at=MONDAY + timedelta(days=1, microseconds=500_000),
        lat=Decimal("-0.000001"),
        long=Decimal("-179.999999"),
    )
    Report.objects.filter(pk=pk[1]).update(
        state=Report.State.IN_PROGRESS,
        public_note=CONTROLS + QUOTED,
        address="",
        commune=communes["ea-kao"],
        lat=None,
        long=None,
    )
    Report.objects.filter(pk=pk[2]).update(address="", commune=None, description=WIDE)
    Report.objects.filter(pk=pk[3]).update(
        lat=Decimal("0"), long=Decimal("108"), state=Report.State.VERIFIED
    )
    Report.objects.filter(pk=pk[4]).update(address="", commune=zone, public_note="")
    Report.objects.filter(pk=pk[5]).update(
        lat=Decimal("0.000010"), long=Decimal("12.500000"), state=Report.State.DUPLICATE
    )
    Report.objects.filter(pk=pk[6]).update(state=Report.State.REJECTED)
    Report.objects.filter(pk=pk[7]).update(consents_to_publish=False)
    Report.objects.filter(pk=pk[8]).update(  # the same moment as the next: the id decides
        received_at=MONDAY + timedelta(hours=27), lat=Decimal("-90"), long=Decimal("180")
    )
    Report.objects.filter(pk=pk[9]).update(received_at=MONDAY + timedelta(hours=27))
    for n, at in (
        (10, datetime(1970, 1, 1, 3, tzinfo=UTC)),
        (11, datetime(1900, 6, 1, tzinfo=UTC)),
    ):
        Report.objects.filter(pk=pk[n]).update(received_at=at, updated_at=at, due_at=at)
    Photo.objects.create(report_id=pk[3], image="feedback/photos/a.jpg", is_evidence=True)
    Photo.objects.create(report_id=pk[3], image="feedback/photos/b.jpg")
    Photo.objects.create(report_id=pk[3], image="feedback/photos/c.jpg")
    Photo.objects.create(report_id=pk[0], image="feedback/photos/d.jpg", is_evidence=True)
    Photo.objects.create(report_id=pk[1], image="feedback/photos/e.jpg")
    return reports


def dumped(span: queries.RequestRange) -> str:
    """json.dumps of the records, as the XML's and the by-id answer's record builder makes them."""
    records = [open311_views._request_record(r, BASE) for r in queries.open311_requests(span)]
    return open311.Document("r", "r", records).json()


def written(span: queries.RequestRange) -> str:
    """The Python writer's text (SQLite's path) from the rows as the database gives them."""
    rows = queries.open311_range_rows(span)
    return open311_views._requests_json(rows, open311_views._media_url(BASE))


def built(span: queries.RequestRange) -> queries.RangeJson | None:
    return queries.open311_range_json(span, open311_views._media_parts(BASE))


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def test_the_week_answer_is_json_dumps_of_the_records(client, varied, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        response = client.get(URL, WEEK)

    assert response.status_code == 200
    assert response.content.decode() == dumped(WEEK_SPAN) == written(WEEK_SPAN)
    # PostgreSQL wrote it (the rows never came to Python); other databases' rows did
    assert ("string_agg" in captured.captured_queries[0]["sql"]) is on_postgresql()
    body = {int(r["service_request_id"]): r for r in json.loads(response.content)}
    first, second, third, fourth, fifth, sixth, *_ = (r.pk for r in varied)
    assert len(body) == 8  # ten in the week; one rejected, one not published
    assert body[first]["status_notes"] == QUOTED and body[first]["description"] == CONTROLS
    assert body[first]["requested_datetime"] == "2026-11-23T09:00:00+07:00"
    assert body[first]["updated_datetime"] == "2026-11-24T09:00:00+07:00"
    assert body[first]["expected_datetime"] is None and body[first]["media_url"] == ""
    assert (body[first]["lat"], body[first]["long"]) == (-0.000001, -179.999999)
    assert body[second]["address"] == "Xã Ea Kao" and body[second]["lat"] is None
    assert body[second]["media_url"].startswith(f"{BASE}/")
    assert body[third]["address"] == "" and body[third]["address_id"] == ""
    assert body[fourth]["service_name"] == 'Đèn "chiếu sáng" \\ công cộng'
    assert body[fourth]["media_url"].endswith(
        f"/{Photo.objects.filter(image__endswith='b.jpg').get().pk}/"
    )
    assert body[fifth]["address"] == "Đặc khu Côn Đảo" and body[fifth]["address_id"] == "24999"
    assert body[sixth]["lat"] == 0.00001 and body[sixth]["status"] == "closed"
    assert b'"lat": 0.0, "long": 108.0' in response.content
    assert b'"lat": 1e-05, "long": 12.5' in response.content
    assert b'"lat": -90.0, "long": 180.0' in response.content
    assert CONTROLS[:3] not in response.content.decode()  # escaped, not raw
    assert "\\u0001\\u0002" in response.content.decode() and WIDE in response.content.decode()


def test_moments_from_before_plus_seven_are_written_with_their_offsets(varied):
    text = dumped(ALL_TIME)

    assert text == written(ALL_TIME)
    if on_postgresql():
        answer = built(ALL_TIME)
        assert answer is not None and answer.body.decode() == text
        assert answer.count == 10 and answer.last == varied[11].pk
    assert '"requested_datetime": "1970-01-01T11:00:00+08:00"' in text
    assert '"requested_datetime": "1900-06-01T07:06:30+07:06:30"' in text


@pytest.mark.parametrize("status", ["open", "closed", "open,closed"])
def test_a_status_filter_answers_the_same_text(client, varied, status):
    span = replace(WEEK_SPAN, states=rules.states_for_status(status))

    response = client.get(URL, {**WEEK, "status": status})

    assert response.status_code == 200
    assert response.content.decode() == dumped(span) == written(span)
    assert len(json.loads(response.content)) == {"open": 6, "closed": 2, "open,closed": 8}[status]


def test_a_service_code_and_keyset_pages_answer_the_same_text(client, varied, roads):
    seen: list[int] = []
    params = {**WEEK, "service_code": roads.code, "page_size": 2}
    while True:
        response = client.get(URL, params)
        assert response.status_code == 200
        page = [int(r["service_request_id"]) for r in json.loads(response.content)]
        span = replace(
            WEEK_SPAN, service_code=roads.code, limit=2, after=seen[-1] if seen else None
        )
        assert response.content.decode() == dumped(span) == written(span)
        seen += page
        if "Link" not in response:
            break
        params = {**params, "after": page[-1]}
        assert f"after={page[-1]}" in response["Link"]

    roads_week = (
        queries.published()
        .filter(category=roads, received_at__gte=WEEK_SPAN.start, received_at__lte=WEEK_SPAN.end)
        .order_by("-received_at", "-pk")
    )
    assert seen == [r.pk for r in roads_week] and len(seen) == 7


def test_an_empty_range_is_an_empty_array(client, varied):
    empty = {"start_date": "2026-01-05T00:00:00+07:00", "end_date": "2026-01-06T00:00:00+07:00"}

    response = client.get(URL, empty)

    assert response.status_code == 200 and response.content == b"[]"
    assert "Link" not in response
    answer = built(replace(WEEK_SPAN, start=datetime(2026, 12, 5, tzinfo=VN), end=None))
    if on_postgresql():
        assert answer == queries.RangeJson(b"[]", 0, None)
    else:
        assert answer is None


def test_other_databases_answer_through_the_rows(varied):
    if on_postgresql():
        assert built(WEEK_SPAN) is not None
    else:
        assert built(WEEK_SPAN) is None


def _startswith_code(span=None, *, ids=None):
    """The range's query with a lookup that transforms the service code ('code%')."""
    assert span is not None
    return (
        queries.published()
        .filter(category__code__startswith=span.service_code)
        .annotate(photo=queries._first_photo())
        .order_by("-received_at", "-pk")
        .values_list(*queries.OPEN311_COLUMNS, "photo")[: span.limit]
    )


def _on_the_day_of_start(span=None, *, ids=None):
    """The range's query with a lookup that transforms the start (a date, not the moment)."""
    assert span is not None
    return (
        queries.published()
        .filter(received_at__date__gte=span.start)
        .annotate(photo=queries._first_photo())
        .order_by("-received_at", "-pk")
        .values_list(*queries.OPEN311_COLUMNS, "photo")[: span.limit]
    )


@pytest.mark.parametrize(
    ("query", "span"),
    [
        (_startswith_code, replace(WEEK_SPAN, service_code="giao-thong", end=None)),
        (_on_the_day_of_start, replace(WEEK_SPAN, end=None)),
    ],
)
def test_a_marker_a_lookup_transforms_is_refused(monkeypatch, varied, query, span):
    # Compiled once, the marker would stay in the SQL ('\x00code%', the marker's date) and
    # every later call would query it instead of its own value, silently.
    monkeypatch.setattr(compiled_reads, "_COMPILED", {})
    monkeypatch.setattr(queries, "_open311_query", query)

    with pytest.raises(MarkerNotBound):
        queries.open311_range_rows(span)


def test_the_range_query_binds_every_marker(monkeypatch, varied):
    monkeypatch.setattr(compiled_reads, "_COMPILED", {})
    span = replace(WEEK_SPAN, service_code="giao-thong", after=varied[5].pk)

    rows = queries.open311_range_rows(span)

    assert [r[0] for r in rows] == [varied[n].pk for n in (4, 2, 1, 0)]


def _prepared_here() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


@pytest.mark.skipif("not on_postgresql()")
def test_a_page_size_the_client_picks_is_not_prepared(client, varied):
    """psycopg keeps a connection's last 100 prepared statements and the page size is a
    literal in the SQL: a client stepping through page sizes must not push the other hot
    reads' statements out. A usual size is prepared; any other is sent as it is, same text."""
    before = _prepared_here()
    odd = client.get(URL, {**WEEK, "page_size": 37})
    after_odd = _prepared_here()
    usual = client.get(URL, {**WEEK, "page_size": 100})

    assert odd.status_code == usual.status_code == 200
    assert after_odd == before
    assert _prepared_here() == before + 1
    assert odd.content.decode() == dumped(replace(WEEK_SPAN, limit=37))
    assert 37 not in queries.PREPARED_PAGE_SIZES and 100 in queries.PREPARED_PAGE_SIZES
