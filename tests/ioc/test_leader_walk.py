"""What a tester found walking the operations centre as the province's leader at 360 and
1280 px (issue 16), each defect held by a test: the list behind a figure as cards on a phone,
the public table's caption, a commune named with its division type, periods in lower case
within a sentence, a mistyped unit or period on a list answered with its form (422), and the
official who did a step (test_step_performer.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import factories
from tests.ioc.test_index_api import viewer
from tinhso.places.models import Agency

OVERVIEW = "/dieu-hanh/"
DRILL = "/dieu-hanh/ho-so/"
REPORTS = "/dieu-hanh/phan-anh/"
CSS = Path(__file__).resolve().parents[2] / "src/tinhso/ioc/static/ioc/ioc.css"
LATE = {"unit": "000.00.03.H66", "period": "2026-11", "measure": "late"}


def narrow_rules() -> str:
    """The stylesheet's rules for widths up to 40em (a phone), one block after another."""
    css = CSS.read_text()
    blocks = re.findall(r"@media \(max-width: 40em\) \{(.*?)\n\}", css, re.S)
    assert blocks
    return "\n".join(blocks)


@pytest.mark.django_db
def test_the_dossiers_behind_a_figure_are_cards_on_a_phone_and_a_table_on_a_screen(client, world):
    viewer(client, world)
    html = client.get(DRILL, LATE).content.decode()
    # the field reports' pattern: a table that CSS stacks under 40em, each cell saying what
    # it is ("Hẹn trả: 10/11/2026 17:00"), the dossier's code heading its card
    box = re.search(r'<div class="([^"]*)"[^>]*><table>', html)
    assert box and {"ioc-stack", "ioc-padded"} <= set(box.group(1).split())
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    assert len(rows) == 2
    for row in rows:
        assert re.match(r'\s*<th scope="row"[^>]*><a href="/dieu-hanh/ho-so/000', row)
        cells = re.findall(r"<td([^>]*)>", row)
        labels = [re.search(r'data-label="([^"]+)"', c).group(1) for c in cells]
        assert labels == [
            "Thủ tục",
            "Cơ quan",
            "Cán bộ xử lý",
            "Tiếp nhận",
            "Hẹn trả",
            "Trạng thái",
            "Bước làm chậm",
        ]
    narrow = narrow_rules()
    assert ".ioc-stack table, .ioc-stack tbody, .ioc-stack tr, .ioc-stack th, .ioc-stack td" in (
        narrow
    )
    assert 'content: attr(data-label) ": "' in narrow
    # the box is still a named region (wide: eight columns may scroll at a middling width)
    assert 'role="region" aria-labelledby="ioc-list-title"' in html
    assert 'id="ioc-list-title"' in html


@pytest.mark.django_db
def test_the_public_tables_caption_is_a_full_width_line_on_a_phone(client, world):
    from django.core.cache import cache

    cache.clear()
    html = client.get("/cong-khai/thong-ke/", {"nam": "2026"}).content.decode()
    assert '<caption id="ioc-public-caption">' in html
    # a table shown as a block leaves its caption a table of its own, one word a line: the
    # caption is a block line of its own under 40em
    assert re.search(r"\.ioc-stack caption \{ display: block;", narrow_rules())


@pytest.mark.django_db
def test_a_communes_headings_name_it_with_its_division_type(client, world):
    bk = factories.commune(world.province, 22045, "Bình Kiến")  # phường
    factories.agency(
        world.agencies["UBND"],
        "000.22.50.H66",
        "Ủy ban nhân dân phường Bình Kiến",
        "UBND",
        Agency.Level.COMMUNE,
        commune=bk,
    )
    viewer(client, world, where="UBND")
    page = client.get(OVERVIEW, {"unit": "22045", "period": "2026-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Trung tâm điều hành: Phường Bình Kiến</h1>" in html
    assert "Trung tâm điều hành · Phường Bình Kiến" in html  # the window's title
    listing = client.get(DRILL, {"unit": "22045", "period": "2026-11", "measure": "received"})
    assert "Trung tâm điều hành: Phường Bình Kiến</a>" in listing.content.decode()
    xa = factories.commune(world.province, 22051, "Hòa Phú", "xã")
    factories.agency(
        world.agencies["UBND"],
        "000.23.50.H66",
        "Ủy ban nhân dân xã Hòa Phú",
        "UBND",
        Agency.Level.COMMUNE,
        commune=xa,
    )
    html = client.get(OVERVIEW, {"unit": "22051", "period": "2026-11"}).content.decode()
    assert "<h1>Trung tâm điều hành: Xã Hòa Phú</h1>" in html


@pytest.mark.django_db
def test_a_period_within_a_sentence_is_in_lower_case_and_a_heading_keeps_its_capital(client, world):
    viewer(client, world)
    html = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026-11"}).content.decode()
    assert "Trong kỳ tháng 11/2026" in html and "Trong kỳ Tháng" not in html
    assert "Điểm theo nhóm chỉ số, kỳ tháng 11/2026" in html
    assert "Tháng 11/2026 · số liệu" in html  # the line starts with it
    assert re.search(r"kỳ (Tháng|Quý|Năm) ", html) is None
    quarter = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026-Q4"})
    html = quarter.content.decode()
    assert "Trong kỳ quý IV/2026" in html  # "IV" stays a numeral
    assert "Quý IV/2026 · số liệu" in html
    year = client.get(OVERVIEW, {"unit": "000.00.03.H66", "period": "2026"}).content.decode()
    assert "Trong kỳ năm 2026" in year
    listing = client.get(DRILL, LATE).content.decode()
    assert "kỳ tháng 11/2026" in listing and "kỳ Tháng" not in listing


@pytest.mark.django_db
def test_a_mistyped_unit_or_period_on_a_list_is_its_form_again_not_the_sites_404(client, world):
    viewer(client, world)
    for path, extra, kept in (
        (DRILL, {"measure": "late"}, {"measure": "late"}),
        (REPORTS, {"commune": "0", "measure": "late"}, {"commune": "0", "measure": "late"}),
    ):
        for query, field, words in (
            ({"unit": "xyz", "period": "2026-11"}, "unit", "Không có đơn vị mang mã “xyz”"),
            (
                {"unit": "000.00.03.H66", "period": "2026-13"},
                "period",
                "Kỳ “2026-13” không hợp lệ",
            ),
        ):
            page = client.get(path, {**query, **extra})
            assert page.status_code == 422, (path, query)
            html = page.content.decode()
            assert words in html and 'role="alert"' in html
            assert "Không tìm thấy trang" not in html
            assert f'<select id="ioc-{field}" name="{field}" aria-invalid="true">' in html
            # the form comes back to this list, with what the figure was
            assert f'<form class="ioc-filter" method="get" action="{path}">' in html
            for name, value in kept.items():
                assert f'<input type="hidden" name="{name}" value="{value}">' in html
            assert page["Cache-Control"] == "no-store"
    # a list that is not one stays 404, and a unit out of reach too
    assert client.get(DRILL, {"unit": "xyz", "measure": "nothing"}).status_code == 404
    assert client.get(DRILL, {"unit": "66", "measure": "late"}).status_code == 404


@pytest.mark.django_db
def test_a_mistyped_period_on_a_drill_down_keeps_the_procedure_officer_and_day(client, world):
    # the list behind a procedure's (an officer's, a day's) row: the form again comes back
    # to that row's list, not to the whole figure's
    viewer(client, world)
    drill = {"measure": "late", "procedure": "12", "officer": "34", "day": "2026-11-05"}
    page = client.get(DRILL, {"unit": "000.00.03.H66", "period": "2026-13", **drill})
    assert page.status_code == 422
    html = page.content.decode()
    for name, value in drill.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in html
    # what was not given is not invented
    page = client.get(DRILL, {"unit": "000.00.03.H66", "period": "2026-13", "procedure": "12"})
    html = page.content.decode()
    assert '<input type="hidden" name="procedure" value="12">' in html
    assert 'name="officer"' not in html and 'name="day"' not in html
