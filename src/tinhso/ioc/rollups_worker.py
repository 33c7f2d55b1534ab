"""The worker side of the bulk rollup rebuild (`ioc/rollups_rebuild.py`; docs/ioc.md,
"Rebuild"): a fresh process that computes the facts of one key range of dossiers with the
live handler's own functions and hands them back as COPY text. Legal source of what is
counted: Decision 766/QĐ-TTg (23/6/2022), through `ioc/index766.py`.

Nothing Django is imported at the top: the pool unpickles `compute_range` before the
initializer has set Django up.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

_fees: dict[int, bool] = {}  # procedure version → fee-bearing, kept for the worker's life


def init(name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.db import connections

    connections["default"].settings_dict["NAME"] = name  # the parent's (a test's) database


def compute_range(job: tuple[int, int, datetime]) -> tuple[int, str]:
    """The facts of the non-draft dossiers with after < id ≤ upto, as COPY text."""
    from django.db.models import Q

    from tinhso.dossiers.models import Dossier
    from tinhso.ioc import rollups, rollups_rebuild

    after, upto, now = job
    rows: list[dict[str, Any]] = list(
        Dossier.objects.filter(pk__gt=after, pk__lte=upto)
        .exclude(state=Dossier.State.DRAFT)
        .order_by("pk")
        .values(*rollups.FACT_FIELDS)
    )
    related = Q(dossier_id__gt=after, dossier_id__lte=upto)
    facts = list(rollups.facts_of_rows(rows, related, now=now, fees=_fees))
    return len(facts), rollups_rebuild.copy_text(facts)
