"""Demo seals for electronic results: the deciding agency of a demo dossier gets its TEST
agency certificate (the documents demo's TEST CA, trusted by the demo) before its result is
issued, so the demo's returned result is an electronic result with a working /xac-thuc/ code.

Not a loader of its own (no `load_demo`): `tinhso.dossiers.demo` calls `ensure_seal` for the
dossier whose result it issues. Never in production. Legal source: Decree 45/2020/NĐ-CP
(electronic results); the certificates say TEST and have no legal value.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from tinhso.core import context


def ensure_seal(agency: Any) -> None:
    """The TEST CA (created and trusted if missing) and `agency`'s TEST seal certificate."""
    if settings.MODE == "production":
        raise RuntimeError("demo seals are not for production")
    from tinhso.documents import demo as documents_demo

    with context.acting_as(None, channel="command"), transaction.atomic():
        documents_demo._ensure_agency_key(documents_demo._ca(), agency)
