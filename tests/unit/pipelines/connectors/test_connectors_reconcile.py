"""Reconciliation of a polled table, in process: SQLite source and operational DB, in-process bus."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from kernel.events import parse_event
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from pipelines.connectors import (
    Connector,
    ConnectorStore,
    PollingSource,
    load_mappings,
    reconcile,
    reconcile_name,
)
from pipelines.connectors._reconcile import run_with_reconciliation

pytestmark = pytest.mark.unit

KEY = b"unit-test-card-key-0123456789ab"
DDL = """CREATE TABLE "Customers" ("Id" varchar(36) PRIMARY KEY, "CustomerReference" varchar(50),
"FirstName" varchar(100), "LastName" varchar(100), "Email" varchar(200), "PhoneNumber" varchar(50),
"DateOfBirth" varchar(30), "City" varchar(100), "Segment" varchar(50), "KYCStatus" varchar(20),
"RiskScore" integer, "IsActive" boolean, "CreatedAt" varchar(30) NOT NULL, "UpdatedAt" varchar(30))"""
# (timestamps as ISO text: SQLAlchemy's SQLite DateTime refuses the text watermark polling binds)


@pytest.fixture
def source(tmp_path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'crm.db'}")  # a file: the run test reads it from a thread
    with engine.begin() as conn:
        conn.exec_driver_sql(DDL)
        for i in range(6):
            conn.exec_driver_sql(
                'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","Email",'
                f"\"KYCStatus\",\"CreatedAt\") VALUES ('c{i}','R{i}','akinyi','Otieno','a{i}@x.com',"
                f"'Verified','2026-01-0{i + 1} 10:00:00')"
            )
    yield engine
    engine.dispose()


@pytest.fixture
def ops(tmp_path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'ops.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def connector(source: Engine, ops: Engine, bus: InProcessBus) -> Connector:
    maps = load_mappings("crm")
    return Connector("crm", PollingSource(source, maps), maps, bus.publisher(), ConnectorStore(ops), KEY)


def test_in_sync_tables_reemit_nothing(source, ops) -> None:
    bus = InProcessBus()
    c = connector(source, ops, bus)
    assert c.drain() == 6
    report = reconcile(c, ConnectorStore(ops), ranges=8)
    assert report.mismatched_ranges == 0 and report.tables[0].source_rows == 6
    assert len(bus.records("customer.events")) == 6


def test_silent_edit_delete_and_missed_insert_are_found_and_reemitted(source, ops) -> None:
    bus = InProcessBus()
    c, store = connector(source, ops, bus), ConnectorStore(ops)
    c.drain()
    with source.begin() as conn:
        conn.exec_driver_sql("""UPDATE "Customers" SET "City" = 'Kisumu' WHERE "Id" = 'c2'""")
        conn.exec_driver_sql("""DELETE FROM "Customers" WHERE "Id" = 'c4'""")
        # committed late with an old watermark: behind the polling position, never polled
        conn.exec_driver_sql(
            'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","KYCStatus",'
            "\"CreatedAt\") VALUES ('c9','R9','brian','Mwangi','Pending','2026-01-01 09:00:00')"
        )
    assert c.drain() == 0
    t = reconcile(c, store, ranges=8).tables[0]
    assert (t.source_rows, t.captured_rows, t.changed, t.deleted, t.reemitted) == (6, 6, 2, 1, 3)
    events = [parse_event("customer.events", r.value) for r in bus.records("customer.events")[6:]]
    assert sorted(e.source_key for e in events) == ["c2", "c4", "c9"]
    deleted = next(e for e in events if e.source_key == "c4")
    assert deleted.payload.deleted is True  # type: ignore[union-attr]
    assert reconcile(c, store, ranges=8).mismatched_ranges == 0  # the re-emitted rows are captured
    assert len(bus.records("customer.events")) == 9
    state = {s.connector: s for s in store.states()}[reconcile_name("crm")]
    assert (state.mode, state.events_produced) == ("reconcile", 3)


def test_a_later_change_of_a_reemitted_row_gets_a_new_event_id(source, ops) -> None:
    bus = InProcessBus()
    c, store = connector(source, ops, bus), ConnectorStore(ops)
    c.drain()
    ids = []
    for city in ("Nakuru", "Eldoret", "Nakuru"):  # back to an earlier state: still a new event
        with source.begin() as conn:
            conn.exec_driver_sql(f"""UPDATE "Customers" SET "City" = '{city}' WHERE "Id" = 'c1'""")
        assert reconcile(c, store, ranges=4).tables[0].reemitted == 1
        ids.append(parse_event("customer.events", bus.records("customer.events")[-1].value).event_id)
    assert len(set(ids)) == 3


def test_run_reconciles_periodically_in_the_connector_thread(source, ops) -> None:
    bus = InProcessBus()
    c, store = connector(source, ops, bus), ConnectorStore(ops)
    c.drain()
    with source.begin() as conn:
        conn.exec_driver_sql("""UPDATE "Customers" SET "Segment" = 'SME' WHERE "Id" = 'c3'""")
    stop = threading.Event()
    thread = threading.Thread(target=run_with_reconciliation, args=(c, store, stop, 0.0, 4, 0.01))
    thread.start()
    try:
        for _ in range(500):
            if len(bus.records("customer.events")) == 7:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(5)
    assert len(bus.records("customer.events")) == 7
    assert parse_event("customer.events", bus.records("customer.events")[6].value).source_key == "c3"
