"""PostgreSQL logical decoding with the built-in ``test_decoding`` plugin, polled over SQL.

Why ``test_decoding`` through ``pg_logical_slot_peek_changes``: it ships with every PostgreSQL
(no ``wal2json`` to install on the bank's servers), needs only the REPLICATION attribute and a
plain connection, and lets the connector *peek* (read without consuming), publish, commit its own
position and only then ``pg_replication_slot_advance`` the slot. A crash anywhere in between makes
the next read return the same changes with the same LSNs, hence the same event ids.

Each change's position is its LSN (``0/16B3748``); positions are compared numerically.
Deletes and updates carry the whole old row only with ``REPLICA IDENTITY FULL`` on the table.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from pipelines.connectors._mapper import Change, Op, RawValue
from pipelines.connectors._mapping import Lookup
from pipelines.connectors._source import Batch
from pipelines.connectors.errors import ConnectorError

__all__ = ["PgLogicalSource", "lsn_int", "parse_change"]

log = logging.getLogger(__name__)

_TABLE = re.compile(
    r'^table ("(?:[^"]|"")+"|[^.]+)\.("(?:[^"]|"")+"|[^:]+): (INSERT|UPDATE|DELETE): (.*)$', re.S
)
_COLUMN = re.compile(r'("(?:[^"]|"")+"|[^\s\[]+)\[([^\]]+(?:\[\])?)\]:(\'(?:[^\']|\'\')*\'|\S+)')
_COMMIT_AT = re.compile(r"^COMMIT(?: \d+)? \(at (.+)\)$")


def lsn_int(lsn: str) -> int:
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def _ident(text: str) -> str:
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def _columns(text: str) -> dict[str, RawValue]:
    out: dict[str, RawValue] = {}
    for name, _type, value in _COLUMN.findall(text):
        if value == "null":
            out[_ident(name)] = None
        elif value.startswith("'"):
            out[_ident(name)] = value[1:-1].replace("''", "'")
        elif value == "unchanged-toast-datum":
            continue
        else:
            out[_ident(name)] = value
    return out


def parse_change(data: str) -> tuple[str, str, Op, dict[str, RawValue]] | None:
    """``(schema, table, op, row)`` of one ``test_decoding`` line; None for BEGIN/COMMIT/messages."""
    match = _TABLE.match(data)
    if match is None:
        return None
    schema, table, kind, rest = match.groups()
    if kind == "UPDATE" and "new-tuple: " in rest:
        rest = rest.split("new-tuple: ", 1)[1]
    op: Op = "insert" if kind == "INSERT" else "update" if kind == "UPDATE" else "delete"
    return _ident(schema), _ident(table), op, _columns(rest)


class PgLogicalSource:
    """Changes of the mapped tables of one PostgreSQL database, through one logical slot."""

    mode = "pg_logical"

    def __init__(
        self, dsn: str, slot: str, tables: set[str], schema: str = "public", create_timeout_s: float = 240.0
    ) -> None:
        self._dsn = dsn
        self._create_timeout_s = create_timeout_s
        self._slot = slot
        self._tables = tables
        self._schema = schema
        try:
            self._conn = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as exc:
            raise ConnectorError(f"cannot connect to the source: {exc}") from exc
        self._ensure_slot()

    def _ensure_slot(self) -> None:
        exists = self._conn.execute(
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (self._slot,)
        ).fetchone()
        if exists is None:
            # Creating a slot waits until every transaction running in the cluster has finished
            # (it needs a consistent snapshot): bounded, with a clear error.
            try:
                with self._conn.transaction():
                    self._conn.execute(f"SET LOCAL statement_timeout = {int(self._create_timeout_s * 1000)}")
                    self._conn.execute(
                        "SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", (self._slot,)
                    )
            except psycopg.errors.QueryCanceled:
                raise ConnectorError(
                    f"creating slot {self._slot} waited {self._create_timeout_s:.0f} s for transactions "
                    "running in the cluster to finish; retry when they are done"
                ) from None
            log.info("created logical replication slot %s", self._slot)

    def read(self, position: str | None, limit: int) -> Batch:
        after = lsn_int(position) if position else -1
        rows = self._conn.execute(
            "SELECT lsn::text, data FROM pg_logical_slot_peek_changes(%s, NULL, %s, "
            "'include-timestamp', '1', 'include-xids', '0')",
            (self._slot, limit),
        ).fetchall()
        changes: list[Change] = []
        pending: list[tuple[str, str, Op, dict[str, RawValue]]] = []
        last_commit: str | None = None
        committed_at: datetime | None = None
        for lsn, data in rows:
            if data.startswith("BEGIN"):
                pending = []
                continue
            commit = _COMMIT_AT.match(data)
            if commit is not None or data.startswith("COMMIT"):
                committed_at = (
                    datetime.fromisoformat(commit.group(1)).astimezone(UTC) if commit is not None else None
                )
                if lsn_int(lsn) > after:  # transactions arrive in commit order
                    for change_lsn, table, op, row in pending:
                        changes.append(Change(table, op, row, change_lsn, committed_at))
                    last_commit = lsn
                pending = []
                continue
            parsed = parse_change(data)
            if parsed is None:
                continue
            schema, table, op, row = parsed
            if schema == self._schema and table in self._tables:
                pending.append((lsn, table, op, row))
        lag = (datetime.now(UTC) - committed_at).total_seconds() if committed_at and changes else 0.0
        next_position = last_commit or position
        return Batch(changes, next_position, lag)

    def acknowledge(self, position: str) -> None:
        self._conn.execute("SELECT pg_replication_slot_advance(%s, %s::pg_lsn)", (self._slot, position))

    def lookup(self, rule: Lookup, value: str) -> RawValue:
        query = sql.SQL("SELECT {col}::text FROM {schema}.{table} WHERE {key}::text = %s LIMIT 1").format(
            col=sql.Identifier(rule.column),
            schema=sql.Identifier(self._schema),
            table=sql.Identifier(rule.table),
            key=sql.Identifier(rule.key),
        )
        row = self._conn.execute(query, (value,)).fetchone()
        return None if row is None else row[0]

    def drop_slot(self) -> None:
        self._conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
            (self._slot,),
        )

    def close(self) -> None:
        self._conn.close()
