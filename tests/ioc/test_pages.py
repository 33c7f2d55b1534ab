"""The operations centre's pages on the hand-counted province of test_index_api: the figures,
the dossiers behind them, access by reach, and the public page with no personal data."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.ioc.test_index_api import viewer
from tinhso.dossiers.models import Dossier
from tinhso.people.models import Role

OVERVIEW = "/dieu-hanh/"
DRILL = "/dieu-hanh/ho-so/"


def codes(html: str) -> set[str]:
    return set(re.findall(r"000\.00\.03\.H66-2611-\d{4}", html))


@pytest.mark.django_db
def test_a_viewer_sees_the_month_and_the_766_points(client, world):
    viewer(client, world)
    page = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Trung tâm điều hành: Sở Tư pháp tỉnh Đắk Lắk" in html
    # auto-refresh by a static script the viewer can pause (no inline script: the CSP)
    assert 'data-refresh="60"' in html and 'src="/static/ioc/refresh.js"' in html
    assert "<script>" not in html and 'http-equiv="refresh"' not in html
    month = html[html.index('id="ioc-month"') :]
    # 7 received, 5 finished (D1-D5), 2 late among them (D2, D4); online 4 of 7
    assert re.search(r'id="ioc-received"[^>]*><span class="n">7</span>', month)
    assert '<span class="n">5</span> hồ sơ giải quyết xong' in month
    assert re.search(r'id="ioc-late"[^>]*><span class="n">2</span>', month)
    assert '<span class="n">57,14%</span> hồ sơ nộp trực tuyến' in month
    assert "32,03 / 52" in html  # the hand-computed total (test_index_api)
    assert html.count('role="img"') == 2 and html.count("Bảng số liệu của biểu đồ") == 2


@pytest.mark.django_db
def test_from_the_late_figure_to_the_late_dossiers_and_one_of_them(client, world):
    viewer(client, world)
    page = client.get(
        DRILL, {"unit": "000.00.03.H66", "period": "2026-11", "measure": "late"}
    ).content.decode()
    # D2 (received 3 Nov, ended after its appointment) and D4 (two supplement requests)
    late = Dossier.objects.filter(agency__code="000.00.03.H66", received_at__day__in=(3, 5))
    assert codes(page) == {d.code for d in late} and len(late) == 2
    assert "Hồ sơ giải quyết quá hạn: 2" in page
    one = late.first()
    detail = client.get(f"/dieu-hanh/ho-so/{one.code}/")
    assert detail.status_code == 200
    assert one.code in detail.content.decode()
    # overdue now: D6 (due 3 Dec), D7 (16 Nov) and D9 (6 Nov) are still open
    overdue = client.get(DRILL, {"unit": "000.00.03.H66", "measure": "overdue"}).content.decode()
    assert len(codes(overdue)) == 3 and "quá hạn: 3" in overdue


@pytest.mark.django_db
def test_a_viewer_of_one_agency_reaches_nothing_else(client, world):
    viewer(client, world, where="SXD", name="sxd")
    assert client.get(OVERVIEW, {"unit": "000.00.03.H66"}).status_code == 404
    assert client.get(OVERVIEW, {"unit": "66"}).status_code == 404
    assert client.get(DRILL, {"unit": "000.00.03.H66", "measure": "late"}).status_code == 404
    stp = Dossier.objects.filter(agency__code="000.00.03.H66").exclude(state="withdrawn").first()
    assert client.get(f"/dieu-hanh/ho-so/{stp.code}/").status_code == 404
    assert client.get(OVERVIEW).status_code == 200  # their own agency by default


@pytest.mark.django_db
def test_no_role_is_refused_and_no_sign_in_is_sent_to_sign_in(client, world):
    assert client.get(OVERVIEW).status_code == 302
    user = factories.official("cv", roles=[(Role.SPECIALIST, world.agencies["STP"])])
    factories.sign_in(client, user)
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(DRILL, {"measure": "late"}).status_code == 403


@pytest.mark.django_db
def test_the_public_page_shows_counts_and_shares_without_a_person_or_a_dossier(client, world):
    from django.core.cache import cache

    cache.clear()  # kept five minutes per year: another test's figures must not show
    page = client.get("/cong-khai/thong-ke/", {"nam": "2026"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sở Tư pháp tỉnh Đắk Lắk" in html
    assert "Nguyễn Văn An" not in html and not codes(html)
    # STP, November: 7 received, 5 finished by their end day (D1-D5), 3 of them on time
    row = re.search(
        r"Sở Tư pháp tỉnh Đắk Lắk</th><td data-label=\"Tháng\">11</td>"
        r"<td data-label=\"Tiếp nhận\">(\d+)</td><td data-label=\"Giải quyết xong\">(\d+)</td>"
        r"<td data-label=\"Đúng hạn\">([^<]+)</td>",
        html,
    )
    assert row and row.groups() == ("7", "5", "60,00%")
    # on a phone each row is a card of label and value; the scrolled region is named
    assert 'role="region" aria-labelledby="ioc-public-caption"' in html
    assert '<caption id="ioc-public-caption">' in html
    assert client.get("/cong-khai/thong-ke/", {"nam": "1990"}).status_code == 404


@pytest.mark.django_db
def test_the_charts_coordinates_are_numbers_not_localised_text(client, world):
    viewer(client, world)
    html = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026-11"}).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    coordinates = re.findall(r'\b(?:x|y|width|height)="([^"]*)"', svg)
    assert coordinates and all(re.fullmatch(r"-?\d+(\.\d+)?", c) for c in coordinates), svg


@pytest.mark.django_db
def test_odd_query_values_are_404_or_ignored_never_500(client, world):
    viewer(client, world)
    late = {"unit": "000.00.03.H66", "period": "2026-11", "measure": "late"}
    assert client.get(DRILL, {**late, "day": "9999-12-31"}).status_code == 404
    for name in ("procedure", "officer"):
        # 19 digits overflow a bigint on PostgreSQL; ignored like any non-number
        for value in ("9" * 19, "1" * 40, "١٢", "-1"):
            page = client.get(DRILL, {**late, name: value})
            assert page.status_code == 200
            assert "Hồ sơ giải quyết quá hạn: 2" in page.content.decode()


@pytest.mark.django_db
def test_a_mistyped_unit_or_period_is_a_form_error_on_the_page(client, world):
    viewer(client, world)
    for query, field, words in (
        ({"unit": "xyz"}, "unit", "Không có đơn vị mang mã “xyz”"),
        ({"unit": "000.00.03.H66", "period": "2026-13"}, "period", "Kỳ “2026-13” không hợp lệ"),
    ):
        page = client.get(OVERVIEW, query)
        assert page.status_code == 422
        html = page.content.decode()
        assert words in html and 'role="alert"' in html
        assert f'<select id="ioc-{field}" name="{field}" aria-invalid="true">' in html
        assert "Không tìm thấy trang" not in html
    # the leader is offered the units in reach and recent periods, with their names
    html = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026-11"}).content.decode()
    assert re.search(r'<option value="000.00.03.H66" selected>[^<]+</option>', html)
    assert '<option value="2026-11" selected>Tháng 11/2026</option>' in html
    assert "Tháng 11/2026 · số liệu" in html and "Kỳ 2026-11" not in html
    quarter = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026-Q4"})
    assert "Quý IV/2026" in quarter.content.decode()


@pytest.mark.django_db
def test_each_scrolling_table_is_a_named_focusable_region_and_the_wide_ones_say_they_scroll(
    client, world
):
    viewer(client, world)
    html = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026-11"}).content.decode()
    from django.template.loader import render_to_string

    # the ranking (a province's overview) as its include draws it
    html += '<h2 id="ioc-rank-a">x</h2>' + render_to_string(
        "ioc/_ranking.html", {"rows": [], "kind": "x", "label": "ioc-rank-a"}
    )
    boxes = re.findall(r'<div class="ioc-scroll"([^>]*)>', html)
    assert len(boxes) >= 4
    for attributes in boxes:
        assert 'tabindex="0"' in attributes and 'role="region"' in attributes
        named = re.search(r'aria-label(?:ledby)?="([^"]+)"', attributes)
        assert named, attributes
        if "aria-labelledby" in attributes:
            for ref in named.group(1).split():
                assert f'id="{ref}"' in html, ref
    # axe's landmark-unique: no region named as its section is
    sections = set(re.findall(r'<section [^>]*aria-labelledby="([^"]+)"', html))
    assert not sections & set(re.findall(r'role="region" aria-labelledby="([^"]+)"', html))
    assert html.count('class="ioc-scroll-hint"') >= 2  # the 766 table and the ranking
    assert "cuộn sang ngang" in html
