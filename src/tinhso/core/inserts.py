"""One new row's INSERT with its SQL compiled once per model and process (issue 12).

`Model.save()` of a new row rebuilds and recompiles its INSERT every time: for the API's
submission, whose six inserts (the dossier's fifty-odd columns, its key, file, event, audit
record) were about a quarter of its Python (cProfile), that was more than the rest of the
write. The SQL of a model's INSERT only depends on its columns, so `insert()` compiles it
once with the ORM (the same statement `save()` sends) and then binds each row's values as
`save()` would: each field's `pre_save` (auto_now and the like) and `get_db_prep_save`, the
returned primary key set on the instance, the instance marked saved. Any case that would
change the statement's text, or that `save()` handles beyond the plain insert (a value that
is an expression, a field whose placeholder may depend on its value, a parent table, signal
receivers, an explicit primary key, a model's own `save()`), falls back to
`save(force_insert=True)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Field, Model, signals
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: tuple[Field[Any, Any], ...]
    returning: tuple[Field[Any, Any], ...]
    returning_params: tuple[Any, ...]
    converters: Any


_COMPILED: dict[tuple[str, str, str], _Insert] = {}

# Models whose own `save()` is known to do nothing for a new row, so that skipping it loses
# nothing. core.AuditRecord: its `save()` only refuses updates (`not self._state.adding`,
# append-only); `insert()` writes new rows only (a set primary key goes through `save()`),
# and every action writes one, on the submission's hot path. Add a model here only after
# reading its `save()`.
_SAVE_SKIPPABLE_ON_INSERT = frozenset({"core.AuditRecord"})

_STATIC_PLAIN: dict[type[Model], bool] = {}


def _static_plain(cls: type[Model]) -> bool:
    """What does not change while the process runs: the model's tables, `save()` and fields."""
    meta = cls._meta
    return not (
        meta.parents
        or meta.order_with_respect_to
        # an overridden save() may set values, write other rows, refuse...: run it
        or (cls.save is not Model.save and meta.label not in _SAVE_SKIPPABLE_ON_INSERT)
        # a field's placeholder may depend on its value (BinaryField on Oracle, arrays,
        # ranges, geometries): the statement compiled for one row may not fit the next
        or any(hasattr(f, "get_placeholder") for f in meta.local_concrete_fields)
    )


def fast_insert_allowed(cls: type[Model]) -> bool:
    """Whether `insert()` may write a new row of `cls` with its compiled INSERT (else it
    calls `save(force_insert=True)`)."""
    plain = _STATIC_PLAIN.get(cls)
    if plain is None:
        plain = _STATIC_PLAIN[cls] = _static_plain(cls)
    return (
        plain
        and not signals.pre_save.has_listeners(cls)
        and not signals.post_save.has_listeners(cls)
    )


def _compile(obj: Model, db: str, fields: list[Field[Any, Any]]) -> _Insert:
    cls = type(obj)
    meta = cls._meta
    connection = connections[db]
    query = InsertQuery(cls)
    # raw: the values already on the instance (its fields' pre_save has run); only the
    # statement's text is kept, its parameters are bound per row by `insert`
    query.insert_values(fields, [obj], raw=True)
    compiler = query.get_compiler(using=db)
    returning = tuple(meta.db_returning_fields)
    compiler.returning_fields = list(returning)
    ((sql, _params),) = compiler.as_sql()
    converters = None
    if returning and connection.features.can_return_columns_from_insert:
        converters = compiler.get_converters([f.get_col(meta.db_table) for f in returning])
    return _Insert(sql, tuple(fields), returning, tuple(compiler.returning_params), converters)


def insert(obj: Model, *, using: str | None = None) -> None:
    """`obj.save(force_insert=True)` for a new row, its INSERT compiled once per model."""
    cls = type(obj)
    meta = cls._meta
    db = using or router.db_for_write(cls, instance=obj)
    connection = connections[db]
    if (
        not fast_insert_allowed(cls)
        or obj._is_pk_set(meta)  # type: ignore[attr-defined]
        or not connection.features.can_return_columns_from_insert
    ):
        obj.save(force_insert=True, using=db)
        return
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    key = (meta.label, db, connection.vendor)
    compiled = _COMPILED.get(key)
    fields = (
        list(compiled.fields)
        if compiled is not None
        else [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
    )
    values = [f.pre_save(obj, True) for f in fields]
    if any(hasattr(v, "resolve_expression") for v in values):
        obj.save(force_insert=True, using=db)  # an expression changes the statement
        return
    if compiled is None:
        compiled = _COMPILED[key] = _compile(obj, db, fields)
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    with transaction.mark_for_rollback_on_error(db), connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        if compiled.returning:
            fetch = connection.ops.fetch_returned_insert_columns  # type: ignore[attr-defined]
            row = fetch(cursor, compiled.returning_params)
            if compiled.converters:
                row = _converted(compiled.converters, row, connection)
            for value, field in zip(row, compiled.returning, strict=True):
                setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = db


def _converted(converters: Any, row: Any, connection: Any) -> list[Any]:
    """The returned columns through their converters, as the insert compiler applies them."""
    out = list(row)
    for pos, (convs, expression) in converters.items():
        value = out[pos]
        for converter in convs:
            value = converter(value, expression, connection)
        out[pos] = value
    return out
