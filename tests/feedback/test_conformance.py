"""The conformance checker itself finds the mistakes it is there to find."""

from __future__ import annotations

import copy

from lxml import etree

from .conformance import compare_json, compare_xml, example_json, example_xml


def test_the_examples_conform_to_themselves():
    for name in ("discovery", "services", "service_definition", "requests", "token", "errors"):
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
