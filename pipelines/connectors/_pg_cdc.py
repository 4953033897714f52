"""PostgreSQL logical decoding with the built-in ``test_decoding`` plugin, polled over SQL.

Why ``test_decoding`` through ``pg_logical_slot_peek_changes``: it ships with every PostgreSQL
(no ``wal2json`` to install on the bank's servers), needs only the REPLICATION attribute and a
plain connection, and lets the connector *peek* (read without consuming), publish, commit its own
position and only then ``pg_replication_slot_advance`` the slot. A crash anywhere in between makes
the next read return the same changes with the same LSNs, hence the same event ids.

Each change's position is its LSN (``0/16B3748``); positions are compared numerically.
Deletes and updates carry the whole old row only with ``REPLICA IDENTITY FULL`` on the table.

Initial snapshot (``snapshot="initial"``, the default; see :mod:`._snapshot`): on a first read
(no committed position) the slot already exists (created in ``__init__``), so its
``confirmed_flush_lsn`` is where the stream starts; the mapped tables are then read in primary-key
order, ``snapshot_page`` rows per read (``SELECT col::text …`` — the same text form
``test_decoding`` gives), before the stream. ``snapshot="never"`` streams from the slot only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from pipelines.connectors._mapper import Change, Op, RawValue
from pipelines.connectors._mapping import Lookup
from pipelines.connectors._snapshot import (
    SnapshotMode,
    SnapshotProgress,
    is_snapshot,
    read_snapshot,
)
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
        self,
        dsn: str,
        slot: str,
        tables: set[str],
        schema: str = "public",
        create_timeout_s: float = 240.0,
        *,
        snapshot: SnapshotMode = "initial",
        snapshot_page: int = 5000,
        keys: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._dsn = dsn
        self._snapshot = snapshot
        self._snapshot_page = snapshot_page
        #: Snapshot order of tables without a primary key (the mapping's key columns).
        self._fallback_keys = {t: tuple(k) for t, k in (keys or {}).items()}
        self._create_timeout_s = create_timeout_s
        self._slot = slot
        self._tables = tables
        self._schema = schema
        try:
            self._conn = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as exc:
            raise ConnectorError(f"cannot connect to the source: {exc}") from exc
        try:
            self._ensure_slot()
        except BaseException:
            self._conn.close()
            raise

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
            except psycopg.errors.ConfigurationLimitExceeded as exc:
                raise ConnectorError(
                    f"cannot create slot {self._slot}: {exc} (drop unused slots, see"
                    " pg_replication_slots, or raise max_replication_slots)"
                ) from None
            log.info("created logical replication slot %s", self._slot)

    def read(self, position: str | None, limit: int) -> Batch:
        if position is None and self._snapshot == "initial":
            start = self._slot_start()
            tables = sorted(self._tables)
            if not tables:
                return Batch([], start, 0.0)
            position = SnapshotProgress(start, datetime.now(UTC), tables[0]).encode()
        if position is not None and is_snapshot(position):
            return self._snapshot_read(SnapshotProgress.decode(position), limit)
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

    def _slot_start(self) -> str:
        """Where the slot's stream starts now (the snapshot is taken after this point)."""
        row = self._conn.execute(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s", (self._slot,)
        ).fetchone()
        if row is None or row[0] is None:
            raise ConnectorError(f"replication slot {self._slot} is missing")
        return str(row[0])

    def _snapshot_read(self, progress: SnapshotProgress, limit: int) -> Batch:
        page = max(1, min(limit, self._snapshot_page))
        batch = read_snapshot(progress, list(self._tables), page, self._page)
        if batch.position is not None and not is_snapshot(batch.position):
            log.info("snapshot for slot %s done; streaming from %s", self._slot, batch.position)
        return batch

    def _page(
        self, table: str, after: tuple[str, ...] | None, n: int
    ) -> tuple[list[dict[str, RawValue]], tuple[str, ...] | None]:
        """Up to ``n`` rows of ``table`` after the key ``after``, in key order, as text."""
        columns = self._columns(table)
        keys = self._keys(table, columns)
        ident = sql.SQL("{}.{}").format(sql.Identifier(self._schema), sql.Identifier(table))
        key_list = sql.SQL(", ").join(sql.Identifier(k) for k in keys)
        query = sql.SQL("SELECT {cols} FROM {table}").format(
            cols=sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
            table=ident,
        )
        if after is not None:
            query += sql.SQL(" WHERE ({keys}) > ({values})").format(
                keys=key_list,
                values=sql.SQL(", ").join(
                    sql.SQL("%s::{}").format(sql.SQL(columns[k]))
                    for k in keys  # format_type() output
                ),
            )
        query += sql.SQL(" ORDER BY {keys} LIMIT {n}").format(keys=key_list, n=sql.Literal(n))
        names = list(columns)
        rows = [dict(zip(names, r, strict=True)) for r in self._conn.execute(query, list(after or ()))]
        last = tuple(str(rows[-1][k]) for k in keys) if rows else None
        return rows, last

    def _columns(self, table: str) -> dict[str, str]:
        """Column name → type (``format_type``), in table order."""
        rows = self._conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = format('%%I.%%I', %s::text, %s::text)::regclass "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (self._schema, table),
        ).fetchall()
        if not rows:
            raise ConnectorError(f"snapshot: table {self._schema}.{table} not found")
        return {str(name): str(kind) for name, kind in rows}

    def _keys(self, table: str, columns: Mapping[str, str]) -> tuple[str, ...]:
        """The snapshot order of ``table``: its primary key, else the mapping's key columns."""
        rows = self._conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = format('%%I.%%I', %s::text, %s::text)::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey::int2[], a.attnum)",
            (self._schema, table),
        ).fetchall()
        keys = tuple(str(r[0]) for r in rows) or self._fallback_keys.get(table, ())
        missing = [k for k in keys if k not in columns]
        if not keys or missing:
            raise ConnectorError(
                f"snapshot: {self._schema}.{table} has no primary key nor mapped key columns"
            )
        return keys

    def acknowledge(self, position: str) -> None:
        if is_snapshot(position):
            return  # the slot keeps everything since the stream start until the snapshot is done
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
