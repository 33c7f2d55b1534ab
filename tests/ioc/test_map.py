"""The overview's field reports by commune (issue 16): counts from the rollups, a tile grid
without boundaries and a choropleth with them, each commune a link to its reports, the table
behind the drawing, the reports behind a figure, access, and bounded queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.feedback.conftest import (  # noqa: F401  (the feedback world's fixtures)
    agencies,
    communes,
    new_report,
    province,
    roads,
)
from tests.ioc.test_report_rollups import deliver
from tinhso.core.periods import parse
from tinhso.feedback import actions
from tinhso.feedback.models import Report
from tinhso.ioc import map as report_map
from tinhso.ioc.queries import resolve_unit
from tinhso.people.models import Role
from tinhso.places.models import CommuneBoundary

OVERVIEW = "/dieu-hanh/"
REPORTS = "/dieu-hanh/phan-anh/"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the outlines and the sync reading are cached between requests
    yield
    cache.clear()


@pytest.fixture
def filed(new_report, communes):  # noqa: F811
    """Buôn Ma Thuột (its committee handles roads there): one answered on time, one open,
    one open and past due; Ea Kao (the Department of Construction): one open; and one with
    no commune. Delivered to the rollups."""
    now = timezone.now()
    bmt = communes["buon-ma-thuot"]
    answered = actions.submit_report(new_report(commune=bmt, description="Ổ gà số 1."))
    actions.submit_report(new_report(commune=bmt, description="Ổ gà số 2."))
    late = actions.submit_report(
        new_report(commune=bmt, description="Ổ gà số 3."), now=now - timedelta(days=20)
    )
    actions.submit_report(new_report(commune=communes["ea-kao"], description="Sụt lún."))
    nowhere = actions.submit_report(
        new_report(commune=None, lat=None, long=None, description="Không rõ nơi.")
    )
    actions.resolve_report(answered, answer="Đã vá.", actor=None)
    deliver()
    return {"answered": answered, "late": late, "nowhere": nowhere}


def leader(client, agencies, name="lanhdao"):  # noqa: F811
    user = factories.official(name, roles=[(Role.LEADER, agencies["UBND"])])
    return factories.sign_in(client, user)


def month():
    today = timezone.localdate()
    return parse(f"{today.year}-{today.month:02d}")


def square(west, south, size=0.1):
    ring = [[west, south], [west + size, south], [west + size, south + size]]
    return [[[*ring, [west, south + size], [west, south]]]]


def bound(commune, west, south):
    CommuneBoundary.objects.create(
        commune=commune,
        polygons=square(west, south),
        west=west,
        south=south,
        east=west + 0.1,
        north=south + 0.1,
        source="kiểm thử",
    )


@pytest.mark.django_db
def test_counts_per_commune_come_from_the_rollups(filed, province):  # noqa: F811
    found = report_map.report_map(resolve_unit("66"), month(), timezone.now())
    table = {r.name: (r.open, r.late, r.on_time, r.answered_late) for r in found.rows}
    assert table == {
        "Phường Buôn Ma Thuột": (2, 1, 1, 0),
        "Xã Ea Kao": (1, 0, 0, 0),
        "Chưa xác định xã, phường": (1, 0, 0, 0),
    }
    assert [r.code for r in found.rows] == ["24121", "24169", "0"]  # by code, none last
    assert (found.open, found.late) == (4, 1)
    # no boundary imported: a grid of the communes with reports (not "no commune")
    assert found.kind == "grid"
    assert [t.code for t in found.shapes] == ["24121", "24169"]
    assert [t.shade for t in found.shapes] == [2, 1]  # 2 open: "2 to 4"; 1 open: "1"


@pytest.mark.django_db
def test_an_agency_sees_only_its_own_reports(filed, agencies):  # noqa: F811
    found = report_map.report_map(resolve_unit(agencies["SXD"].code), month(), timezone.now())
    assert {r.name: r.open for r in found.rows} == {
        "Xã Ea Kao": 1,
        "Chưa xác định xã, phường": 1,
    }


def test_shades_and_legend_follow_fixed_steps():
    assert [report_map.shade(n) for n in (0, 1, 2, 4, 5, 9, 10, 500)] == [0, 1, 2, 2, 3, 3, 4, 4]
    assert [words for _, words in report_map.legend()] == [
        "Không có phản ánh đang xử lý",
        "1 phản ánh",
        "2 đến 4 phản ánh",
        "5 đến 9 phản ánh",
        "Từ 10 phản ánh trở lên",
    ]


@pytest.mark.django_db
def test_with_boundaries_the_communes_are_a_choropleth_of_links(
    client,
    filed,
    communes,  # noqa: F811
    agencies,  # noqa: F811
):
    bound(communes["buon-ma-thuot"], 108.0, 12.6)
    bound(communes["tan-lap"], 108.1, 12.6)
    bound(communes["ea-kao"], 108.0, 12.5)
    found = report_map.report_map(resolve_unit("66"), month(), timezone.now())
    assert found.kind == "choropleth"
    assert [s.code for s in found.shapes] == ["24121", "24133", "24169"]
    assert all(s.path.startswith("M") and s.path.endswith("Z") for s in found.shapes)
    assert found.quiet == 1  # Tân Lập: drawn, nothing to show
    leader(client, agencies)
    html = client.get(OVERVIEW, {"unit": "66"}).content.decode()
    section = html[html.index('id="ioc-sec-map"') : html.index('id="ioc-sec-sync"')]
    assert 'role="group"' in section and '<title id="ioc-map-t">Bản đồ xã, phường' in section
    links = re.findall(r'<a href="([^"]+)" aria-label="([^"]+)" class="ioc-commune">', section)
    period = str(month())
    assert [(href.replace("&amp;", "&"), label) for href, label in links] == [
        (
            f"{REPORTS}?unit=66&period={period}&commune=24121",
            "Phường Buôn Ma Thuột: 2 phản ánh đang xử lý, 1 quá hạn; xem danh sách",
        ),
        (
            f"{REPORTS}?unit=66&period={period}&commune=24133",
            "Phường Tân Lập: 0 phản ánh đang xử lý, 0 quá hạn; xem danh sách",
        ),
        (
            f"{REPORTS}?unit=66&period={period}&commune=24169",
            "Xã Ea Kao: 1 phản ánh đang xử lý, 0 quá hạn; xem danh sách",
        ),
    ]
    assert section.count("ioc-has-late") == 1  # Buôn Ma Thuột's outline
    # drawn again on top, outline only, hidden from screen readers (the link says "1 quá hạn")
    overlay = section[section.index('<g aria-hidden="true" class="ioc-late-outlines">') :]
    assert overlay[: overlay.index("</g>")].count("<path") == 1
    # the view box crops the drawing to the communes (the zoom is a whole number)
    box = re.search(r'<svg viewBox="([^"]+)"', section).group(1).split()
    assert len(box) == 4 and 0 < float(box[2]) <= 640 and 0 < float(box[3]) <= 480
    assert "Viền đỏ đậm: có phản ánh quá hạn" in section


@pytest.mark.django_db
def test_the_overview_shows_tiles_and_the_table_behind_them(client, filed, agencies):  # noqa: F811
    leader(client, agencies)
    page = client.get(OVERVIEW, {"unit": "66"})
    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('id="ioc-sec-map"') : html.index('id="ioc-sec-sync"')]
    assert "4 phản ánh đang xử lý, trong đó 1 quá hạn." in section
    assert "Chưa nhập ranh giới xã, phường" in section  # says what the grid is
    tiles = section[section.index('class="ioc-tiles"') : section.index("</ul>")]
    assert tiles.count("<li>") == 2 and "1 quá hạn" in tiles
    assert '<summary id="ioc-map-table-s">Xem bảng số liệu của bản đồ</summary>' in section
    # its scroll box is a region named by the summary, not by the section's heading (axe's
    # landmark-unique: the section is already named "Phản ánh hiện trường theo xã, phường")
    assert 'role="region" aria-labelledby="ioc-map-table-s"' in section
    rows = re.findall(r'<tr><th scope="row"><a href="[^"]+">([^<]+)</a></th>', section)
    assert rows == ["Phường Buôn Ma Thuột", "Xã Ea Kao", "Chưa xác định xã, phường"]
    # the cards at a glance read the same totals
    assert re.search(r'<span class="n">4</span> phản ánh hiện trường đang xử lý', html)


@pytest.mark.django_db
def test_a_commune_link_lists_its_reports_without_the_reporter(
    client,
    filed,
    agencies,  # noqa: F811
):
    leader(client, agencies)
    period = str(month())
    page = client.get(REPORTS, {"unit": "66", "period": period, "commune": "24121"})
    assert page.status_code == 200
    html = page.content.decode()
    shown = set(re.findall(r"PA-(\d+)", html))
    open_bmt = {
        str(pk)
        for pk in Report.objects.filter(commune__code=24121, resolved_at__isnull=True).values_list(
            "pk", flat=True
        )
    }
    assert shown == open_bmt and len(shown) == 2
    assert "Nguyễn Văn An" not in html and "0912345678" not in html and "an@" not in html
    late = client.get(
        REPORTS, {"unit": "66", "period": period, "commune": "24121", "measure": "late"}
    ).content.decode()
    assert set(re.findall(r"PA-(\d+)", late)) == {str(filed["late"].pk)}
    answered = client.get(
        REPORTS, {"unit": "66", "period": period, "commune": "24121", "measure": "on_time"}
    ).content.decode()
    assert set(re.findall(r"PA-(\d+)", answered)) == {str(filed["answered"].pk)}
    nowhere = client.get(REPORTS, {"unit": "66", "period": period, "commune": "0"})
    assert set(re.findall(r"PA-(\d+)", nowhere.content.decode())) == {str(filed["nowhere"].pk)}
    # an unknown commune or measure is a 404, not an empty list
    assert client.get(REPORTS, {"unit": "66", "commune": "99999"}).status_code == 404
    assert client.get(REPORTS, {"unit": "66", "commune": "abc"}).status_code == 404
    assert (
        client.get(REPORTS, {"unit": "66", "commune": "24121", "measure": "x"}).status_code == 404
    )


@pytest.mark.django_db
def test_only_leaders_and_viewers_in_reach_see_the_reports(
    client,
    filed,
    agencies,  # noqa: F811
):
    query = {"unit": "66", "commune": "24121"}
    assert client.get(REPORTS, query).status_code == 302  # to sign in
    citizen = factories.citizen("066190009999")
    factories.sign_in(client, citizen)
    assert client.get(REPORTS, query).status_code == 403
    assert client.get(OVERVIEW, {"unit": "66"}).status_code == 403
    client.logout()
    # the Department of Construction's viewer: not the province, not Buôn Ma Thuột's reports
    viewer = factories.official("xd", roles=[(Role.IOC_VIEWER, agencies["SXD"])])
    factories.sign_in(client, viewer)
    assert client.get(REPORTS, query).status_code == 404
    own = client.get(REPORTS, {"unit": agencies["SXD"].code, "commune": "24121"})
    assert own.status_code == 200 and "PA-" not in own.content.decode()


@pytest.mark.django_db
def test_the_map_reads_a_fixed_number_of_queries_and_no_report_scan(
    filed,
    new_report,  # noqa: F811
    communes,  # noqa: F811
):
    unit, period = resolve_unit("66"), month()
    with CaptureQueriesContext(connection) as first:
        report_map.report_map(unit, period, timezone.now())
    # counts (rollups), late now (open reports only), boundaries' version, commune names
    assert len(first) == 4
    touching = [q["sql"] for q in first if "feedback_report" in q["sql"]]
    assert len(touching) == 1 and "due_at" in touching[0] and "state" in touching[0]
    for i in range(6):
        actions.submit_report(new_report(commune=communes["tan-lap"], description=f"Rác {i}."))
    deliver()
    with CaptureQueriesContext(connection) as again:
        found = report_map.report_map(unit, period, timezone.now())
    assert len(again) == 4 and found.open == 10
    bound(communes["tan-lap"], 108.1, 12.6)
    with CaptureQueriesContext(connection) as drawn:
        report_map.report_map(unit, period, timezone.now())
    assert len(drawn) == 5  # + the polygons, once
    with CaptureQueriesContext(connection) as cached:
        report_map.report_map(unit, period, timezone.now())
    assert len(cached) == 4  # the outlines from the cache


@pytest.mark.django_db
def test_the_overview_does_not_read_more_with_more_reports(
    client,
    filed,
    agencies,  # noqa: F811
    new_report,  # noqa: F811
    communes,  # noqa: F811
):
    leader(client, agencies)
    client.get(OVERVIEW, {"unit": "66"})  # the sync reading, cached like in production
    with CaptureQueriesContext(connection) as before:
        assert client.get(OVERVIEW, {"unit": "66"}).status_code == 200
    for i in range(8):
        actions.submit_report(new_report(commune=communes["tan-lap"], description=f"Đèn {i}."))
    deliver()
    with CaptureQueriesContext(connection) as after:
        assert client.get(OVERVIEW, {"unit": "66"}).status_code == 200
    assert len(after) == len(before)


@pytest.mark.django_db
def test_the_province_tile_of_a_commune_equals_the_communes_own_view(
    client,
    filed,
    agencies,  # noqa: F811
):
    """One rule (by where the report is): Ea Kao's report is handled by the Department of
    Construction, yet Ea Kao's own view counts and lists it, as the province's tile does."""
    leader(client, agencies)
    now, period = timezone.now(), month()
    province_rows = {r.code: r for r in report_map.report_map(resolve_unit("66"), period, now).rows}
    for code in ("24121", "24169"):
        tile = province_rows[code]
        unit = resolve_unit(code)
        own = report_map.report_map(unit, period, now)
        assert (own.open, own.late) == (tile.open, tile.late) and own.open > 0
        for measure in report_map.REPORT_MEASURES:
            behind = report_map.reports_behind(unit, unit.commune_id, measure, period, now)
            assert behind.count() == getattr(tile, measure), (code, measure)
    page = client.get(OVERVIEW, {"unit": "24169"}).content.decode()
    section = page[page.index('id="ioc-sec-map"') : page.index('id="ioc-sec-sync"')]
    assert "1 phản ánh đang xử lý, trong đó 0 quá hạn." in section
    assert "Tính theo nơi xảy ra" in section
    listed = client.get(REPORTS, {"unit": "24169", "period": str(period), "commune": "24169"})
    ea_kao = Report.objects.get(commune__code=24169)
    assert set(re.findall(r"PA-(\d+)", listed.content.decode())) == {str(ea_kao.pk)}
