"""The overview's reads compiled by the ORM once per shape and process, run prepared (issue 16).

Building and compiling the overview's six querysets took about 4 ms of its ~13 ms of Python
per request (cProfile, 1M bench database), more than most of them take to run; their shape
only changes with the number of the unit's agencies and the kind of period. Each is compiled
once with marker values and run with the request's (see tinhso.core.compiled_reads); rows
come back as tuples through the compiler's converters (the values the queryset would give),
without building dictionaries or model instances.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from tinhso.core import compiled_reads
from tinhso.core.compiled_reads import Build, Markers

__all__ = ["Markers", "columns", "rows"]


def rows(
    name: str, shape: Hashable, build: Build, values: Mapping[str, Any], *, db: str = "default"
) -> list[tuple[Any, ...]]:
    """The rows of the read `name` of this `shape` (what its SQL depends on besides the
    values: the number of ids, a period's kind...) with `values` in place of the markers
    `build` asked for, as tuples in the order of the queryset's columns (`columns`)."""
    return compiled_reads.rows(f"ioc.{name}", db, build, values, shape=shape)


def columns(name: str, shape: Hashable, build: Build) -> tuple[str, ...]:
    return compiled_reads.columns(f"ioc.{name}", "default", build, shape=shape)
