"""Reads of the hot paths compiled by the ORM once per process and shape, run prepared (issue 12).

On the hot paths, building a queryset and compiling it cost more CPU than running its SQL
(cProfile: the public look-up's compiling was about 1.5 ms of a 2.7 ms request, the IOC
overview's six reads about 4 ms of its ~13 ms of Python, the ORM's `as_sql` a third of an API
submission's). Their SQL never changes for a given shape, only a few values. So each read is
a builder, a function of `Markers` returning the queryset: the first call of a shape builds
it with marker values in place of the call's values, the ORM compiles it, and each marker's
place among the parameters is noted; every call then runs that SQL with its own values on a
prepared cursor (`tinhso.core.prepared`: parsed and planned once per connection on
PostgreSQL). The one implementation, used by the submission's reads (`dossiers.api`,
`dossiers.actions`), the public look-up (`dossiers.queries`) and the IOC overview
(`ioc.compiled`).

A marker must reach the SQL as one parameter of its own, unchanged: a lookup that transforms
its value first (`__startswith` binds '\\x00code%', a date field takes a moment's date)
would bake the marker into the statement, and every later call would silently query the
marker instead of its own value. So each read is compiled twice at its first call, with two
sets of marker values that differ in every part: the SQL must be the same text and its
parameters may differ only where a marker stands as given, else `MarkerNotBound` names the
markers not bound. A value the builder reads itself is caught only when it changes between
the two compiles (the time); one that does not (today's date, a setting, a row read) would
stay in the statement for the process's life: every value a read depends on comes in as a
marker. A marker may
be absent only when nothing changes with it: the ORM dropped the part it was in (a UNION's
part empty for an empty id list).

The shape (`shape=`) is whatever the SQL depends on besides the values: the number of ids of
a list, a period's kind, which filters are given. A read empty whatever its values (an empty
id list) is known at compile time and answers [] without a query. Rows come back as the
queryset would give them: model instances (`objects`: `Model.from_db` and the
`select_related` populators, as the queryset's own iterator), or tuples of a `values_list()`
(`rows`) through the compiler's converters, or as the driver returns them (`convert=False`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from tinhso.core.prepared import prepared_cursor

_M = TypeVar("_M", bound=Model)

# The two sets of marker values (see the module's docstring): ids are negative (no row has
# one), texts start with NUL (no value does), dates and moments fall in the years 1001 and
# 1102 (no period, dossier or report does); the second set differs in every part of a date,
# and a text's second marker from the first in its start (both end with the marker's name).
_ID_BASES = (-(10**15), -(2 * 10**15))
_TEXT_PREFIXES = ("\x00", "\x00\x01")
_DAY_BASES = (datetime(1001, 1, 1, tzinfo=UTC), datetime(1102, 3, 15, 7, 13, tzinfo=UTC))

# Shapes kept per read. A shape is what the builder's SQL depends on, and some are the
# client's (Open311's page size is a literal in the SQL): a client cycling through them
# recompiles its own read, never the submission's, the look-up's or the overview's.
_SHAPES_PER_READ = 128


@dataclass(frozen=True)
class _Marker:
    name: str
    kind: str  # "text", "id" (one value, or element `index` of a list), "date", "moment"
    index: int = -1  # -1: the value itself, else its place in the list


class Markers:
    """Marker values handed to a read's builder in place of the call's values: ask for each
    value by the name it has in the call's `values`."""

    def __init__(self, variant: int = 0) -> None:
        self._variant = variant
        self.slots: dict[Any, _Marker] = {}  # marker value -> what it stands for
        self._days = 0

    def text(self, name: str) -> str:
        value = f"{_TEXT_PREFIXES[self._variant]}{name}"
        self.slots[value] = _Marker(name, "text")
        return value

    def id(self, name: str) -> int:
        return self._id(_Marker(name, "id"))

    def ids(self, name: str, count: int) -> list[int]:
        """`count` markers for the list `values[name]` (`count` belongs to the read's shape)."""
        return [self._id(_Marker(name, "id", i)) for i in range(count)]

    def date(self, name: str) -> date:
        value = self._day().date()
        self.slots[value] = _Marker(name, "date")
        return value

    def moment(self, name: str) -> datetime:
        """An aware datetime (a `DateTimeField`'s value)."""
        value = self._day()
        self.slots[value] = _Marker(name, "moment")
        return value

    def _id(self, marker: _Marker) -> int:
        value = _ID_BASES[self._variant] - len(self.slots)
        self.slots[value] = marker
        return value

    def _day(self) -> datetime:
        self._days += 1
        return _DAY_BASES[self._variant] + timedelta(days=self._days)


class MarkerNotBound(Exception):
    """A read's marker did not become a parameter of its own (compiled once, it would stay)."""


def check_markers(missing: Sequence[str]) -> None:
    """Refuses the markers `missing` from the compiled parameters as they were given: a lookup
    that transforms its value first (`__startswith` makes '\\x00code%') bakes the marker into
    the SQL, and every later call would query the marker instead of its own value, silently."""
    if missing:
        raise MarkerNotBound(
            f"marker(s) {', '.join(sorted(missing))} not among the compiled parameters: "
            "a lookup transformed the value before binding it (startswith, contains, a date "
            "lookup on a moment...); give the builder the value the lookup binds, or read "
            "without a marker there"
        )


Build = Callable[[Markers], QuerySet[Any]]


@dataclass(frozen=True)
class _Compiled:
    sql: str | None  # None: the read is empty whatever the values (an empty id list)
    params: tuple[Any, ...]  # the constants; a marker's places hold its own marker value
    # (place in params, name in values, index in the list or -1, the database's adaptation)
    slots: tuple[tuple[int, str, int, Callable[[Any], Any] | None], ...]
    compiler: Any
    converters: dict[int, Any]  # the compiler's, per column: the values the queryset gives
    columns: tuple[str, ...]  # of a values() / values_list() read
    # model rows: the model, its columns' attnames and place in the row, the populators
    model: type[Model] | None
    init_list: tuple[str, ...]
    start: int
    end: int
    populators: tuple[Any, ...]


_COMPILED: dict[tuple[Any, ...], _Compiled] = {}


def first_of(rows: QuerySet[_M]) -> QuerySet[_M]:
    """`rows` as `.first()` reads them: its own order, else the primary key's; one row."""
    return (rows if rows.ordered else rows.order_by("pk"))[:1]


def objects(
    name: str,
    model: type[_M],
    build: Callable[[Markers], QuerySet[_M]],
    values: Mapping[str, Any],
    *,
    shape: Hashable = None,
) -> list[_M]:
    """The instances the queryset `build` makes (with marker values in place of `values`)
    would give, `select_related` ones included. `name` names the read (give it its module:
    "dossiers.api.published_version"); `model`'s manager names its database."""
    db = model._default_manager.db
    compiled = _compiled(name, db, shape, build)
    assert compiled.model is not None, f"{name}: a values() read, use rows()"
    if compiled.sql is None:
        return []
    raw = _execute(compiled, db, values, False)
    if compiled.converters:
        raw = compiled.compiler.apply_converters(raw, compiled.converters)
    out = []
    cls, init_list, start, end = compiled.model, compiled.init_list, compiled.start, compiled.end
    for row in raw:
        obj = cls.from_db(db, init_list, row[start:end])
        for populator in compiled.populators:
            populator.populate(row, obj)
        out.append(obj)
    return out  # type: ignore[return-value]


def rows(
    name: str,
    using: type[Model] | str,
    build: Build,
    values: Mapping[str, Any],
    *,
    shape: Hashable = None,
    convert: bool = True,
    binary: bool = False,
    prepare: bool = True,
) -> list[tuple[Any, ...]]:
    """The rows of a `values()` or `values_list()` read, as tuples in the order of its
    `columns`: the queryset's values, or with `convert=False` the driver's (no per-value
    Python: a long page's datetimes and decimals cost more than its query). `using`: the
    model whose manager names the database, or the database's alias. `binary`: PostgreSQL's
    binary format (`prepared_cursor`). `prepare=False`: the ordinary cursor, for a shape a
    client chooses (psycopg keeps a connection's last 100 prepared statements: a client
    cycling through shapes would push the other hot reads' statements out)."""
    db = _alias(using)
    compiled = _compiled(name, db, shape, build)
    if compiled.sql is None:
        return []
    raw = _execute(compiled, db, values, binary, prepare)
    if convert and compiled.converters:
        return list(map(tuple, compiled.compiler.apply_converters(raw, compiled.converters)))
    return raw


def columns(
    name: str, using: type[Model] | str, build: Build, *, shape: Hashable = None
) -> tuple[str, ...]:
    """The names of the columns of `rows`' tuples (`values_list()` names, then annotations)."""
    db = _alias(using)
    return _compiled(name, db, shape, build).columns


def statement(
    name: str,
    using: type[Model] | str,
    build: Build,
    values: Mapping[str, Any],
    *,
    shape: Hashable = None,
) -> tuple[str | None, list[Any]]:
    """The read's SQL and this call's parameters, for a statement that wraps it (Open311's
    range written as JSON by PostgreSQL); (None, []) for a read empty whatever its values."""
    db = _alias(using)
    compiled = _compiled(name, db, shape, build)
    if compiled.sql is None:
        return None, []
    return compiled.sql, _params(compiled, values)


def _params(compiled: _Compiled, values: Mapping[str, Any]) -> list[Any]:
    params = list(compiled.params)
    for at, name, index, adapt in compiled.slots:
        value = values[name] if index < 0 else values[name][index]
        params[at] = value if adapt is None else adapt(value)
    return params


def _alias(using: type[Model] | str) -> str:
    """The database alias `using` names: itself, or the model's manager's."""
    return using if isinstance(using, str) else using._default_manager.db


def _execute(
    compiled: _Compiled, db: str, values: Mapping[str, Any], binary: bool, prepare: bool = True
) -> Any:
    cursor: Any = prepared_cursor(db, binary=binary) if prepare else connections[db].cursor()
    with cursor:
        cursor.execute(compiled.sql, _params(compiled, values))
        return cursor.fetchall()


def _compiled(name: str, db: str, shape: Hashable, build: Build) -> _Compiled:
    key = (name, db, connections[db].vendor, shape)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _compile(db, build)
        same_read = [k for k in list(_COMPILED) if k[0] == name]  # a copy: threads insert
        if len(same_read) >= _SHAPES_PER_READ:
            for k in same_read:
                _COMPILED.pop(k, None)
        _COMPILED[key] = compiled
    return compiled


def _compile(db: str, build: Build) -> _Compiled:
    ops = connections[db].ops
    markers, other = Markers(0), Markers(1)
    queryset = build(markers)
    compiler = queryset.query.get_compiler(using=db)
    sql, params = _sql(compiler)
    other_sql, other_params = _sql(build(other).query.get_compiler(using=db))
    if sql != other_sql or len(params) != len(other_params):
        raise MarkerNotBound(
            "the read's SQL changes with its markers' values: a marker was written into the "
            "statement (a LIMIT, an empty list...); put what it depends on into the read's shape"
        )
    adapts: dict[str, Callable[[Any], Any]] = {
        "date": ops.adapt_datefield_value,
        "moment": ops.adapt_datetimefield_value,
    }
    bound = _bound(markers, adapts)
    bound_other = _bound(other, adapts)
    slots, seen, changed = [], set(), []
    for at, (value, value_other) in enumerate(zip(params, other_params, strict=True)):
        marker = _find(bound, value)
        if marker is None:
            if not _same(value, value_other):
                changed.append(f"{at + 1} ({value!r})")
            continue
        if _find(bound_other, value_other) != marker:
            changed.append(f"{at + 1} ({value!r})")
            continue
        adapt = adapts.get(marker.kind)
        if adapt is not None and adapt(_DAY_BASES[0]) is _DAY_BASES[0]:
            adapt = None  # the driver takes the Python value as it is (PostgreSQL)
        slots.append((at, marker.name, marker.index, adapt))
        seen.add(marker)
    if changed:
        # a marker nowhere among the parameters while others change with the markers: a
        # lookup transformed it; name it
        check_markers(list({m.name for m in markers.slots.values() if m not in seen}))
        raise MarkerNotBound(
            f"parameter(s) {', '.join(changed)} change with the markers but are none of them: "
            "a lookup transformed a marker before binding it (startswith, contains, a date "
            "lookup on a moment...), or the builder read a value of its own (the time)"
        )
    return _layout(queryset, compiler, sql, tuple(params), tuple(slots))


def _sql(compiler: Any) -> tuple[str | None, list[Any]]:
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # `pk__in=[]` alone: no row whatever the values
        return None, []
    return sql, list(params)


def _bound(markers: Markers, adapts: Mapping[str, Callable[[Any], Any]]) -> dict[Any, _Marker]:
    """The markers by the parameter each becomes when a lookup binds it as given."""
    out = {}
    for value, marker in markers.slots.items():
        adapt = adapts.get(marker.kind)
        out[adapt(value) if adapt is not None else value] = marker
    return out


def _find(bound: Mapping[Any, _Marker], value: Any) -> _Marker | None:
    try:
        return bound.get(value)
    except TypeError:  # an unhashable parameter (a JSON value): the query's own
        return None


def _same(value: Any, other: Any) -> bool:
    # psycopg's JSON wrappers compare by identity: compare what they wrap
    return bool(value == other) or (
        type(value) is type(other) and getattr(value, "obj", value) == getattr(other, "obj", other)
    )


def _layout(
    queryset: QuerySet[Any],
    compiler: Any,
    sql: str | None,
    params: tuple[Any, ...],
    slots: tuple[tuple[int, str, int, Callable[[Any], Any] | None], ...],
) -> _Compiled:
    query = queryset.query
    columns = (*query.extra_select, *query.values_select, *query.annotation_select)
    if sql is None:
        values_read = queryset._fields is not None  # type: ignore[attr-defined]
        return _Compiled(
            sql,
            (),
            (),
            compiler,
            {},
            columns,
            None if values_read else queryset.model,
            (),
            0,
            0,
            (),
        )
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    assert not compiler.has_composite_fields(fields), "composite fields: read them with the ORM"
    converters = compiler.get_converters(fields)
    if queryset._fields is not None:  # type: ignore[attr-defined]  # values(): tuples
        return _Compiled(sql, params, slots, compiler, converters, columns, None, (), 0, 0, ())
    select, klass_info = compiler.select, compiler.klass_info
    # the stubs follow a later Django's signature (fetch_mode)
    populators = get_related_populators(klass_info, select, compiler.using)  # type: ignore[call-arg]
    selected = klass_info["select_fields"]
    start, end = selected[0], selected[-1] + 1
    return _Compiled(
        sql=sql,
        params=params,
        slots=slots,
        compiler=compiler,
        converters=converters,
        columns=columns,
        model=klass_info["model"],
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        start=start,
        end=end,
        populators=tuple(populators),
    )
