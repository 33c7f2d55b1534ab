"""The pure Open311 document builder: escaping, booleans, nulls, lists, W3C dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from tinhso.feedback import open311


def test_text_is_escaped_in_xml_and_kept_in_json():
    doc = open311.Document(
        "services", "service", [{"description": 'a < b & "c"', "metadata": True}]
    )
    root = etree.fromstring(doc.xml().encode())
    assert root.findtext("service/description") == 'a < b & "c"'
    assert root.findtext("service/metadata") == "true"
    assert json.loads(doc.json()) == [{"description": 'a < b & "c"', "metadata": True}]


def test_none_is_null_in_json_and_an_empty_element_in_xml():
    doc = open311.Document("service_requests", "request", [{"account_id": None}])
    assert doc.json() == '[{"account_id": null}]'
    assert doc.xml().endswith(
        "<service_requests><request><account_id></account_id></request></service_requests>"
    )


def test_coordinates_are_numbers_in_json():
    doc = open311.Document("x", "y", [{"lat": Decimal("12.667800")}])
    assert json.loads(doc.json()) == [{"lat": 12.6678}]


def test_lists_use_the_specifications_item_names():
    doc = open311.Document(
        "discovery", None, {"endpoints": [{"formats": ["text/xml", "application/json"]}]}
    )
    assert doc.xml().endswith(
        "<discovery><endpoints><endpoint><formats><format>text/xml</format>"
        "<format>application/json</format></formats></endpoint></endpoints></discovery>"
    )


def test_dates_are_w3c_in_vietnam_time_without_microseconds():
    moment = datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=UTC)
    assert open311.w3c(moment) == "2026-11-23T09:00:00+07:00"
    assert open311.w3c(None) is None
