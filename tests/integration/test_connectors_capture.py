"""Connectors against the real engines: PostgreSQL logical decoding, MariaDB binlog, polling.

Each test: rows inserted, updated and deleted in a fresh source database → canonical events on
Kafka (unique topic prefix); a crash between publishing and committing → the restart produces the
same event ids (no gap, no new effect); a corrupt row → ``<topic>.dlq`` and the connector goes on.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Literal

import psycopg
import pymysql
import pytest
from sqlalchemy import create_engine

from infra.local_services import KAFKA, mariadb_database, postgres_database
from kernel.transport._kafka import KafkaEventConsumer
from pipelines.connectors import (
    BinlogSource,
    Connector,
    ConnectorStore,
    PgLogicalSource,
    PollingSource,
    load_mappings,
)
from pipelines.simulator._sources_ddl import CRM_DDL, DFS_DDL, V5_DDL, replica_identity_full

# Creating a logical slot waits for every transaction running in the cluster (other suites' bulk
# loads on a shared machine): the PostgreSQL tests get a longer budget than the default.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

KEY = b"integration-card-key-0123456789"


class CrashingStore(ConnectorStore):
    """Dies after Kafka has the events but before the position is committed (a kill -9 there)."""

    def commit(self, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed before commit")


def consume(prefix: str, topics: list[str], want: int, timeout_s: float = 20.0) -> list[tuple[str, dict]]:
    consumer = KafkaEventConsumer(KAFKA, "t", f"g{uuid.uuid4().hex[:6]}", topics, prefix)
    out: list[tuple[str, dict]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(out) < want:
            out += [(r.topic, json.loads(r.value)) for r in consumer.poll(500)]
        time.sleep(0.5)  # anything beyond `want` (duplicates) shows up too
        out += [(r.topic, json.loads(r.value)) for r in consumer.poll(300)]
    finally:
        consumer.close()
    return out


# --- PostgreSQL logical decoding (v5) --------------------------------------------------------------


@pytest.fixture
def v5_dsn() -> Iterator[str]:
    with postgres_database() as url:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(V5_DDL)
            for stmt in replica_identity_full(V5_DDL):
                conn.execute(stmt)
        yield dsn


def _v5_connector(dsn: str, slot: str, publisher, store: ConnectorStore) -> Connector:
    maps = load_mappings("v5")
    source = PgLogicalSource(dsn, slot, {m.table for m in maps}, snapshot="never")  # the stream
    return Connector("v5-test", source, maps, publisher, store, KEY)


def _v5_customer(conn: psycopg.Connection, kyc: str = "Verified") -> uuid.UUID:
    cid = uuid.uuid4()
    conn.execute(
        'INSERT INTO "Customers" ("Id","CustomerNumber","FirstName","LastName","Email","IdentificationNumber",'  # noqa: E501
        '"PrimaryPhone","KYCStatus") VALUES (%s,%s,%s,%s,%s,%s,%s,%s)',
        (
            cid,
            f"CUS-{cid.hex[:8]}",
            "wanjiru",
            "KAMAU",
            f"{cid.hex[:6]}@Example.com",
            f"KE-ID-{uuid.uuid4().int % 90_000_000 + 10_000_000}",
            "0712345678",
            kyc,
        ),
    )
    return cid


def test_pg_logical_insert_update_delete_reach_kafka(v5_dsn, pg_engine, topic_prefix, publisher):
    slot = f"eb_t{uuid.uuid4().hex[:8]}"
    connector = _v5_connector(v5_dsn, slot, publisher, ConnectorStore(pg_engine))
    try:
        with psycopg.connect(v5_dsn, autocommit=True) as conn:
            cid = _v5_customer(conn)
            aid = uuid.uuid4()
            conn.execute(
                'INSERT INTO "Accounts" ("Id","AccountNumber","CustomerId","Balance","AvailableBalance") '
                "VALUES (%s,'WKZ-0000ABCD',%s,10.50,10.50)",
                (aid, cid),
            )
            card = uuid.uuid4()
            conn.execute(
                'INSERT INTO "Cards" ("Id","CardNumber","CustomerId","AccountId") VALUES (%s,%s,%s,%s)',
                (card, "4111111111111111", cid, aid),
            )
            conn.execute(
                'INSERT INTO "POSTransactions" ("Id","CardId","Reference","Amount") VALUES (%s,%s,%s,250)',
                (uuid.uuid4(), card, "POS-1"),
            )
            conn.execute('UPDATE "Accounts" SET "Balance" = 99.00 WHERE "Id" = %s', (aid,))
            conn.execute('DELETE FROM "Accounts" WHERE "Id" = %s', (aid,))
        assert connector.drain() == 5

        got = consume(topic_prefix, ["customer.events", "account.events", "transaction.events"], 5)
        by_topic = [t for t, _ in got]
        assert sorted(by_topic) == sorted(
            ["customer.events"] + ["account.events"] * 3 + ["transaction.events"]
        )
        customer = next(e for t, e in got if t == "customer.events")["payload"]
        assert customer["national_id"].isdigit() and len(customer["national_id"]) == 8
        assert customer["phones"] == ["+254712345678"]
        accounts = [e for t, e in got if t == "account.events"]
        assert [a["payload"]["balance"] for a in accounts[:2]] == ["10.50", "99.00"]
        assert accounts[2]["payload"]["deleted"] is True
        pos = next(e for t, e in got if t == "transaction.events")["payload"]
        assert pos["card_last4"] == "1111" and len(pos["card_hash"]) == 64
        assert "4111111111111111" not in json.dumps([e for _, e in got])
        state = ConnectorStore(pg_engine).states()[0]
        assert (state.mode, state.rows_read, state.events_produced, state.errors) == ("pg_logical", 5, 5, 0)
        # lineage: the event points at its raw record, kept without the PAN
        raw = ConnectorStore(pg_engine).raw("v5-test", "Accounts", str(aid))
        assert [r.op for r in raw] == ["insert", "update", "delete"]
        assert raw[0].event_id == accounts[0]["event_id"] and raw[0].position == accounts[0]["position"]
    finally:
        connector.source.drop_slot()  # type: ignore[attr-defined]
        connector.source.close()


def test_pg_logical_kill_before_commit_then_restart_has_no_gap_and_same_ids(
    v5_dsn, pg_engine, topic_prefix, publisher
):
    slot = f"eb_t{uuid.uuid4().hex[:8]}"
    crashing = _v5_connector(v5_dsn, slot, publisher, CrashingStore(pg_engine))  # creates the slot
    with psycopg.connect(v5_dsn, autocommit=True) as conn:
        for _ in range(3):
            _v5_customer(conn)
    with pytest.raises(KeyboardInterrupt):
        crashing.step()
    crashing.source.close()
    with psycopg.connect(v5_dsn, autocommit=True) as conn:
        _v5_customer(conn)
    restarted = _v5_connector(v5_dsn, slot, publisher, ConnectorStore(pg_engine))
    try:
        assert restarted.drain() == 4
        assert restarted.drain() == 0  # committed: nothing re-read
        got = consume(topic_prefix, ["customer.events"], 7)
        ids = [e["event_id"] for _, e in got]
        assert len(ids) == 7  # 3 published before the kill + 4 after
        assert len(set(ids)) == 4  # the re-read 3 carry the same ids: no duplicate effect downstream
    finally:
        restarted.source.drop_slot()  # type: ignore[attr-defined]
        restarted.source.close()


def test_pg_logical_corrupt_row_goes_to_dlq_and_connector_continues(
    v5_dsn, pg_engine, topic_prefix, publisher
):
    slot = f"eb_t{uuid.uuid4().hex[:8]}"
    connector = _v5_connector(v5_dsn, slot, publisher, ConnectorStore(pg_engine))
    try:
        with psycopg.connect(v5_dsn, autocommit=True) as conn:
            bad = _v5_customer(conn, kyc="Bogus")
            _v5_customer(conn)
        assert connector.drain() == 2
        got = consume(topic_prefix, ["customer.events", "customer.events.dlq"], 2)
        assert sorted(t for t, _ in got) == ["customer.events", "customer.events.dlq"]
        dead = next(e for t, e in got if t.endswith(".dlq"))
        assert dead["source_key"] == str(bad) and "kyc_status" in dead["error"]
        assert dead["raw"]["KYCStatus"] == "Bogus" and dead["source_table"] == "Customers"
        state = ConnectorStore(pg_engine).states()[0]
        assert (state.rows_read, state.events_produced, state.errors) == (2, 1, 1)
    finally:
        connector.source.drop_slot()  # type: ignore[attr-defined]
        connector.source.close()


# --- MariaDB binlog (WekezaDFS) --------------------------------------------------------------------


@pytest.fixture
def dfs_db() -> Iterator[str]:
    with mariadb_database("dfs", DFS_DDL) as name:
        yield name


def _dfs(
    db: str, publisher, store: ConnectorStore, start: Literal["earliest", "latest"] = "latest"
) -> Connector:
    maps = load_mappings("dfs")
    source = BinlogSource(
        "127.0.0.1",
        3306,
        "brain",
        "brain",
        db,
        {m.table for m in maps},
        db,
        start=start,
        read_budget_s=2,
        snapshot="never",  # these tests are about the start modes of the stream
    )
    return Connector("dfs-test", source, maps, publisher, store, KEY)


def _mysql(db: str) -> pymysql.connections.Connection:
    return pymysql.connect(host="127.0.0.1", user="brain", password="brain", database=db, autocommit=True)


@pytest.mark.timeout(60)
def test_binlog_insert_update_delete_kill_and_corrupt_row(dfs_db, pg_engine, topic_prefix, publisher):
    first = _dfs(dfs_db, publisher, ConnectorStore(pg_engine))
    assert first.drain() == 0  # start="latest": commits the server's current position
    assert ConnectorStore(pg_engine).position("dfs-test") is not None
    first.source.close()
    with _mysql(dfs_db) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (full_name,email,phone_number,national_id,kyc_tier) "
            "VALUES ('otieno OCHIENG','O@X.co.ke','254722000111','ID12345678','TIER_2')"
        )
        cur.execute("INSERT INTO accounts (account_number,user_id,balance) VALUES ('ACC00000001',1,10.50)")
        cur.execute(
            "INSERT INTO transactions (account_id,txn_type,amount,reference_code) VALUES (1,'MPESA_IN',10.5,'R1')"  # noqa: E501
        )
        cur.execute("UPDATE accounts SET balance = 20 WHERE account_id = 1")
        cur.execute("DELETE FROM accounts WHERE account_id = 1")
        cur.execute(
            "INSERT INTO transactions (account_id,txn_type,amount,reference_code) VALUES (1,'BOGUS',5,'R2')"
        )
    crashing = _dfs(dfs_db, publisher, CrashingStore(pg_engine))
    with pytest.raises(KeyboardInterrupt):
        crashing.step()
    crashing.source.close()
    restarted = _dfs(dfs_db, publisher, ConnectorStore(pg_engine))
    assert restarted.drain() == 6
    assert restarted.drain() == 0
    topics = ["customer.events", "account.events", "transaction.events", "transaction.events.dlq"]
    got = consume(topic_prefix, topics, 12)
    ids = {e["event_id"] for t, e in got if not t.endswith(".dlq")}
    assert len(ids) == 5  # crash + restart: 10 records, 5 distinct events
    user = next(e for t, e in got if t == "customer.events")
    assert user["source_key"] == "user:1" and user["payload"]["national_id"] == "12345678"
    assert user["payload"]["emails"] == ["o@x.co.ke"] and user["payload"]["kyc_tier"] == 2
    txn = next(e for t, e in got if t == "transaction.events")["payload"]
    assert (txn["customer_source_key"], txn["channel"], txn["amount"]) == ("user:1", "mpesa", "10.50")
    deleted = [e["payload"]["deleted"] for t, e in got if t == "account.events"]
    assert deleted.count(True) == 2  # the delete, seen twice (before and after the crash), same id
    dead = [e for t, e in got if t.endswith(".dlq")]
    assert dead and dead[0]["raw"]["txn_type"] == "BOGUS"
    state = ConnectorStore(pg_engine).states()[0]
    assert (state.mode, state.rows_read, state.errors) == ("mysql_binlog", 6, 1)
    restarted.source.close()


@pytest.mark.timeout(60)
def test_binlog_earliest_start_captures_rows_already_in_the_log(dfs_db, pg_engine, topic_prefix, publisher):
    with _mysql(dfs_db) as conn, conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        oldest = cur.fetchall()[0][0]
        cur.execute("SHOW MASTER STATUS")
        current = cur.fetchall()[0][0]
        cur.execute(
            "INSERT INTO users (full_name,email,phone_number,national_id,kyc_tier) "
            "VALUES ('akinyi ODHIAMBO','a@x.co.ke','0722000222','23456789','TIER_1')"
        )
    store = ConnectorStore(pg_engine)
    connector = _dfs(dfs_db, publisher, store, start="earliest")
    try:
        # no position: capture starts at the beginning of the oldest binlog file the server keeps
        assert connector.source._start_position() == f"{oldest}:4"  # type: ignore[attr-defined]
        # scanning every file of this shared server could take long: start from the beginning of
        # the file that was current before the insert (the same read path: other databases'
        # changes skipped, time-bounded reads that each commit their position)
        store.commit("dfs-test", "mysql_binlog", f"{current}:4", [], rows=0, events=0, errors=0, lag_s=None)
        assert connector.drain() == 1
        assert connector.drain() == 0
        got = consume(topic_prefix, ["customer.events"], 1)
        assert [e["payload"]["national_id"] for _, e in got] == ["23456789"]
    finally:
        connector.source.close()


# --- watermark polling (CRM shape on PostgreSQL) ---------------------------------------------------


def test_polling_reads_new_rows_once_and_resumes(pg_engine, topic_prefix, publisher):
    with postgres_database() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(CRM_DDL)
            for i in range(3):
                conn.exec_driver_sql(
                    'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","Email","PhoneNumber",'  # noqa: E501
                    f"\"CreatedAt\") VALUES ('{uuid.uuid4()}','CRM-{i}','akinyi','Otieno','a{i}@x.com','0711{i:06d}',"  # noqa: E501
                    f"'2026-01-0{i + 1} 10:00:00')"
                )
        maps = load_mappings("crm")
        connector = Connector(
            "crm-test", PollingSource(engine, maps), maps, publisher, ConnectorStore(pg_engine), KEY
        )
        assert connector.drain() == 3
        assert connector.drain() == 0
        with engine.begin() as conn:
            conn.exec_driver_sql(
                'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","Email","CreatedAt",'  # noqa: E501
                f"\"KYCStatus\") VALUES ('{uuid.uuid4()}','CRM-9','x','y','bad@x.com','2026-02-01 10:00:00','Nope')"  # noqa: E501
            )
        restarted = Connector(
            "crm-test", PollingSource(engine, maps), maps, publisher, ConnectorStore(pg_engine), KEY
        )
        assert restarted.drain() == 1
        got = consume(topic_prefix, ["customer.events", "customer.events.dlq"], 4)
        assert sorted(t for t, _ in got) == ["customer.events"] * 3 + ["customer.events.dlq"]
        assert ConnectorStore(pg_engine).states()[0].mode == "watermark_poll"
        engine.dispose()
