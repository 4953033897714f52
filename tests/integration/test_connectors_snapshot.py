"""Initial snapshot of the CDC connectors, on real PostgreSQL (logical decoding), MariaDB (binlog)
and Kafka.

Rows already in the source before the connector's first start are published (snapshot events,
deterministic ids), in pages; a kill in the middle of the snapshot resumes it at the next page
(the page being published when it died is re-sent with the same ids); then changes made after
the start are streamed from the slot (from the binlog position recorded before the snapshot).
``snapshot="never"`` reads only the changes.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pymysql
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from infra.local_services import KAFKA
from kernel.transport import EventPublisher
from kernel.transport._kafka import KafkaEventPublisher
from pipelines.connectors import BinlogSource, Connector, ConnectorStore, build_connector, load_mappings
from pipelines.connectors._snapshot import is_snapshot
from pipelines.settings import PipelineSettings
from pipelines.simulator._sources_ddl import DFS_DDL, V5_DDL
from tests.integration.connectors_pg import CrashingStore, close, consume, of, source_db

# Creating a slot waits for the transactions running in the (shared) cluster.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _connector(
    dsn: str, ops: Engine, publisher: EventPublisher, name: str, tmp: Path, **snapshot: object
) -> Connector:
    settings = PipelineSettings(
        run_dir=tmp,
        card_hash_key=SecretStr("integration-card-key-0123456789"),
        connector_snapshot_page=2,
        **snapshot,  # type: ignore[arg-type]
    )
    return build_connector("v5", settings, ops, publisher, url=dsn, name=name)


_SURNAMES = ["Kamau", "Otieno", "Wanjiku", "Mutua", "Njoroge", "Chebet", "Akinyi"]


def _customer(conn: psycopg.Connection, n: int) -> str:
    cid = uuid.UUID(int=n)
    conn.execute(
        'INSERT INTO "Customers" ("Id","CustomerNumber","FirstName","LastName","Email","PrimaryPhone",'
        '"KYCStatus") VALUES (%s,%s,%s,%s,%s,%s,%s)',
        (cid, f"CUS-{n:04d}", "wanjiru", _SURNAMES[n], f"c{n}@example.com", f"07123456{n:02d}", "Verified"),
    )
    return str(cid)


def test_initial_snapshot_resumes_after_a_kill_then_streams(pg_engine, topic_prefix, tmp_path):
    name = f"snap-{uuid.uuid4().hex[:8]}"
    with source_db(V5_DDL) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            before = [_customer(conn, n) for n in range(1, 6)]  # before the connector exists
        publisher = KafkaEventPublisher(KAFKA, "connector-tests", topic_prefix)
        first = _connector(dsn, pg_engine, publisher, name, tmp_path)
        try:
            assert first.step().rows == 2  # page 1 of Customers, committed
            position = ConnectorStore(pg_engine).position(name)
            assert is_snapshot(position)
            first._store = CrashingStore(pg_engine)
            with pytest.raises(KeyboardInterrupt):
                first.step()  # page 2 published, killed before its commit
            assert ConnectorStore(pg_engine).position(name) == position
            first.source.close()

            restarted = _connector(dsn, pg_engine, publisher, name, tmp_path)
            assert restarted.drain() == 3  # pages 2 (again) and 3, then the other (empty) tables
            assert not is_snapshot(ConnectorStore(pg_engine).position(name))
            with psycopg.connect(dsn, autocommit=True) as conn:
                after = _customer(conn, 6)
                conn.execute(
                    'UPDATE "Customers" SET "LastName" = %s WHERE "Id" = %s', ("ODHIAMBO", before[0])
                )
            assert restarted.drain() == 2  # streamed from the slot, no second snapshot
            assert restarted.drain() == 0
            close(restarted)
            got = of(consume(topic_prefix, ["customer.events"], 9), "customer.events")
        finally:
            publisher.close()
    assert len(got) == 9  # 2 + 2 (killed) + 3 snapshot, 2 streamed
    by_id = {e["event_id"]: e for e in got}
    snapshot = [e for e in by_id.values() if e["position"].startswith("snapshot:")]
    assert sorted(e["source_key"] for e in snapshot) == sorted(before)  # every row exactly once
    assert len({e["position"] for e in snapshot}) == 1
    streamed = [e for e in by_id.values() if not e["position"].startswith("snapshot:")]
    assert sorted(e["source_key"] for e in streamed) == sorted([before[0], after])
    (update,) = [e for e in streamed if e["source_key"] == before[0]]
    assert update["payload"]["last_name"] == "Odhiambo"


def test_snapshot_never_streams_only_new_changes(pg_engine, topic_prefix, tmp_path):
    name = f"nosnap-{uuid.uuid4().hex[:8]}"
    with source_db(V5_DDL) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            _customer(conn, 1)
        publisher = KafkaEventPublisher(KAFKA, "connector-tests", topic_prefix)
        c = _connector(dsn, pg_engine, publisher, name, tmp_path, connector_snapshot="never")
        try:
            assert c.drain() == 0
            with psycopg.connect(dsn, autocommit=True) as conn:
                new = _customer(conn, 2)
            assert c.drain() == 1
            close(c)
            got = of(consume(topic_prefix, ["customer.events"], 1), "customer.events")
        finally:
            publisher.close()
    assert [e["source_key"] for e in got] == [new]


def _dfs(db: str, publisher: EventPublisher, store: ConnectorStore) -> Connector:
    maps = [m for m in load_mappings("dfs") if m.table in {"users", "accounts"}]
    source = BinlogSource(
        "127.0.0.1", 3306, "brain", "brain", db, {m.table for m in maps}, db, read_budget_s=2, snapshot_page=2
    )
    return Connector("dfs-snap", source, maps, publisher, store, b"integration-card-key-0123456789")


def _user(cur: pymysql.cursors.Cursor, n: int) -> None:
    cur.execute(
        "INSERT INTO users (user_id,full_name,email,phone_number,national_id) VALUES (%s,%s,%s,%s,%s)",
        (n, f"Akinyi {_SURNAMES[n]}", f"u{n}@x.co.ke", f"2547220002{n:02d}", f"2345678{n}"),
    )


def test_binlog_initial_snapshot_resumes_after_a_kill_then_streams(pg_engine, topic_prefix):
    db = f"snap_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host="127.0.0.1", user="brain", password="brain", autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {db}")
        cur.execute(f"USE {db}")
        for stmt in DFS_DDL.split(";"):
            if stmt.strip():
                cur.execute(stmt)
        for n in (1, 2, 3):
            _user(cur, n)  # before the connector exists (and maybe older than any binlog file)
    publisher = KafkaEventPublisher(KAFKA, "connector-tests", topic_prefix)
    try:
        first = _dfs(db, publisher, ConnectorStore(pg_engine))
        assert first.step().rows == 2
        assert is_snapshot(ConnectorStore(pg_engine).position("dfs-snap"))
        first._store = CrashingStore(pg_engine)
        with pytest.raises(KeyboardInterrupt):
            first.step()  # user 3 published, killed before the commit
        first.source.close()
        restarted = _dfs(db, publisher, ConnectorStore(pg_engine))
        assert restarted.drain() == 1  # user 3 again, then the stream from the recorded position
        with admin.cursor() as cur:
            _user(cur, 4)
            cur.execute("UPDATE users SET full_name = 'Akinyi Odhiambo' WHERE user_id = 1")
        assert restarted.drain() == 2
        assert restarted.drain() == 0
        restarted.source.close()
        got = of(consume(topic_prefix, ["customer.events"], 6), "customer.events")
    finally:
        publisher.close()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE {db}")
        admin.close()
    assert len(got) == 6  # 2 + 1 (killed) + 1 snapshot, 2 streamed
    by_id = {e["event_id"]: e for e in got}
    snapshot = sorted(e["source_key"] for e in by_id.values() if e["position"].startswith("snapshot:"))
    assert snapshot == ["user:1", "user:2", "user:3"]  # every row exactly once
    streamed = [e for e in by_id.values() if not e["position"].startswith("snapshot:")]
    assert sorted(e["source_key"] for e in streamed) == ["user:1", "user:4"]
