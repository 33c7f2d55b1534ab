"""The map of published field reports: Web Mercator ("slippy map") placement, server-side.

The page draws an SVG: map tiles as images underneath when a tile server is configured
(`TINHSO_MAP_TILE_URL`, the `{z}/{x}/{y}` scheme every tile server speaks), the communes'
outlines when their boundaries are imported (`tinhso places import-boundaries`), and the
reports as links on top, placed by the same projection. Without tiles and without boundaries
there is nothing to place the reports against, so the page shows no drawing, only the reports
grouped by commune: it works in an office without Internet access and sends citizens'
browsers to no third party by default. No JavaScript: the
pins are ordinary links, reachable by keyboard, and the page also lists them (WCAG 1.1.1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from tinhso.conf import ConfigurationError

TILE = 256
MAX_LATITUDE = 85.05112878  # Web Mercator's square world
MAX_ZOOM = 18
SINGLE_POINT_ZOOM = 16

T = TypeVar("T")
S = TypeVar("S")
# (item, polygons): GeoJSON MultiPolygon coordinates, [longitude, latitude] pairs.
Shapes = Sequence[tuple[Any, Sequence[Sequence[Sequence[Sequence[float]]]]]]


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
class Outline(Generic[S]):
    """A commune's outline as SVG path data, in the view's pixels."""

    item: S
    path: str


@dataclass(frozen=True)
class MapView(Generic[T]):
    zoom: int
    pins: list[Pin[T]]
    tiles: list[Tile]
    outlines: list[Outline[Any]] = field(default_factory=list)


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


def _path(polygons: Any, zoom: int, left: float, top: float) -> str:
    """SVG path data of the polygons' rings, points closer than a pixel dropped."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points: list[tuple[float, float]] = []
            for lon, lat in ring:
                x, y = world_pixel(lat, lon, zoom)
                point = (round(x - left, 1), round(y - top, 1))
                if not points or abs(point[0] - points[-1][0]) + abs(point[1] - points[-1][1]) >= 1:
                    points.append(point)
            if len(points) >= 3:
                parts.append("M" + " L".join(f"{x:g},{y:g}" for x, y in points) + " Z")
    return " ".join(parts)


def fit(
    located: Sequence[tuple[T, float, float]],
    *,
    width: int = 600,
    height: int = 400,
    padding: int = 24,
    tile_url: str = "",
    shapes: Shapes = (),
) -> MapView[T]:
    """Place `(item, lat, lon)` triples, and the outlines of `shapes`, on a `width` × `height`
    view: the largest zoom that shows them all inside the padding, centred; with the tiles
    that cover the view when `tile_url`."""
    if not located and not shapes:
        return MapView(zoom=0, pins=[], tiles=[])
    coords = [(lat, lon) for _, lat, lon in located]
    for _, polygons in shapes:
        ring_points = [p for polygon in polygons for p in polygon[0]]
        if ring_points:
            lons = [p[0] for p in ring_points]
            lats = [p[1] for p in ring_points]
            coords += [(min(lats), min(lons)), (max(lats), max(lons))]
    zoom = _zoom_to_fit(coords, width - 2 * padding, height - 2 * padding)
    placed = [(item, *world_pixel(lat, lon, zoom)) for item, lat, lon in located]
    corners = [world_pixel(lat, lon, zoom) for lat, lon in coords]
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    left = (min(xs) + max(xs)) / 2 - width / 2
    top = (min(ys) + max(ys)) / 2 - height / 2
    pins = [Pin(item, round(x - left, 1), round(y - top, 1)) for item, x, y in placed]
    outlines: list[Outline[Any]] = [
        Outline(item, _path(polygons, zoom, left, top)) for item, polygons in shapes
    ]
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
    return MapView(zoom=zoom, pins=pins, tiles=tiles, outlines=outlines)
