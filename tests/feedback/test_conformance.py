"""The conformance checker itself finds the mistakes it is there to find."""

from __future__ import annotations

import copy

from lxml import etree

from .conformance import compare_json, compare_xml, example_json, example_xml


def test_the_examples_conform_to_themselves():
    names = ("discovery", "services", "service_definition", "requests", "post_request")
    for name in (*names, "token", "errors"):
        assert compare_json(example_json(name), example_json(name)) == []
        assert compare_xml(example_xml(name), example_xml(name)) == []


def test_a_missing_or_renamed_field_is_found():
    ours = copy.deepcopy(example_json("requests"))
    ours[0]["latitude"] = ours[0].pop("lat")
    assert compare_json(example_json("requests"), ours) == [
        "$[0]: keys " + str(sorted(ours[0])) + " != " + str(sorted(example_json("requests")[0]))
    ]


def test_wrong_kinds_are_found():
    ours = copy.deepcopy(example_json("services"))
    ours[0]["metadata"] = "true"
    assert compare_json(example_json("services"), ours) == [
        "$[0].metadata: text 'true' where the example has boolean"
    ]
    ours = copy.deepcopy(example_json("requests"))
    ours[0]["requested_datetime"] = "2010-04-14 06:37:38"
    assert compare_json(example_json("requests"), ours) == [
        "$[0].requested_datetime: text '2010-04-14 06:37:38' where the example has datetime"
    ]


def test_xml_elements_and_booleans_are_checked():
    ours = etree.fromstring(
        b"<services><service><service_code>1</service_code><service_name>a</service_name>"
        b"<description/><metadata>yes</metadata><type>realtime</type><keywords/>"
        b"<group/></service></services>"
    )
    assert compare_xml(example_xml("services"), ours) == [
        "/services/service/metadata: text 'yes' where the example has boolean"
    ]
    ours = etree.fromstring(b"<requests><request/></requests>")
    assert compare_xml(example_xml("requests"), ours) == [
        "/requests: element <requests> where the example has <service_requests>"
    ]


def test_the_examples_are_the_specifications_own():
    """Spot checks against http://wiki.open311.org/GeoReport_v2 and /Service_Discovery."""
    assert [s["service_code"] for s in example_json("services")] == ["001", "002", "003"]
    assert [r["service_request_id"] for r in example_json("requests")] == [638344, 638349]
    assert example_json("requests")[1]["status_notes"] is None
    assert example_json("discovery")["changeset"] == "2011-02-03 14:18"
    assert len(example_json("discovery")["endpoints"]) == 3
    assert list(example_json("post_request")[0]) == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    assert example_xml("post_request").find("request/token") is None
    assert example_xml("requests").findtext("request/media_url").endswith(".jpg ")


def test_a_sortable_changeset_accepts_a_w3c_date_but_other_text_fields_do_not():
    ours = copy.deepcopy(example_json("discovery"))
    ours["changeset"] = "2026-11-23T09:30:00+07:00"
    assert compare_json(example_json("discovery"), ours) == []
    ours["contact"] = "2026-11-23T09:30:00+07:00"
    assert compare_json(example_json("discovery"), ours) == [
        "$.contact: datetime '2026-11-23T09:30:00+07:00' where the example has text"
    ]
