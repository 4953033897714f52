"""Connector bookkeeping in the operational DB: committed positions, counters, raw records."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from kernel.events import utcnow
from kernel.storage.schema import connector_raw, connector_state

__all__ = ["ConnectorState", "ConnectorStore", "RawRecord"]


@dataclass(frozen=True, slots=True)
class RawRecord:
    source_table: str
    source_key: str
    position: str
    op: str
    raw: dict[str, str | None]
    event_id: str | None


@dataclass(frozen=True, slots=True)
class ConnectorState:
    connector: str
    mode: str
    position: str | None
    rows_read: int
    events_produced: int
    errors: int
    lag_s: float | None
    last_success_at: datetime | None
    last_error: str | None
    updated_at: datetime


class ConnectorStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    def position(self, connector: str) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(
                select(connector_state.c.position).where(connector_state.c.connector == connector)
            ).scalar_one_or_none()

    def states(self) -> list[ConnectorState]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(connector_state).order_by(connector_state.c.connector)).all()
        return [ConnectorState(**row._mapping) for row in rows]

    def commit(
        self,
        connector: str,
        mode: str,
        position: str | None,
        raws: Sequence[RawRecord],
        *,
        rows: int,
        events: int,
        errors: int,
        lag_s: float | None,
        last_error: str | None = None,
    ) -> None:
        """Record raw rows and move the position, in one transaction (after Kafka has the events)."""
        now = utcnow()
        with self._engine.begin() as conn:
            self._keep(conn, connector, raws, now)
            values = {
                "mode": mode,
                "position": position,
                "lag_s": lag_s,
                "updated_at": now,
            }
            if errors == 0 or rows > errors:
                values["last_success_at"] = now
            if last_error is not None:
                values["last_error"] = last_error[:4000]
            ins: Any = self._insert(connector_state).values(
                connector=connector, rows_read=rows, events_produced=events, errors=errors, **values
            )
            conn.execute(
                ins.on_conflict_do_update(
                    index_elements=[connector_state.c.connector],
                    set_={
                        **values,
                        "rows_read": connector_state.c.rows_read + rows,
                        "events_produced": connector_state.c.events_produced + events,
                        "errors": connector_state.c.errors + errors,
                    },
                )
            )

    def keep_raws(self, connector: str, raws: Sequence[RawRecord]) -> None:
        """Record raw rows without moving the position (re-emitted by reconciliation)."""
        with self._engine.begin() as conn:
            self._keep(conn, connector, raws, utcnow())

    def _keep(self, conn: Connection, connector: str, raws: Sequence[RawRecord], now: datetime) -> None:
        if not raws:
            return
        stmt: Any = self._insert(connector_raw).on_conflict_do_nothing()
        conn.execute(
            stmt,
            [
                {
                    "connector": connector,
                    "source_table": r.source_table,
                    "source_key": r.source_key,
                    "position": r.position,
                    "op": r.op,
                    "raw": r.raw,
                    "event_id": r.event_id,
                    "captured_at": now,
                }
                for r in raws
            ],
        )

    def captured(
        self, connector: str, source_table: str
    ) -> Iterator[tuple[str, str, dict[str, str | None], int]]:
        """The last captured state of every row of a table: (source key, op, raw, versions seen).

        Ordered by source key; streamed. ``op`` is ``delete`` for a row whose deletion was seen.
        """
        query = (
            select(connector_raw.c.source_key, connector_raw.c.op, connector_raw.c.raw)
            .where(connector_raw.c.connector == connector, connector_raw.c.source_table == source_table)
            .order_by(connector_raw.c.source_key, connector_raw.c.captured_at, connector_raw.c.position)
        )
        with self._engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
            key: str | None = None
            last: tuple[str, dict[str, str | None]] = ("", {})
            versions = 0
            for row in result:
                if row.source_key != key:
                    if key is not None:
                        yield key, last[0], last[1], versions
                    key, versions = row.source_key, 0
                last, versions = (row.op, dict(row.raw)), versions + 1
            if key is not None:
                yield key, last[0], last[1], versions

    def raw(self, connector: str, source_table: str, source_key: str) -> list[RawRecord]:
        """Every captured change of one source row, oldest first (lineage of its events)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(connector_raw)
                .where(
                    connector_raw.c.connector == connector,
                    connector_raw.c.source_table == source_table,
                    connector_raw.c.source_key == source_key,
                )
                .order_by(connector_raw.c.captured_at, connector_raw.c.position)
            ).all()
        return [
            RawRecord(r.source_table, r.source_key, r.position, r.op, dict(r.raw), r.event_id) for r in rows
        ]
