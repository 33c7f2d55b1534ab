"""Small model reads of a hot path compiled by the ORM once per process, run prepared (issue 12).

The API's submission read its procedure version, the citizen, the components and the
idempotency key with querysets whose building and compiling cost more CPU than running them
(cProfile: the ORM's `as_sql` was about a third of the request's Python). Their shape never
changes, only a value or two. As the public look-up (`dossiers.queries._compiled_public_read`)
and the IOC's overview (`ioc.compiled`) do, each read is compiled once with marker values,
each marker's place among the parameters is noted, and every call runs that SQL with its own
values on a prepared cursor (`tinhso.core.prepared`: parsed and planned once per connection
on PostgreSQL). Rows become model instances as the queryset's own iterator makes them
(`Model.from_db` and the `select_related` populators), so callers get the same objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from tinhso.core.prepared import prepared_cursor

_M = TypeVar("_M", bound=Model)

# Marker values: ids are negative (no row has one), texts start with NUL (no value does).
_ID_BASE = -(10**15)


@dataclass(frozen=True)
class _Slot:
    name: str


class Markers:
    """Marker values handed to a read's builder in place of the call's values."""

    def __init__(self) -> None:
        self.names: dict[Any, str] = {}

    def text(self, name: str) -> str:
        value = f"\x00{name}"
        self.names[value] = name
        return value

    def id(self, name: str) -> int:
        value = _ID_BASE - len(self.names)
        self.names[value] = name
        return value


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    compiler: Any
    # model rows: the model, its columns' attnames and place in the row, the populators
    model: type[Model] | None
    init_list: tuple[str, ...]
    start: int
    end: int
    populators: tuple[Any, ...]


_COMPILED: dict[tuple[str, str, str], _Compiled] = {}


def first_of(rows: QuerySet[_M]) -> QuerySet[_M]:
    """`rows` as `.first()` reads them: its own order, else the primary key's; one row."""
    return (rows if rows.ordered else rows.order_by("pk"))[:1]


class MarkerNotBound(Exception):
    """A read's marker did not become a parameter of its own (compiled once, it would stay)."""


def check_markers(missing: Sequence[str]) -> None:
    """Every marker the builder asked for must be one of the compiled SQL's parameters as it
    was given: a lookup that transforms its value first (`__startswith` makes '\x00code%')
    bakes the marker into the SQL, and every later call would query the marker instead of
    its own value, silently."""
    if missing:
        raise MarkerNotBound(
            f"marker(s) {', '.join(sorted(missing))} not among the compiled parameters: "
            "a lookup transformed the value before binding it (startswith, contains...); "
            "give the builder the value the lookup binds, or read without a marker there"
        )


def _compile(db: str, build: Callable[[Markers], QuerySet[Any]]) -> _Compiled:
    markers = Markers()
    queryset = build(markers)
    compiler = queryset.query.get_compiler(using=db)
    sql, params = compiler.as_sql()
    marked = tuple(
        _Slot(markers.names[p]) if isinstance(p, str | int) and p in markers.names else p
        for p in params
    )
    bound = {p for p in params if isinstance(p, str | int) and p in markers.names}
    check_markers([n for v, n in markers.names.items() if v not in bound])
    if queryset._fields is not None:  # type: ignore[attr-defined]  # values(): tuples
        return _Compiled(sql, marked, compiler, None, (), 0, 0, ())
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Compiled(
        sql=sql,
        params=marked,
        compiler=compiler,
        model=klass_info["model"],
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        start=start,
        end=end,
        # the stubs follow a later Django's signature (fetch_mode)
        populators=tuple(get_related_populators(klass_info, select, db)),  # type: ignore[call-arg]
    )


def _run(
    name: str, model: type[Model], build: Callable[[Markers], QuerySet[Any]], values: Mapping
) -> tuple[_Compiled, str, Any]:
    db = model._default_manager.db
    key = (name, db, connections[db].vendor)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = _compile(db, build)
    params = [values[p.name] if isinstance(p, _Slot) else p for p in compiled.params]
    with prepared_cursor(db) as cursor:
        cursor.execute(compiled.sql, params)
        raw = cursor.fetchall()
    return compiled, db, compiled.compiler.results_iter(results=[raw])


def objects(
    name: str, model: type[_M], build: Callable[[Markers], QuerySet[_M]], values: Mapping
) -> list[_M]:
    """The instances the queryset `build` makes (with marker values in place of `values`)
    would give, `select_related` ones included. `name` names the read's one shape."""
    compiled, db, results = _run(name, model, build, values)
    assert compiled.model is not None, f"{name}: a values() read, use rows()"
    out = []
    for row in results:
        obj = compiled.model.from_db(db, compiled.init_list, row[compiled.start : compiled.end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        out.append(obj)
    return out  # type: ignore[return-value]


def rows(
    name: str, model: type[Model], build: Callable[[Markers], QuerySet[Any]], values: Mapping
) -> list[tuple[Any, ...]]:
    """The rows of a `values_list()` read, as tuples."""
    _compiled, _db, results = _run(name, model, build, values)
    return [tuple(row) for row in results]
