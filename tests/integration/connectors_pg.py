"""Helpers of the PostgreSQL connector tests (v1-Core, OpenBanking, Global, the feeds).

Each test gets a fresh source database with a system's documented shape, a connector built by the
factory (``build_connector``: information_schema introspection, shape adaptation, a logical slot
named after the connector) and its own Kafka topic prefix.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from pydantic import SecretStr
from sqlalchemy import Engine

from infra.local_services import KAFKA, postgres_database
from kernel.transport import EventPublisher
from kernel.transport._kafka import KafkaEventConsumer
from pipelines.connectors import Connector, ConnectorStore, build_connector
from pipelines.connectors._snapshot import SnapshotMode
from pipelines.settings import PipelineSettings
from pipelines.simulator._sources_ddl import replica_identity_full

__all__ = ["CrashingStore", "connector", "consume", "source_db"]

Event = tuple[str, dict]


class CrashingStore(ConnectorStore):
    """Dies after Kafka has the events but before the position is committed (a kill -9 there)."""

    def commit(self, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed before commit")


@contextmanager
def source_db(ddl: str) -> Iterator[str]:
    """A fresh PostgreSQL database created with ``ddl`` (REPLICA IDENTITY FULL); yields its DSN."""
    with postgres_database() as url:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ddl)
            for stmt in replica_identity_full(ddl):
                conn.execute(stmt)
        yield dsn


def connector(
    system: str,
    dsn: str,
    ops: Engine,
    publisher: EventPublisher,
    name: str,
    tmp: Path,
    store: ConnectorStore | None = None,
    snapshot: SnapshotMode = "never",
) -> Connector:
    """``system``'s connector through the factory (the production path), on ``dsn``.

    No initial snapshot by default: these tests write their rows after the connector started and
    check the stream (a snapshot would publish rows written before its first read twice).
    """
    settings = PipelineSettings(
        run_dir=tmp, card_hash_key=SecretStr("integration-card-key-0123456789"), connector_snapshot=snapshot
    )
    c = build_connector(system, settings, ops, publisher, url=dsn, name=name)
    if store is not None:
        c._store = store  # the same connector, dying at commit
    return c


def close(c: Connector, *, drop: bool = True) -> None:
    if drop:
        c.source.drop_slot()  # type: ignore[attr-defined]
    c.source.close()


def consume(prefix: str, topics: list[str], want: int, timeout_s: float = 20.0) -> list[Event]:
    """Records of ``topics`` until ``want`` arrived, plus anything more within half a second."""
    consumer = KafkaEventConsumer(KAFKA, "t", f"g{uuid.uuid4().hex[:6]}", topics, prefix)
    out: list[Event] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(out) < want:
            out += [(r.topic.removeprefix(prefix), json.loads(r.value)) for r in consumer.poll(500)]
        time.sleep(0.5)
        out += [(r.topic.removeprefix(prefix), json.loads(r.value)) for r in consumer.poll(300)]
    finally:
        consumer.close()
    return out


def of(events: list[Event], topic: str, table: str | None = None) -> list[dict]:
    return [e for t, e in events if t == topic and (table is None or e.get("source_table") == table)]
