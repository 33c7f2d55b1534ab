"""The overview's reads compiled by the ORM once per shape and process, run prepared (issue 16).

Building and compiling the overview's six querysets took about 4 ms of its ~13 ms of Python
per request (cProfile, 1M bench database), more than most of them take to run; their shape
only changes with the number of the unit's agencies and the kind of period. As the public
look-up (`dossiers.queries._compiled_public_read`) and Open311's range
(`feedback.queries._compiled_range`) do: the ORM compiles each read once with marker values,
each marker's place among the parameters is noted, and every request runs that SQL with its
own values (prepared on PostgreSQL: `tinhso.core.prepared`). Rows come back as the driver's
tuples through the compiler's converters (the same values the queryset would give), without
building dictionaries or model instances.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from tinhso.core.compiled_reads import check_markers
from tinhso.core.prepared import prepared_cursor

# Marker values: an id list's markers are negative (no row has one), dates and moments fall
# in the year 1001 (no period or dossier does); each compiles to a parameter of its own.
_ID_BASE = -(10**15)
_DATE_BASE = date(1001, 1, 1)


@dataclass(frozen=True)
class _Slot:
    name: str
    kind: str  # "id" (an element of a list), "date", "moment"
    index: int = 0


@dataclass(frozen=True)
class _Compiled:
    sql: str | None  # None: the read is empty whatever the values (an empty id list)
    params: tuple[Any, ...]
    compiler: Any
    columns: tuple[str, ...]


_COMPILED: dict[tuple[Any, ...], _Compiled] = {}


class Markers:
    """Marker values handed to a read's builder in place of the request's values."""

    def __init__(self) -> None:
        self.slots: dict[Any, _Slot] = {}
        self._days = 0

    def ids(self, name: str, count: int) -> list[int]:
        out = []
        for i in range(count):
            value = _ID_BASE - len(self.slots)
            self.slots[value] = _Slot(name, "id", i)
            out.append(value)
        return out

    def date(self, name: str) -> date:
        value = date.fromordinal(_DATE_BASE.toordinal() + self._next())
        self.slots[value] = _Slot(name, "date")
        return value

    def moment(self, name: str) -> datetime:
        value = datetime.combine(
            date.fromordinal(_DATE_BASE.toordinal() + self._next()), datetime.min.time(), UTC
        )
        self.slots[value] = _Slot(name, "moment")
        return value

    def _next(self) -> int:
        self._days += 1
        return self._days


def _prep(slot_kind: str, value: Any, connection: Any) -> Any:
    if slot_kind == "date":
        return connection.ops.adapt_datefield_value(value)
    if slot_kind == "moment":
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _compile(db: str, build: Callable[[Markers], QuerySet[Any]]) -> _Compiled:
    connection = connections[db]
    markers = Markers()
    queryset = build(markers)
    compiler = queryset.query.get_compiler(using=db)
    query = queryset.query
    columns = (*query.extra_select, *query.values_select, *query.annotation_select)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _Compiled(sql=None, params=(), compiler=compiler, columns=columns)
    prepped = {_prep(s.kind, v, connection): s for v, s in markers.slots.items()}
    marked = []
    for value in params:
        try:
            slot = prepped.get(value)
        except TypeError:  # an unhashable parameter (a JSON value): the query's own
            slot = None
        marked.append(slot if slot is not None else value)
    bound = {id(s) for s in marked if isinstance(s, _Slot)}
    check_markers([s.name for s in prepped.values() if id(s) not in bound])
    return _Compiled(sql=sql, params=tuple(marked), compiler=compiler, columns=columns)


def rows(
    name: str,
    shape: Hashable,
    build: Callable[[Markers], QuerySet[Any]],
    values: Mapping[str, Any],
    *,
    db: str = "default",
) -> list[tuple[Any, ...]]:
    """The rows of the read `name` of this `shape` (what its SQL depends on besides the
    values: the number of ids, a period's kind...) with `values` in place of the markers
    `build` asked for, as tuples in the order of the queryset's columns (`columns`)."""
    compiled = compiled_read(name, shape, build, db=db)
    if compiled.sql is None:
        return []
    connection = connections[db]
    params = []
    for p in compiled.params:
        if isinstance(p, _Slot):
            value = values[p.name]
            params.append(_prep(p.kind, value[p.index] if p.kind == "id" else value, connection))
        else:
            params.append(p)
    with prepared_cursor(db) as cursor:
        cursor.execute(compiled.sql, params)
        raw = cursor.fetchall()
    return list(compiled.compiler.results_iter(results=[raw], tuple_expected=True))


def compiled_read(
    name: str, shape: Hashable, build: Callable[[Markers], QuerySet[Any]], *, db: str = "default"
) -> _Compiled:
    key = (name, db, connections[db].vendor, shape)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _compile(db, build)
        if len(_COMPILED) > 512:  # shapes are bounded (units' sizes); kept bounded anyway
            _COMPILED.clear()
        _COMPILED[key] = compiled
    return compiled


def columns(name: str, shape: Hashable, build: Callable[[Markers], QuerySet[Any]]) -> Sequence[str]:
    return compiled_read(name, shape, build).columns
