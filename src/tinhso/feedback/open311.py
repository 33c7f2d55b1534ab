"""Open311 GeoReport v2 documents: field names, order, types and formats (no I/O).

Specification: http://wiki.open311.org/GeoReport_v2 (service discovery, services, service
definition, requests, tokens, errors). Dates are W3C (ISO 8601 with a time zone offset);
statuses are `open` and `closed`; XML is UTF-8 with the XML declaration; JSON bodies are
arrays except the service definition and discovery, which are objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from tinhso.core.text import strip_forbidden

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Field order of each record, as in the specification's examples.
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
ATTRIBUTE_FIELDS = (
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
)
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
CREATED_FIELDS = ("service_request_id", "service_notice", "account_id")
TOKEN_FIELDS = ("service_request_id", "token")


def w3c(moment: datetime | None) -> str | None:
    """2026-11-23T09:30:00+07:00: seconds, and the offset of Vietnam's time."""
    if moment is None:
        return None
    # timespec, not replace(microsecond=0): the same text without a copy of the datetime,
    # three times per row of a 1,000-row page (issue 12).
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


class Document:
    """One response: a root element, its items' element name, and the records."""

    def __init__(
        self, root: str, item: str | None, records: Sequence[Mapping[str, Any]] | Mapping[str, Any]
    ) -> None:
        self.root, self.item, self.records = root, item, records

    def json(self) -> str:
        return json.dumps(self.records, ensure_ascii=False, default=_number)

    def xml(self) -> str:
        body = (
            "".join(_element(self.item, r) for r in self.records)
            if self.item
            else "".join(_element(k, v) for k, v in self.records.items())  # type: ignore[union-attr]
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<{self.root}>{body}</{self.root}>'

    def render(self, fmt: str) -> str:
        return self.json() if fmt == "json" else self.xml()


def _number(value: Any) -> float:
    """JSON has no decimals: coordinates are written as numbers."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Second guard (tinhso.core.text.normalize drops them on the way in): a character XML 1.0
    # does not allow would make the whole document unreadable for every client.
    return escape(strip_forbidden(str(value)))


# Lists inside records: the XML element name of their items.
LIST_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _element(name: str, value: Any) -> str:
    if isinstance(value, Mapping):
        inner = "".join(_element(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list | tuple):
        item = LIST_ITEMS.get(name, "item")
        return f"<{name}>{''.join(_element(item, v) for v in value)}</{name}>"
    return f"<{name}>{_text(value)}</{name}>"


def errors(items: Sequence[tuple[int, str]]) -> Document:
    return Document("errors", "error", [{"code": c, "description": d} for c, d in items])


def service(
    *, code: str, name: str, description: str, metadata: bool, keywords: str, group: str
) -> dict[str, Any]:
    return {
        "service_code": code,
        "service_name": name,
        "description": description,
        "metadata": metadata,
        "type": "realtime",
        "keywords": keywords,
        "group": group,
    }


def attribute(
    *,
    code: str,
    datatype: str,
    required: bool,
    datatype_description: str,
    order: int,
    description: str,
    values: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": datatype_description or None,
        "order": order,
        "description": description,
        "values": [{"key": v.get("key"), "name": v.get("name")} for v in values],
    }
