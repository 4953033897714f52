"""MySQL/MariaDB binlog CDC: the connector reads the binary log as a replica would.

Needs ``binlog_format=ROW``, ``binlog_row_image=FULL`` (old rows of updates and deletes) and
``binlog_row_metadata=FULL`` (column names in the log), plus REPLICATION SLAVE, REPLICATION CLIENT
and SELECT for the connector's account (docs/connectors.md).

Positions are ``<binlog file>:<end position of the transaction's XID event>``: the connector only
commits at transaction boundaries, so a restart opens the log at a transaction start. A change's
own position (in its event id) is ``<file>:<end of its rows event>:<row index>``.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

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
from pipelines.connectors._source import Batch
from pipelines.connectors.errors import ConnectorError

__all__ = ["BinlogSource"]


def _split(position: str) -> tuple[str, int]:
    file, _, pos = position.rpartition(":")
    return file, int(pos)


class BinlogSource:
    mode = "mysql_binlog"

    def __init__(
        self, host: str, port: int, user: str, password: str, database: str, tables: set[str], name: str
    ) -> None:
        self._settings = {"host": host, "port": port, "user": user, "password": password}
        self._database = database
        self._tables = tables
        # A replica id of its own per connector (the server refuses two replicas with one id).
        self._server_id = 1000 + zlib.crc32(name.encode()) % 2_000_000_000
        try:
            self._conn = pymysql.connect(
                host=host, port=port, user=user, password=password, database=database, autocommit=True
            )
        except pymysql.MySQLError as exc:
            raise ConnectorError(f"cannot connect to {host}:{port}/{database}: {exc}") from exc
        self._is_mariadb = "mariadb" in str(self._conn.get_server_info()).lower()  # type: ignore[no-untyped-call]

    def read(self, position: str | None, limit: int) -> Batch:
        kwargs: dict[str, Any] = {}
        if position is not None:
            kwargs["log_file"], kwargs["log_pos"] = _split(position)
            kwargs["resume_stream"] = True
        reader = BinLogStreamReader(
            connection_settings=self._settings,
            server_id=self._server_id,
            blocking=False,
            only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent, XidEvent],
            only_schemas=[self._database],
            is_mariadb=self._is_mariadb,
            enable_logging=False,
            **kwargs,
        )
        # The server may replay events at or before the requested position: skip them.
        after = _split(position) if position is not None else ("", -1)
        changes: list[Change] = []
        committed, committed_at = position, None
        try:
            with warnings.catch_warnings():
                # mysql-replication 1.0 still passes pymysql's deprecated `db` argument.
                warnings.filterwarnings("ignore", "'db' is deprecated", DeprecationWarning)
                for txn, end, end_at in self._transactions(reader, after):
                    changes.extend(txn)
                    committed, committed_at = end, end_at
                    if len(changes) >= limit:
                        break
        finally:
            reader.close()
        lag = (datetime.now(UTC) - committed_at).total_seconds() if committed_at and changes else 0.0
        return Batch(changes, committed, lag)

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

    def acknowledge(self, position: str) -> None:
        """Nothing to release: the server keeps the binlog for ``expire_logs_days``."""

    def lookup(self, rule: Lookup, value: str) -> RawValue:
        def q(name: str) -> str:
            return "`" + name.replace("`", "``") + "`"

        with self._conn.cursor() as cur:
            cur.execute(
                f"SELECT {q(rule.column)} FROM {q(rule.table)} WHERE {q(rule.key)} = %s LIMIT 1", (value,)
            )
            row = cur.fetchone()
        return None if row is None else raw_text(row[0])

    def close(self) -> None:
        self._conn.close()
