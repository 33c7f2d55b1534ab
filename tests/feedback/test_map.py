"""The reports' map: Web Mercator placement agrees with the tile scheme every tile server uses,
the view fits all reports, the tiles cover it, and a real browser loads them from the
configured server under the pins, which stay links."""

from __future__ import annotations

import math
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser import axe_violations, requires_browser
from tinhso.conf import ConfigurationError
from tinhso.feedback import actions
from tinhso.feedback.mapview import TILE, check_tile_url, fit, world_pixel

HANOI = (21.0285, 105.8542)
BMT = (12.6678, 108.0382)  # Buôn Ma Thuột
DA_NANG = (16.0544, 108.2022)


def osm_tile(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The tile index by the OpenStreetMap wiki's formula (asinh form, not ours)."""
    n = 2**zoom
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


@pytest.mark.parametrize("zoom", [0, 5, 10, 16])
@pytest.mark.parametrize("place", [HANOI, BMT, DA_NANG, (0.0, 0.0), (-33.86, 151.21)])
def test_world_pixels_fall_in_the_tile_the_tile_scheme_names(place, zoom):
    x, y = world_pixel(*place, zoom)
    assert (int(x // TILE), int(y // TILE)) == osm_tile(*place, zoom)


def test_hanoi_at_zoom_10_is_tile_813_450():
    x, y = world_pixel(*HANOI, 10)
    assert (int(x // TILE), int(y // TILE)) == (813, 450)


def test_one_report_sits_in_the_middle_at_street_zoom():
    view = fit([("a", *BMT)])
    assert view.zoom == 16
    assert [(p.x, p.y) for p in view.pins] == [(300.0, 200.0)]


def test_the_view_is_the_closest_zoom_that_shows_every_report():
    located = [("hn", *HANOI), ("bmt", *BMT), ("dn", *DA_NANG)]
    view = fit(located, width=600, height=400, padding=24)
    for pin in view.pins:
        assert 24 <= pin.x <= 576 and 24 <= pin.y <= 376, pin
    # One zoom closer and they no longer fit (the north-south span doubles past 352 px).
    ys = [world_pixel(lat, lon, view.zoom + 1)[1] for _, lat, lon in located]
    assert max(ys) - min(ys) > 400 - 2 * 24
    assert {p.item for p in view.pins} == {"hn", "bmt", "dn"}


def test_tiles_cover_the_whole_view_and_name_real_tile_addresses():
    view = fit(
        [("a", *BMT), ("b", 12.70, 108.10)], tile_url="https://tiles.example/{z}/{x}/{y}.png"
    )
    covered = {(int(t.x + x), int(t.y + y)) for t in view.tiles for x in (0, 255) for y in (0, 255)}
    assert min(x for x, _ in covered) <= 0 and max(x for x, _ in covered) >= 599
    assert min(y for _, y in covered) <= 0 and max(y for _, y in covered) >= 399
    # The tile under the first report is among them, by its address.
    tx, ty = osm_tile(*BMT, view.zoom)
    assert f"https://tiles.example/{view.zoom}/{tx}/{ty}.png" in {t.url for t in view.tiles}


def test_no_tile_server_means_no_tiles():
    assert fit([("a", *BMT)]).tiles == []


def test_outlines_and_pins_share_the_projection_and_the_view_fits_the_outlines():
    square = [[[[108.0, 12.6], [108.1, 12.6], [108.1, 12.7], [108.0, 12.7], [108.0, 12.6]]]]
    view = fit([("pin", 12.65, 108.05)], shapes=[("bmt", square)])
    [outline] = view.outlines
    assert outline.item == "bmt" and outline.path.startswith("M") and outline.path.endswith("Z")
    corners = [tuple(map(float, p.split(","))) for p in outline.path[1:-2].split(" L")]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    assert min(xs) >= 24 and max(xs) <= 576 and min(ys) >= 24 and max(ys) <= 376
    [pin] = view.pins  # the square's centre is the view's centre
    assert abs(pin.x - 300) < 1 and abs(pin.y - 200) < 1
    assert min(xs) < pin.x < max(xs) and min(ys) < pin.y < max(ys)


@pytest.mark.parametrize(
    "url",
    ["tiles.example/{z}/{x}/{y}.png", "https://tiles.example/{z}/{x}.png", "ftp://x/{z}/{x}/{y}"],
)
def test_a_tile_url_without_scheme_or_placeholders_stops_start_up(url):
    with pytest.raises(ConfigurationError, match="TINHSO_MAP_TILE_URL"):
        check_tile_url(url)


@pytest.mark.django_db
def test_the_map_page_draws_configured_tiles_with_attribution(client, settings, new_report):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Bản đồ tỉnh"
    actions.submit_report(new_report())
    text = client.get("/phan-anh/ban-do/").content.decode()
    tx, ty = osm_tile(12.6678, 108.0382, 16)
    assert f'<image href="https://tiles.example/16/{tx}/{ty}.png"' in text
    assert "© Bản đồ tỉnh" in text


@pytest.mark.django_db
def test_without_a_tile_server_the_page_sends_browsers_nowhere(client, new_report):
    actions.submit_report(new_report())
    text = client.get("/phan-anh/ban-do/").content.decode()
    assert "<image" not in text


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f0005000201a5f0b2d30000000049454e44ae426082"
)


@requires_browser
@pytest.mark.django_db(transaction=True)
def test_a_browser_loads_the_tiles_under_the_pins(browser, settings, live_server, new_report):
    requested: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG_1PX)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MAP_TILE_URL = f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
    report = actions.submit_report(new_report(lat=Decimal("12.667800"), long=Decimal("108.038200")))
    try:
        page = browser.new_page()
        page.goto(live_server.url + "/phan-anh/ban-do/")
        page.wait_for_load_state("networkidle")
        tx, ty = osm_tile(12.6678, 108.0382, 16)
        assert f"/16/{tx}/{ty}.png" in requested
        assert axe_violations(page) == []
        page.click(f"a[aria-label^='PA-{report.pk}:']")
        page.wait_for_url(f"**/phan-anh/{report.pk}/")
    finally:
        server.shutdown()
