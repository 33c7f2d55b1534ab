"""Reads compiled once with marker values (`core.compiled_reads`, `ioc.compiled`): a marker
that a lookup transforms before binding would be baked into the SQL; compiling refuses it."""

from __future__ import annotations

import pytest

from tinhso.catalogue.models import ProcedureVersion
from tinhso.core import compiled_reads
from tinhso.ioc import compiled

pytestmark = pytest.mark.django_db


def test_a_transformed_text_marker_is_refused():
    # startswith binds '\x00code%', not the marker: every later call would query '\x00code%'
    with pytest.raises(compiled_reads.MarkerNotBound, match="code"):
        compiled_reads.objects(
            "test.startswith",
            ProcedureVersion,
            lambda m: ProcedureVersion.objects.filter(procedure__code__startswith=m.text("code")),
            {"code": "HT"},
        )


def test_a_marker_bound_as_given_compiles_and_runs():
    found = compiled_reads.objects(
        "test.exact",
        ProcedureVersion,
        lambda m: ProcedureVersion.objects.filter(procedure__code=m.text("code")),
        {"code": "no-such-code"},
    )
    assert found == []


def test_ioc_a_transformed_marker_is_refused():
    # arithmetic on an id marker: the bound value is no longer the marker
    with pytest.raises(compiled_reads.MarkerNotBound, match="ids"):
        compiled.rows(
            "test.shifted",
            1,
            lambda m: ProcedureVersion.objects.filter(pk__gt=m.ids("ids", 1)[0] + 1).values_list(
                "pk"
            ),
            {"ids": [1]},
        )
