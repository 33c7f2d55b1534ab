"""Field-by-field comparison of our Open311 responses with the specification's examples.

Both documents are reduced to their shape: the same element or key names at every level, and
for each value its kind (boolean, number, W3C date-time with a zone, text, empty). Where the
example writes an identifier as a number (`638344`) the specification defines a string, so a
string is accepted there; where the example leaves a text field empty (`null`, `<x></x>`), any
text is accepted. Service Discovery's `changeset` is "a sortable field" whose example is
`2011-02-03 14:18` (no zone): a W3C date-time, which sorts the same way, is accepted there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lxml import etree

EXAMPLES = Path(__file__).parent / "spec_examples"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# Fields the specification types as strings although its examples show numbers.
STRING_IDS = {"service_request_id", "service_code", "address_id", "zipcode", "token", "key"}
# Service Discovery: "Sortable field that specifies the last time this document was updated."
SORTABLE = {"changeset"}
# Fields the specification marks optional in a service request ("may be empty"): empty is fine.
OPTIONAL = {
    "status_notes",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    "account_id",
    "service_notice",
}


def example_json(name: str) -> Any:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def example_xml(name: str) -> etree._Element:
    return etree.fromstring((EXAMPLES / f"{name}.xml").read_bytes())


def kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str) and W3C.match(value):
        return "datetime"
    return "text"


def compatible(field: str, example: str, ours: str) -> bool:
    if example == ours:
        return True
    if field in SORTABLE and example == "text" and ours == "datetime":
        return True
    if ours == "empty" and field in OPTIONAL:
        return True
    if example == "empty":
        return ours in {"text", "empty"}
    if example == "number" and field in STRING_IDS:
        return ours == "text"
    if example == "text":
        return ours == "empty"
    return False


def compare_json(
    example: Any, ours: Any, path: str = "$", extra: frozenset[str] = frozenset()
) -> list[str]:
    """Differences between the example and our document (empty list: they conform)."""
    problems: list[str] = []
    if isinstance(example, dict):
        if not isinstance(ours, dict):
            return [f"{path}: expected an object, got {type(ours).__name__}"]
        if set(ours) - extra != set(example):
            problems.append(f"{path}: keys {sorted(ours)} != {sorted(example)}")
        for key in example:
            if key in ours:
                problems += compare_json(example[key], ours[key], f"{path}.{key}", extra)
        return problems
    if isinstance(example, list):
        if not isinstance(ours, list):
            return [f"{path}: expected an array, got {type(ours).__name__}"]
        if example and not ours:
            return [f"{path}: expected items, got none"]
        for index, item in enumerate(ours):
            problems += compare_json(
                example[min(index, len(example) - 1)], item, f"{path}[{index}]", extra
            )
        return problems
    field = path.rsplit(".", 1)[-1]
    if not compatible(field, kind(example), kind(ours)):
        problems.append(f"{path}: {kind(ours)} {ours!r} where the example has {kind(example)}")
    return problems


def xml_kind(element: etree._Element) -> str:
    text = (element.text or "").strip()
    if not text:
        return "empty"
    if text in {"true", "false"}:
        return "boolean"
    if W3C.match(text):
        return "datetime"
    if NUMBER.match(text):
        return "number"
    return "text"


def compare_xml(
    example: etree._Element,
    ours: etree._Element,
    path: str = "",
    extra: frozenset[str] = frozenset(),
) -> list[str]:
    path = f"{path}/{ours.tag}"
    if example.tag != ours.tag:
        return [f"{path}: element <{ours.tag}> where the example has <{example.tag}>"]
    problems: list[str] = []
    example_children, our_children = list(example), list(ours)
    if example_children:
        names = {c.tag for c in our_children} - extra
        if names != {c.tag for c in example_children}:
            problems.append(
                f"{path}: children {sorted(names)} != {sorted({c.tag for c in example_children})}"
            )
        for index, child in enumerate(our_children):
            if child.tag in extra:
                continue
            same = [c for c in example_children if c.tag == child.tag]
            if same:
                problems += compare_xml(
                    same[min(index, len(same) - 1)] if len(same) > 1 else same[0],
                    child,
                    path,
                    extra,
                )
        return problems
    if our_children:
        return [f"{path}: has children where the example has text"]
    ex, mine = xml_kind(example), xml_kind(ours)
    # XML has no types: a number is also acceptable text where the example has text.
    if not (compatible(ours.tag, ex, mine) or (ex == "text" and mine == "number")):
        problems.append(f"{path}: {mine} {ours.text!r} where the example has {ex}")
    return problems
