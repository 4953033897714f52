"""MySQL/MariaDB binlog CDC: the connector reads the binary log as a replica would.

Needs ``binlog_format=ROW``, ``binlog_row_image=FULL`` (old rows of updates and deletes) and
``binlog_row_metadata=FULL`` (column names in the log), plus REPLICATION SLAVE, REPLICATION CLIENT
and SELECT for the connector's account (docs/connectors.md).

Positions are ``<binlog file>:<end position of the transaction's XID event>``: the connector only
commits at transaction boundaries, so a restart opens the log at a transaction start. A change's
own position (in its event id) is ``<file>:<end of its rows event>:<row index>``. The first read
(no committed position) starts at the oldest binlog file kept by the server (``start="earliest"``,
the default: the rows already in the log are captured) or at the server's current position
(``start="latest"``), which is then committed so nothing after it is missed.

With ``snapshot="initial"`` (the default; :mod:`._snapshot`) the first read instead records the
server's current position (``SHOW MASTER STATUS``), reads every mapped table in primary-key order,
``snapshot_page`` rows per read, then streams from that recorded position: the rows older than
the oldest binlog file are captured too, and ``start`` no longer matters.

The stream is always opened with the classic ``COM_BINLOG_DUMP`` (file + position), on MariaDB as
on MySQL. python-mysql-replication's MariaDB mode (``is_mariadb=True`` without a GTID
``auto_position``) ignores ``log_file``/``log_pos`` and always dumps from the first binlog file;
when the server dropped that stream part-way through a file, the library reconnected from the
first file again, forever — the hang of the first drain. A read is also bounded in time
(``read_budget_s``) and the sockets have a read timeout, so a stalled server never blocks the
connector.
"""

from __future__ import annotations

import time
import warnings
import zlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import pymysql
from pymysqlreplication import BinLogStreamReader  # type: ignore[import-untyped]
from pymysqlreplication.event import XidEvent  # type: ignore[import-untyped]
from pymysqlreplication.row_event import (  # type: ignore[import-untyped]
    DeleteRowsEvent,
    UpdateRowsEvent,
    WriteRowsEvent,
)

from pipelines.connectors._mapper import Change, Op, RawValue, raw_text
from pipelines.connectors._mapping import Lookup
from pipelines.connectors._snapshot import SnapshotMode, SnapshotProgress, is_snapshot, read_snapshot
from pipelines.connectors._source import Batch
from pipelines.connectors.errors import ConnectorError

__all__ = ["BinlogSource"]


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _split(position: str) -> tuple[str, int]:
    file, _, pos = position.rpartition(":")
    return file, int(pos)


class BinlogSource:
    mode = "mysql_binlog"

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        database: str,
        tables: set[str],
        name: str,
        *,
        start: Literal["earliest", "latest"] = "earliest",
        read_budget_s: float = 5.0,
        timeout_s: float = 10.0,
        snapshot: SnapshotMode = "initial",
        snapshot_page: int = 5000,
        keys: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._snapshot = snapshot
        self._snapshot_page = snapshot_page
        #: Snapshot order of tables without a primary key (the mapping's key columns).
        self._fallback_keys = {t: tuple(k) for t, k in (keys or {}).items()}
        self._settings: dict[str, Any] = {
            "host": host,
            "port": port,
            "user": user,
            "password": password,
            "connect_timeout": timeout_s,
            "read_timeout": timeout_s,
            "write_timeout": timeout_s,
        }
        self._database = database
        self._tables = tables
        self._start = start
        self._budget_s = read_budget_s
        # A replica id of its own per connector (the server refuses two replicas with one id).
        self._server_id = 1000 + zlib.crc32(name.encode()) % 2_000_000_000
        try:
            self._conn = pymysql.connect(database=database, autocommit=True, **self._settings)
        except pymysql.MySQLError as exc:
            raise ConnectorError(f"cannot connect to {host}:{port}/{database}: {exc}") from exc

    def _start_position(self) -> str:
        """Where capture begins when nothing is committed yet (see the module docstring)."""
        if self._start == "latest":
            return self._current_position()
        with self._conn.cursor() as cur:
            cur.execute("SHOW BINARY LOGS")
            first = cur.fetchone()
        if first is None:
            raise ConnectorError("the server's binary log is off (log_bin)")
        return f"{first[0]}:4"

    def _current_position(self) -> str:
        """The server's binlog position now (``SHOW MASTER STATUS``), a transaction boundary."""
        with self._conn.cursor() as cur:
            cur.execute("SHOW MASTER STATUS")
            row = cur.fetchone()
        if row is None:
            raise ConnectorError("the server's binary log is off (log_bin)")
        return f"{row[0]}:{row[1]}"

    def read(self, position: str | None, limit: int) -> Batch:
        if position is None and self._snapshot == "initial":
            start = self._current_position()  # before the snapshot: no change is missed
            if not self._tables:
                return Batch([], start, 0.0)
            position = SnapshotProgress(start, datetime.now(UTC), min(self._tables)).encode()
        if position is not None and is_snapshot(position):
            page = max(1, min(limit, self._snapshot_page))
            return read_snapshot(SnapshotProgress.decode(position), list(self._tables), page, self._page)
        if position is None:
            start = self._start_position()
            if self._start == "latest":
                return Batch([], start, 0.0)  # commit the starting point before reading anything
            log_file, log_pos, after = start.rpartition(":")[0], 4, ("", -1)
        else:
            log_file, log_pos = _split(position)
            after = (log_file, log_pos)
        reader = BinLogStreamReader(
            connection_settings=self._settings,
            server_id=self._server_id,
            blocking=False,
            only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent, XidEvent],
            only_schemas=[self._database],
            is_mariadb=False,  # classic COM_BINLOG_DUMP at log_file:log_pos (module docstring)
            log_file=log_file,
            log_pos=log_pos,
            resume_stream=True,
            enable_logging=False,
        )
        changes: list[Change] = []
        committed, committed_at, more = position, None, False
        deadline = time.monotonic() + self._budget_s
        try:
            with warnings.catch_warnings():
                # mysql-replication 1.0 still passes pymysql's deprecated `db` argument.
                warnings.filterwarnings("ignore", "'db' is deprecated", DeprecationWarning)
                for txn, end, end_at in self._transactions(reader, after):
                    changes.extend(txn)
                    committed, committed_at = end, end_at
                    if len(changes) >= limit or time.monotonic() > deadline:
                        more = True
                        break
        finally:
            reader.close()
        lag = (datetime.now(UTC) - committed_at).total_seconds() if committed_at and changes else 0.0
        return Batch(changes, committed, lag, more=more)

    def _transactions(
        self, reader: Any, after: tuple[str, int]
    ) -> Iterator[tuple[list[Change], str, datetime]]:
        """One item per committed transaction: its changes, its end position and commit time."""
        pending: list[Change] = []
        for event in reader:
            if (reader.log_file, event.packet.log_pos) <= after:
                continue
            at = datetime.fromtimestamp(event.timestamp, UTC)
            if isinstance(event, XidEvent):
                yield pending, f"{reader.log_file}:{event.packet.log_pos}", at
                pending = []
                continue
            if event.table not in self._tables:
                continue
            op: Op = (
                "insert"
                if isinstance(event, WriteRowsEvent)
                else "update"
                if isinstance(event, UpdateRowsEvent)
                else "delete"
            )
            for i, row in enumerate(event.rows):
                values = row["after_values"] if op == "update" else row["values"]
                raw: dict[str, RawValue] = {str(k): raw_text(v) for k, v in values.items()}
                pending.append(
                    Change(event.table, op, raw, f"{reader.log_file}:{event.packet.log_pos}:{i}", at)
                )

    def _page(
        self, table: str, after: tuple[str, ...] | None, n: int
    ) -> tuple[list[dict[str, RawValue]], tuple[str, ...] | None]:
        """Up to ``n`` rows of ``table`` after the key ``after``, in key order (the snapshot)."""
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = %s "
                "AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
                (self._database, table),
            )
            keys = tuple(str(r[0]) for r in cur.fetchall()) or self._fallback_keys.get(table, ())
            if not keys:
                raise ConnectorError(f"snapshot: {self._database}.{table} has no primary key nor mapped key")
            key_list = ", ".join(_q(k) for k in keys)
            query = f"SELECT * FROM {_q(table)}"
            if after is not None:
                # bare parameters: coercible, so a text key compares in its column's collation
                query += f" WHERE ({key_list}) > ({', '.join(['%s'] * len(keys))})"
            cur.execute(f"{query} ORDER BY {key_list} LIMIT {int(n)}", after or ())
            names = [str(d[0]) for d in cur.description or ()]
            rows = [{k: raw_text(v) for k, v in zip(names, r, strict=True)} for r in cur.fetchall()]
        last = tuple(str(rows[-1][k]) for k in keys) if rows else None
        return rows, last

    def acknowledge(self, position: str) -> None:
        """Nothing to release: the server keeps the binlog for ``expire_logs_days``."""

    def lookup(self, rule: Lookup, value: str) -> RawValue:
        with self._conn.cursor() as cur:
            cur.execute(
                f"SELECT {_q(rule.column)} FROM {_q(rule.table)} WHERE {_q(rule.key)} = %s LIMIT 1", (value,)
            )
            row = cur.fetchone()
        return None if row is None else raw_text(row[0])

    def close(self) -> None:
        self._conn.close()
