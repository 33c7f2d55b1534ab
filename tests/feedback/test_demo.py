"""The demo data: categories, routing for the demo communes, published reports; idempotent."""

from __future__ import annotations

import pytest

from tinhso.feedback import demo
from tinhso.feedback.models import Category, Report, RoutingRule
from tinhso.places.models import Agency


@pytest.mark.django_db
def test_load_demo_twice_creates_everything_once():
    demo.load_demo()
    demo.load_demo()
    assert sorted(Category.objects.values_list("code", flat=True)) == [
        "chieu-sang",
        "giao-thong",
        "ngap-ung",
        "rac-thai",
        "trat-tu",
        "xay-dung",
    ]
    communes = demo.demo_communes()
    assert RoutingRule.objects.filter(commune=None).count() == 6
    assert RoutingRule.objects.filter(commune__in=communes).count() == 9
    local = RoutingRule.objects.get(category__code="rac-thai", commune=communes[0])
    assert local.agency == Agency.objects.get(level="commune", commune=communes[0])
    assert (
        RoutingRule.objects.get(category__code="xay-dung", commune=None).agency.short_name == "SXD"
    )
    assert sorted(Report.objects.values_list("state", flat=True)) == [
        "in_progress",
        "received",
        "resolved",
    ]
    assert all(r.is_public for r in Report.objects.all())


@pytest.mark.django_db
def test_every_demo_report_carries_a_stripped_photo():
    from PIL import Image

    demo.load_demo()
    for report in Report.objects.all():
        photos = list(report.photos.all())
        assert len(photos) == 1 and photos[0].kind == "photo"
        with photos[0].image.open("rb") as stored, Image.open(stored) as image:
            assert image.format == "JPEG" and image.size == (640, 480)
            assert not image.getexif()  # nothing but pixels, as for an upload
