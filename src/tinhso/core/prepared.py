"""Prepared statements for the hot read paths, on PostgreSQL with psycopg 3 (issue 12).

Django binds parameters on the client and disables prepared statements (for connection
poolers), so PostgreSQL parses and plans every statement it is sent. For the short reads of
the hot paths that is most of the work: the public look-up's statement took about 0.9 ms to
parse and plan for 0.1 ms of execution, and a prepared execution of it 0.12-0.17 ms
(measured in the same run). `prepared_cursor()` is a cursor whose statements are prepared on
their connection at first use and then executed with their parameters bound on the server
(PostgreSQL switches to a generic plan after five executions when it is no worse); the
connection's other statements stay as Django makes them. The cursor is wrapped by Django like
any other, so its statements are logged and counted by the tests' query assertions.

Behind PgBouncer in transaction mode this needs PgBouncer 1.21 or newer with
`max_prepared_statements` set. On SQLite, and with psycopg 2, it is the ordinary cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet

_M = TypeVar("_M", bound=Model)

try:
    import psycopg

    class _PreparedCursor(psycopg.Cursor):  # type: ignore[type-arg,unused-ignore]
        """psycopg's server-binding cursor, every statement prepared."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs["prepare"] = True
            return super().execute(query, params, **kwargs)

        def _maybe_prepare_gen(self, pgq: Any, **kwargs: Any) -> Any:
            # kept as an unprepared execution keeps it, so that Django's query log shows the
            # statement's text (its values as $1, $2...) instead of nothing
            self._query = pgq
            return (yield from super()._maybe_prepare_gen(pgq, **kwargs))

    _CURSOR: type | None = _PreparedCursor
except ImportError:  # psycopg 2, or no PostgreSQL driver at all
    _CURSOR = None


def prepared_cursor(using: str = "default", *, binary: bool = False) -> Any:
    """A cursor of `using` that prepares its statements (PostgreSQL), else the ordinary one.

    Only statements whose text does not change between calls belong here (values as
    parameters): each distinct text is one prepared statement per connection, and psycopg
    keeps the last 100.

    `binary`: the rows come in PostgreSQL's binary format, read by psycopg's C loaders. For
    rows with many timestamps: Django registers a text loader for timestamptz written in
    Python (a regular expression per value); the binary one gives the same aware datetimes
    (in the connection's time zone, UTC as Django sets it). Ignored where not prepared.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or _CURSOR is None:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if not hasattr(raw, "prepare_threshold"):  # psycopg 2 behind psycopg 3's import
        return connection.cursor()
    if raw.prepare_threshold is None:  # Django's default: prepare only when asked to
        raw.prepare_threshold = 1 << 30
    cursor = _CURSOR(raw)
    if binary:
        cursor.format = psycopg.pq.Format.BINARY
    with connection.wrap_database_errors:
        return connection._prepare_cursor(cursor)  # type: ignore[attr-defined]


@contextmanager
def prepared_statements(using: str = "default") -> Iterator[None]:
    """Within the block, the ORM's statements on `using` are prepared (`prepared_cursor`).

    Django keeps one connection object per thread, so this changes nothing for other
    threads; named (server-side) cursors are left as Django makes them. Django writes a
    slice's LIMIT and OFFSET into the SQL text, so each page number is its own statement:
    fine for the first pages of a queue, while keyset pages are one statement.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or _CURSOR is None or "create_cursor" in vars(connection):
        yield
        return
    original = connection.create_cursor

    def create_cursor(name: str | None = None) -> Any:
        if name:
            return original(name)
        raw = connection.connection
        if not hasattr(raw, "prepare_threshold"):
            return original(name)
        if raw.prepare_threshold is None:
            raw.prepare_threshold = 1 << 30
        return _CURSOR(raw)

    connection.create_cursor = create_cursor  # type: ignore[method-assign]
    try:
        yield
    finally:
        del connection.create_cursor


class PreparedQuerySet(QuerySet[_M]):
    """A queryset whose rows are read with prepared statements (`prepared_statements`)."""

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            with prepared_statements(self.db):
                super()._fetch_all()
        else:
            super()._fetch_all()


def prepared(rows: QuerySet[_M]) -> QuerySet[_M]:
    """`rows`, read with prepared statements when evaluated; slicing and chaining keep it."""
    chained = rows._chain()  # type: ignore[attr-defined]
    chained.__class__ = PreparedQuerySet
    return chained
