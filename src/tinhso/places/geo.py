"""Commune boundaries as GeoJSON polygons, and the point-in-polygon test that finds the commune
at a position (a field report's map pin or a photo's GPS).

Pure functions, no database. Coordinates follow GeoJSON (RFC 7946 §3.1.1): [longitude,
latitude] in WGS 84, the datum of every phone and of the national VN-2000 data once converted.
A polygon is its outer ring followed by its holes; a point on an edge counts as inside, so a
pin exactly on the line between two communes still finds one of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Ring = list[tuple[float, float]]  # (longitude, latitude), first point repeated last
Polygon = list[Ring]  # outer ring, then holes


class GeometryError(ValueError):
    """A geometry that is not a usable Polygon or MultiPolygon."""


@dataclass(frozen=True)
class Shape:
    polygons: list[Polygon]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the outer rings."""
        points = [p for polygon in self.polygons for p in polygon[0]]
        longs = [p[0] for p in points]
        lats = [p[1] for p in points]
        return min(longs), min(lats), max(longs), max(lats)

    def contains(self, lat: float, long: float) -> bool:
        return any(_in_polygon(polygon, long, lat) for polygon in self.polygons)

    def as_json(self) -> list[list[list[list[float]]]]:
        return [[[list(p) for p in ring] for ring in polygon] for polygon in self.polygons]


def _ring(raw: Any) -> Ring:
    if not isinstance(raw, list) or len(raw) < 4:
        raise GeometryError("a ring needs at least four positions")
    ring: Ring = []
    for position in raw:
        if not isinstance(position, list | tuple) or len(position) < 2:
            raise GeometryError("a position is [longitude, latitude]")
        long, lat = position[0], position[1]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (long, lat)):
            raise GeometryError("a position is [longitude, latitude]")
        if not (-180 <= long <= 180 and -90 <= lat <= 90):
            raise GeometryError(f"[{long}, {lat}] is not a WGS 84 longitude and latitude")
        ring.append((float(long), float(lat)))
    if ring[0] != ring[-1]:
        raise GeometryError("a ring must end where it starts")
    return ring


def shape_from_geojson(geometry: Any) -> Shape:
    """A Polygon or MultiPolygon geometry object, checked."""
    if not isinstance(geometry, dict):
        raise GeometryError("no geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    raw_polygons: list[Any]
    if kind == "Polygon":
        raw_polygons = [coords]
    elif kind == "MultiPolygon":
        raw_polygons = coords if isinstance(coords, list) else []
    else:
        raise GeometryError(
            f"geometry type {kind!r}: only Polygon and MultiPolygon bound a commune"
        )
    if not raw_polygons:
        raise GeometryError("empty coordinates")
    polygons = []
    for raw in raw_polygons:
        if not isinstance(raw, list) or not raw:
            raise GeometryError("a polygon is a list of rings")
        polygons.append([_ring(r) for r in raw])
    return Shape(polygons)


def shape_from_json(stored: Sequence[Sequence[Sequence[Sequence[float]]]]) -> Shape:
    """A shape saved with `Shape.as_json` (already checked when imported)."""
    return Shape([[[(p[0], p[1]) for p in ring] for ring in polygon] for polygon in stored])


def _on_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> bool:
    (x1, y1), (x2, y2) = a, b
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    if abs(cross) > 1e-12:
        return False
    return min(x1, x2) - 1e-12 <= x <= max(x1, x2) + 1e-12 and (
        min(y1, y2) - 1e-12 <= y <= max(y1, y2) + 1e-12
    )


def _in_ring(ring: Ring, x: float, y: float) -> bool | None:
    """True inside, False outside, None on the boundary (crossing-number rule)."""
    inside = False
    for a, b in itertools.pairwise(ring):
        if _on_segment(x, y, a, b):
            return None
        (x1, y1), (x2, y2) = a, b
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _in_polygon(polygon: Polygon, x: float, y: float) -> bool:
    outer = _in_ring(polygon[0], x, y)
    if outer is None:
        return True
    if not outer:
        return False
    for hole in polygon[1:]:
        in_hole = _in_ring(hole, x, y)
        if in_hole:  # strictly inside a hole; its edge still belongs to the commune
            return False
    return True
