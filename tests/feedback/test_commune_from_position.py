"""A report with a map pin or a photo's GPS but no commune gets the commune whose imported
boundary contains the position, and is routed by that commune's rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tinhso.feedback import actions
from tinhso.places.boundaries import import_boundaries


def square(west: float, south: float, size: float) -> dict[str, object]:
    ring = [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def boundaries(communes):
    import_boundaries(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"ma_xa": communes["buon-ma-thuot"].code},
                    "geometry": square(108.0, 12.6, 0.1),
                }
            ],
        },
        actor=None,
    )


@pytest.mark.django_db
def test_a_pin_inside_a_boundary_names_the_commune_and_its_route(
    new_report, communes, agencies, boundaries
):
    report = actions.submit_report(new_report(commune=None))
    assert report.commune == communes["buon-ma-thuot"]
    assert report.agency == agencies["BMT"]  # the commune's rule, not the department's


@pytest.mark.django_db
def test_a_photo_gps_position_names_the_commune(new_report, communes, boundaries, clean):
    report = actions.submit_report(
        new_report(commune=None, lat=None, long=None, address="", photos=(clean,))
    )
    assert report.commune == communes["buon-ma-thuot"]


@pytest.mark.django_db
def test_a_pin_outside_every_boundary_keeps_the_default_route(new_report, agencies, boundaries):
    report = actions.submit_report(
        new_report(commune=None, lat=Decimal("12.900000"), long=Decimal("108.300000"))
    )
    assert report.commune is None
    assert report.agency == agencies["SXD"]


@pytest.mark.django_db
def test_the_commune_the_reporter_chose_wins(new_report, communes, boundaries):
    report = actions.submit_report(new_report(commune=communes["ea-kao"]))
    assert report.commune == communes["ea-kao"]
