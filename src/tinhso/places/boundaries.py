"""Commune boundaries: import from a GeoJSON FeatureCollection, and the commune at a position.

Legal source: the boundaries themselves are the province's (Law on Local Government
Organisation 2025 and the resolutions that rearranged its communes); tinhso ships none, since
no open data set of the post-2025 communes is published [UNCONFIRMED: check with the
province's Department of Agriculture and Environment]. Each feature names its commune by the
GSO code in a property (default `ma_xa`, configurable per file).

An import is one transaction with one audit record: a file with any bad feature changes
nothing, and the message names every bad feature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from tinhso.core import audit
from tinhso.places.geo import GeometryError, shape_from_geojson, shape_from_json
from tinhso.places.models import Commune, CommuneBoundary


class BoundaryImportError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class BoundaryImport:
    imported: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.imported)} commune boundaries imported"


def import_boundaries(
    collection: Mapping[str, Any], *, code_property: str = "ma_xa", source: str = "", actor: Any
) -> BoundaryImport:
    """Create or replace the boundaries of the communes the features name."""
    if collection.get("type") != "FeatureCollection" or not isinstance(
        collection.get("features"), list
    ):
        raise BoundaryImportError(["the file is not a GeoJSON FeatureCollection"])
    problems: list[str] = []
    shapes = {}
    for number, feature in enumerate(collection["features"], start=1):
        if not isinstance(feature, dict):
            problems.append(f"feature {number}: not a GeoJSON Feature")
            continue
        raw_code = (feature.get("properties") or {}).get(code_property)
        try:
            code = int(str(raw_code).strip())
        except ValueError:
            problems.append(f"feature {number}: no commune code in property {code_property!r}")
            continue
        try:
            shapes[code] = shape_from_geojson(feature.get("geometry"))
        except GeometryError as exc:
            problems.append(f"feature {number} (commune {code}): {exc}")
    communes = {c.code: c for c in Commune.objects.filter(code__in=shapes)}
    problems += [
        f"commune {code} is not in the database" for code in shapes if code not in communes
    ]
    if problems:
        raise BoundaryImportError(problems)
    result = BoundaryImport()
    with transaction.atomic():
        for code, shape in shapes.items():
            west, south, east, north = shape.bbox
            CommuneBoundary.objects.update_or_create(
                commune=communes[code],
                defaults={
                    "polygons": shape.as_json(),
                    "west": west,
                    "south": south,
                    "east": east,
                    "north": north,
                    "source": source[:200],
                },
            )
            result.imported.append(code)
        audit.record(
            "places.boundaries_imported",
            actor=actor,
            object_type="places.communeboundary",
            changes={"communes": sorted(result.imported), "source": source},
        )
    return result


def commune_at(lat: float, long: float) -> Commune | None:
    """The commune whose boundary contains the position, or None when no imported boundary
    does (no data, or a point at sea)."""
    candidates = CommuneBoundary.objects.filter(
        south__lte=lat, north__gte=lat, west__lte=long, east__gte=long
    ).select_related("commune")
    for boundary in candidates:
        if shape_from_json(boundary.polygons).contains(lat, long):
            return boundary.commune
    return None
