"""Several statements in one network round trip (PostgreSQL), inside the caller's transaction.

A processor's batch runs a fixed handful of statements (mark the events processed, load the rows
they touch, write the changed rows back). Sent one by one, each waits for the server's answer,
and on a busy two-core machine each wait is a scheduling delay too: ~1.5 ms of wall time a
statement, most of a Customer 360 worker's batch. On PostgreSQL a :class:`RoundTrip` sends its
statements in psycopg's pipeline mode and waits once; elsewhere (SQLite, the embedded mode) it
runs them one after the other through SQLAlchemy. Either way the statements run in order, in the
caller's transaction, and the results reach each statement's callback as mappings of column to
value, typed as SQLAlchemy would type them.

Statements are SQLAlchemy constructs with named bind parameters (no values bound in the
construct); each is compiled once per dialect and cached by the caller's key, so a batch pays no
compilation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.expression import ClauseElement, Executable

__all__ = ["RoundTrip", "RowsCallback"]

#: receives a statement's rows (an empty list for a statement that returns none)
RowsCallback = Callable[[list[dict[str, Any]]], None]
#: one set of named parameters; a list of them (executemany) only off PostgreSQL
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]

_Compiled = tuple[str, dict[str, Callable[[Any], Any]]]
_compiled: dict[tuple[str, object], _Compiled] = {}


class RoundTrip:
    """Statements queued with :meth:`add` and sent together by :meth:`run`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._queued: list[tuple[object, Executable, Params, RowsCallback | None]] = []

    def __len__(self) -> int:
        return len(self._queued)

    def add(
        self,
        key: object,
        statement: Executable,
        params: Params,
        on_rows: RowsCallback | None = None,
    ) -> None:
        """Queue ``statement`` with ``params``; ``on_rows`` gets its rows when :meth:`run` returns.

        On PostgreSQL ``key`` names the statement's text in the compiled cache: the same hashable
        key must always come with the same construct (bind values passed in ``params``)."""
        if self._pipelined and not isinstance(params, Mapping):
            raise TypeError("a pipelined statement takes one set of parameters (no executemany)")
        self._queued.append((key, statement, params, on_rows))

    @property
    def _pipelined(self) -> bool:
        return self._conn.dialect.name == "postgresql"

    def run(self, *, commit: bool = False) -> None:
        """Send every queued statement, wait for all of them, hand out the rows.

        ``commit``: these are the transaction's last statements. On PostgreSQL the ``COMMIT``
        travels with them (the caller's transaction block then finds nothing left to commit);
        elsewhere the caller's block commits as usual."""
        queued, self._queued = self._queued, []
        if not queued:
            return
        if not self._pipelined:
            for _, statement, params, on_rows in queued:
                result = self._conn.execute(statement, params)
                if on_rows is not None:
                    on_rows([dict(r) for r in result.mappings()] if result.returns_rows else [])
            return
        raw = self._conn.connection.driver_connection
        assert raw is not None
        sent = []
        with raw.pipeline():  # leaving the block waits for every answer
            for key, statement, params, on_rows in queued:
                sql, processors = self._compile(key, statement)
                cursor = raw.cursor()
                cursor.execute(sql, params)
                sent.append((cursor, processors, on_rows))
            if commit:
                raw.commit()
        for cursor, processors, on_rows in sent:
            rows: list[dict[str, Any]] = []
            if cursor.description is not None:
                row_of = [(c.name, processors.get(c.name)) for c in cursor.description]
                for values in cursor.fetchall():
                    rows.append(
                        {
                            n: (v if p is None or v is None else p(v))
                            for (n, p), v in zip(row_of, values, strict=True)
                        }
                    )
            cursor.close()
            if on_rows is not None:
                on_rows(rows)

    def _compile(self, key: object, statement: Executable) -> _Compiled:
        cache_key = (self._conn.dialect.name, key)
        found = _compiled.get(cache_key)
        if found is None:
            assert isinstance(statement, ClauseElement)
            sql = str(statement.compile(dialect=self._conn.dialect))
            found = _compiled[cache_key] = (sql, _result_processors(statement, self._conn))
        return found


def _result_processors(statement: Executable, conn: Connection) -> dict[str, Callable[[Any], Any]]:
    """Column name → the column type's result processor (as SQLAlchemy applies it), for the
    columns a SELECT names; a column without one (or a textual statement) passes through."""
    out: dict[str, Callable[[Any], Any]] = {}
    for column in getattr(statement, "selected_columns", ()):
        processor = column.type.result_processor(conn.dialect, None)
        if processor is not None:
            out[column.name] = processor
    return out
