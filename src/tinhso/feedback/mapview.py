"""The map of published field reports: Web Mercator ("slippy map") placement, server-side.

The page draws an SVG: map tiles as images underneath when a tile server is configured
(`TINHSO_MAP_TILE_URL`, the `{z}/{x}/{y}` scheme every tile server speaks), and the reports as
links on top, placed by the same projection the tiles use. Without a tile server the same
projection places the reports on a plain background, so the page works in an office without
Internet access and sends citizens' browsers to no third party by default. No JavaScript: the
pins are ordinary links, reachable by keyboard, and the page also lists them (WCAG 1.1.1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tinhso.conf import ConfigurationError

TILE = 256
MAX_LATITUDE = 85.05112878  # Web Mercator's square world
MAX_ZOOM = 18
SINGLE_POINT_ZOOM = 16

T = TypeVar("T")


@dataclass(frozen=True)
class Pin(Generic[T]):
    item: T
    x: float
    y: float


@dataclass(frozen=True)
class Tile:
    url: str
    x: float
    y: float


@dataclass(frozen=True)
class MapView(Generic[T]):
    zoom: int
    pins: list[Pin[T]]
    tiles: list[Tile]


def check_tile_url(url: str) -> str:
    """A tile URL template must be http(s) and name {z}, {x} and {y}; empty means no tiles."""
    if not url:
        return url
    if not url.startswith(("https://", "http://")) or any(
        part not in url for part in ("{z}", "{x}", "{y}")
    ):
        raise ConfigurationError(
            f"TINHSO_MAP_TILE_URL={url!r} is not a tile URL: use https://host/{{z}}/{{x}}/{{y}}.png"
        )
    return url


def world_pixel(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """Position of (lat, lon) in pixels on the whole world's map at `zoom` (origin top left)."""
    size = TILE * 2**zoom
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    sin = math.sin(math.radians(lat))
    x = (lon + 180.0) / 360.0 * size
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size
    return x, y


def _zoom_to_fit(points: Sequence[tuple[float, float]], room_w: float, room_h: float) -> int:
    xs, ys = zip(*(world_pixel(lat, lon, 0) for lat, lon in points), strict=True)
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    if span_x == 0 and span_y == 0:
        return SINGLE_POINT_ZOOM
    scale = min(room_w / span_x if span_x else math.inf, room_h / span_y if span_y else math.inf)
    return max(0, min(MAX_ZOOM, math.floor(math.log2(scale))))


def fit(
    located: Sequence[tuple[T, float, float]],
    *,
    width: int = 600,
    height: int = 400,
    padding: int = 24,
    tile_url: str = "",
) -> MapView[T]:
    """Place `(item, lat, lon)` triples on a `width` × `height` view: the largest zoom that shows
    them all inside the padding, centred; with the tiles that cover the view when `tile_url`."""
    if not located:
        return MapView(zoom=0, pins=[], tiles=[])
    coords = [(lat, lon) for _, lat, lon in located]
    zoom = _zoom_to_fit(coords, width - 2 * padding, height - 2 * padding)
    placed = [(item, *world_pixel(lat, lon, zoom)) for item, lat, lon in located]
    xs = [x for _, x, _ in placed]
    ys = [y for _, _, y in placed]
    left = (min(xs) + max(xs)) / 2 - width / 2
    top = (min(ys) + max(ys)) / 2 - height / 2
    pins = [Pin(item, round(x - left, 1), round(y - top, 1)) for item, x, y in placed]
    tiles = []
    if tile_url:
        count = 2**zoom
        for ty in range(math.floor(top / TILE), math.floor((top + height - 1) / TILE) + 1):
            if not 0 <= ty < count:
                continue  # nothing north of the Arctic or south of the Antarctic edge
            for tx in range(math.floor(left / TILE), math.floor((left + width - 1) / TILE) + 1):
                url = (
                    tile_url.replace("{z}", str(zoom))
                    .replace("{x}", str(tx % count))
                    .replace("{y}", str(ty))
                )
                tiles.append(Tile(url, round(tx * TILE - left, 1), round(ty * TILE - top, 1)))
    return MapView(zoom=zoom, pins=pins, tiles=tiles)
