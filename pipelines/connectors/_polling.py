"""Watermark polling through SQLAlchemy, for sources without CDC (e.g. SQL Server ``WekezaCRM``).

Each table is read in ``(watermark, key)`` order after the last committed pair; the watermark is
the mapping's ``watermark`` column (default: its first key column). The position is a JSON object
``{table: [watermark, key]}``. A change's own position is ``poll:<watermark>:<sha1 of the row>``,
so re-reading an unchanged row yields the same event id and a changed row a new one.

Polling cannot see deletes, and an ``UpdatedAt`` that the application forgets to set hides
updates: where that matters, pick a watermark the database maintains (SQL Server ``rowversion``,
a trigger-maintained column) — see docs/connectors.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence

from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    cast,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from pipelines.connectors._mapper import Change, RawValue, raw_text
from pipelines.connectors._mapping import Lookup, TableMapping
from pipelines.connectors._source import Batch
from pipelines.connectors.errors import ConnectorError

__all__ = ["PollingSource", "poll_position", "row_digest"]


def row_digest(raw: dict[str, RawValue]) -> str:
    """A short hash of a row's raw values (any change of any column changes it)."""
    return hashlib.sha1(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:16]


def poll_position(raw: dict[str, RawValue], watermark: str) -> str:
    """The change position polling gives a row in this state (part of its event id)."""
    return f"poll:{raw[watermark]}:{row_digest(raw)}"


def _bound(column: Column[object], value: str | None) -> ColumnElement[object]:
    """``value`` (the raw text of a committed watermark/key) as a parameter comparable with ``column``.

    Text columns get a plain parameter typed from the column: no ``CAST(... AS CHAR)``, which on
    MySQL/MariaDB takes the *connection's* collation and fails against a column in another one
    ("Illegal mix of collations"); a bare parameter is coercible, so the column's collation wins.
    Other types (numbers, timestamps) are cast from their text form to the column's type.
    """
    if isinstance(column.type, String):
        return literal(value, column.type)
    return cast(value, column.type)


class PollingSource:
    mode = "watermark_poll"

    def __init__(self, engine: Engine, mappings: Sequence[TableMapping], schema: str | None = None) -> None:
        self._engine = engine
        self._meta = MetaData(schema=schema)
        self._tables: dict[str, tuple[Table, str, str]] = {}
        try:
            for m in mappings:
                table = Table(m.table, self._meta, autoload_with=engine)
                self._tables[m.table] = (table, m.watermark or m.key[0], m.key[0])
        except SQLAlchemyError as exc:
            raise ConnectorError(f"cannot introspect the source: {exc}") from exc

    def read(self, position: str | None, limit: int) -> Batch:
        marks: dict[str, list[str | None]] = json.loads(position) if position else {}
        changes: list[Change] = []
        with self._engine.connect() as conn:
            for name, (table, wm_col, key_col) in self._tables.items():
                wm, key = table.c[wm_col], table.c[key_col]
                query = select(table).order_by(wm, key).limit(max(limit - len(changes), 1))
                last = marks.get(name)
                if last is not None:
                    w, k = _bound(wm, last[0]), _bound(key, last[1])
                    query = query.where(or_(wm > w, and_(wm == w, key > k)))
                for row in conn.execute(query).mappings():
                    raw: dict[str, RawValue] = {k: raw_text(v) for k, v in row.items()}
                    changes.append(Change(name, "update", raw, poll_position(raw, wm_col)))
                    marks[name] = [raw_text(row[wm_col]), raw_text(row[key_col])]
                if len(changes) >= limit:
                    break
        return Batch(changes, json.dumps(marks, sort_keys=True) if marks else position, None)

    def scan(self, table: str, chunk: int = 5000) -> Iterator[dict[str, RawValue]]:
        """Every row of ``table`` now, as raw text values, streamed (reconciliation)."""
        source, _, _ = self._tables[table]
        with self._engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=chunk).execute(select(source))
            for row in result.mappings():
                yield {k: raw_text(v) for k, v in row.items()}

    @property
    def tables(self) -> list[str]:
        return list(self._tables)

    def watermark_of(self, table: str) -> str:
        return self._tables[table][1]

    def acknowledge(self, position: str) -> None:
        """Nothing to release."""

    def lookup(self, rule: Lookup, value: str) -> RawValue:
        table = Table(rule.table, self._meta, autoload_with=self._engine)
        with self._engine.connect() as conn:
            got = conn.execute(
                select(table.c[rule.column]).where(table.c[rule.key] == value).limit(1)
            ).scalar_one_or_none()
        return raw_text(got)

    def close(self) -> None:
        self._engine.dispose()
