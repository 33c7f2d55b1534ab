"""Commune boundaries: the point-in-polygon rule (holes, edges, several parts), the import
(all or nothing, audited) and the command, and the commune found at a position."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support import ROOT, database_url_for_subprocess, subprocess_env
from tinhso.core.models import AuditRecord
from tinhso.places.boundaries import BoundaryImportError, commune_at, import_boundaries
from tinhso.places.geo import GeometryError, shape_from_geojson
from tinhso.places.models import Commune, CommuneBoundary, DivisionType, Province


def square(west: float, south: float, size: float) -> list[list[float]]:
    return [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]


# A square commune with a hole (a lake that belongs to its neighbour, which also has a piece
# on the east side: a MultiPolygon).
WEST = {"type": "Polygon", "coordinates": [square(108.0, 12.6, 0.1), square(108.04, 12.64, 0.02)]}
EAST = {
    "type": "MultiPolygon",
    "coordinates": [[square(108.1, 12.6, 0.1)], [square(108.04, 12.64, 0.02)]],
}


def feature(code: object, geometry: object) -> dict[str, object]:
    return {"type": "Feature", "properties": {"ma_xa": code}, "geometry": geometry}


def collection(*features: dict[str, object]) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_a_point_in_the_hole_is_not_in_the_commune_around_it():
    west = shape_from_geojson(WEST)
    east = shape_from_geojson(EAST)
    assert west.contains(12.62, 108.02)
    assert not west.contains(12.65, 108.05)  # the lake
    assert east.contains(12.65, 108.05)  # the lake's own commune
    assert east.contains(12.65, 108.15)
    assert not east.contains(12.65, 108.02)


def test_a_point_on_the_shared_edge_belongs_to_both_sides():
    assert shape_from_geojson(WEST).contains(12.65, 108.1)
    assert shape_from_geojson(EAST).contains(12.65, 108.1)


def test_the_bounding_box_spans_every_part():
    assert shape_from_geojson(EAST).bbox == pytest.approx((108.04, 12.6, 108.2, 12.7))


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [108.0, 12.6]}, "only Polygon and MultiPolygon"),
        (
            {"type": "Polygon", "coordinates": [[[108.0, 12.6], [108.1, 12.6], [108.0, 12.6]]]},
            "four",
        ),
        (
            {"type": "Polygon", "coordinates": [[*square(108.0, 12.6, 0.1)[:-1], [0, 0]]]},
            "end where",
        ),
        ({"type": "Polygon", "coordinates": [square(12.6, 108.0, 0.1)]}, "not a WGS 84"),
        (None, "no geometry"),
    ],
)
def test_bad_geometries_are_named(geometry, message):
    with pytest.raises(GeometryError, match=message):
        shape_from_geojson(geometry)


@pytest.fixture
def two_communes(db) -> tuple[Commune, Commune]:
    # Codes no real commune has: the package's other tests may have imported the real ones.
    province, _ = Province.objects.get_or_create(
        code=66,
        defaults={"name": "Đắk Lắk", "division_type": DivisionType.PROVINCE, "codename": "dak_lak"},
    )
    make = Commune.objects.create
    return (
        make(
            code=99121,
            name="Tây",
            division_type=DivisionType.WARD,
            codename="tay",
            province=province,
        ),
        make(
            code=99122,
            name="Đông",
            division_type=DivisionType.COMMUNE,
            codename="dong",
            province=province,
        ),
    )


def test_the_commune_at_a_position(two_communes):
    west, east = two_communes
    import_boundaries(collection(feature(99121, WEST), feature("99122", EAST)), actor=None)
    assert commune_at(12.62, 108.02) == west
    assert commune_at(12.65, 108.05) == east  # in the lake
    assert commune_at(12.65, 108.15) == east
    assert commune_at(12.9, 108.15) is None  # outside every boundary
    record = AuditRecord.objects.get(action="places.boundaries_imported")
    assert record.changes["communes"] == [99121, 99122]


def test_a_reimport_replaces_the_boundary(two_communes):
    west, _ = two_communes
    import_boundaries(collection(feature(99121, WEST)), actor=None)
    moved = {"type": "Polygon", "coordinates": [square(109.0, 13.0, 0.1)]}
    import_boundaries(collection(feature(99121, moved)), actor=None)
    assert CommuneBoundary.objects.count() == 1
    assert commune_at(12.62, 108.02) is None
    assert commune_at(13.05, 109.05) == west


def test_one_bad_feature_imports_nothing_and_every_problem_is_named(two_communes):
    with pytest.raises(BoundaryImportError) as caught:
        import_boundaries(
            collection(
                feature(99121, WEST),
                feature("abc", EAST),
                feature(99999, EAST),
                feature(99122, {"type": "LineString", "coordinates": []}),
            ),
            actor=None,
        )
    assert caught.value.problems == [
        "feature 2: no commune code in property 'ma_xa'",
        "feature 4 (commune 99122): geometry type 'LineString': only Polygon and MultiPolygon "
        "bound a commune",
        "commune 99999 is not in the database",
    ]
    assert not CommuneBoundary.objects.exists()
    assert not AuditRecord.objects.filter(action="places.boundaries_imported").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_command_imports_a_file_with_another_code_property(two_communes, tmp_path):
    path = tmp_path / "ranh-gioi.geojson"
    data = collection(feature(99121, WEST))
    data["features"][0]["properties"] = {"MaXa": "99121"}  # type: ignore[index]
    path.write_text(json.dumps(data), encoding="utf-8")
    env = subprocess_env(DATABASE_URL=database_url_for_subprocess())
    run = subprocess.run(
        [
            str(ROOT / ".venv/bin/tinhso"),
            "places",
            "import-boundaries",
            str(path),
            "--code-property",
            "MaXa",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "1 commune boundaries imported" in run.stdout
    assert commune_at(12.62, 108.02) == two_communes[0]
    bad = subprocess.run(
        [str(ROOT / ".venv/bin/tinhso"), "places", "import-boundaries", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode != 0
    assert "nothing imported: feature 1: no commune code in property 'ma_xa'" in bad.stderr
