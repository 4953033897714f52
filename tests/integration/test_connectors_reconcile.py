"""Reconciliation of a polled table (CRM shape on PostgreSQL) against what the connector captured.

The CRM mapping polls on ``CreatedAt``: an edit that does not move it, and a delete, are invisible
to polling. Reconciliation finds both through per-range counts and checksums, re-emits them with
deterministic ids (a rerun after a kill publishes the same ids), and then finds nothing more.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from infra.local_services import KAFKA, postgres_database
from kernel.transport._kafka import KafkaEventConsumer, KafkaEventPublisher
from pipelines.connectors import Connector, ConnectorStore, PollingSource, load_mappings, reconcile
from pipelines.simulator._sources_ddl import CRM_DDL

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

KEY = b"integration-card-key-0123456789"


class KilledAfterPublish(ConnectorStore):
    def keep_raws(self, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed after publishing, before keeping the raw records")


def consume(prefix: str, want: int, timeout_s: float = 20.0) -> list[dict]:
    consumer = KafkaEventConsumer(KAFKA, "t", f"g{uuid.uuid4().hex[:6]}", ["customer.events"], prefix)
    out: list[dict] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(out) < want:
            out += [json.loads(r.value) for r in consumer.poll(500)]
        time.sleep(0.5)
        out += [json.loads(r.value) for r in consumer.poll(300)]
    finally:
        consumer.close()
    return out


@pytest.fixture
def crm() -> Iterator[Engine]:
    with postgres_database() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(CRM_DDL)
        yield engine
        engine.dispose()


def _insert(engine: Engine, i: int) -> str:
    cid = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.exec_driver_sql(
            'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","Email",'
            f"\"PhoneNumber\",\"CreatedAt\") VALUES ('{cid}','CRM-{i}','akinyi','Otieno','a{i}@x.com',"
            f"'0711{i:06d}','2026-01-0{i + 1} 10:00:00')"
        )
    return cid


def test_reconcile_finds_a_silent_edit_and_a_delete_and_reemits_them_once(crm, pg_engine, topic_prefix):
    ids = [_insert(crm, i) for i in range(5)]
    maps = load_mappings("crm")
    publisher = KafkaEventPublisher(KAFKA, "reconcile-tests", topic_prefix)
    store = ConnectorStore(pg_engine)
    connector = Connector("crm-rec", PollingSource(crm, maps), maps, publisher, store, KEY)
    try:
        assert connector.drain() == 5
        clean = reconcile(connector, store, ranges=4)
        assert clean.mismatched_ranges == 0 and clean.tables[0].source_rows == 5
        assert clean.tables[0].captured_rows == 5 and clean.tables[0].reemitted == 0

        with crm.begin() as conn:  # neither CreatedAt nor UpdatedAt moves: polling cannot see it
            conn.exec_driver_sql(f'UPDATE "Customers" SET "Email" = \'new@x.com\' WHERE "Id" = \'{ids[1]}\'')
            conn.exec_driver_sql(f'DELETE FROM "Customers" WHERE "Id" = \'{ids[3]}\'')
        assert connector.drain() == 0

        killed = Connector(
            "crm-rec", PollingSource(crm, maps), maps, publisher, KilledAfterPublish(pg_engine), KEY
        )
        with pytest.raises(KeyboardInterrupt):
            reconcile(killed, KilledAfterPublish(pg_engine), ranges=4)

        found = reconcile(connector, store, ranges=4)
        table = found.tables[0]
        assert (table.changed, table.deleted, table.reemitted, table.errors) == (1, 1, 2, 0)
        assert 1 <= table.mismatched_ranges <= 2
        again = reconcile(connector, store, ranges=4)
        assert again.mismatched_ranges == 0 and again.tables[0].reemitted == 0

        got = consume(topic_prefix, 5 + 2 + 2)
        assert len(got) == 9  # 5 polled, 2 re-emitted by the killed run, the same 2 again
        assert len({e["event_id"] for e in got}) == 7  # the rerun re-used the killed run's ids
        edited = [e for e in got if e["source_key"] == ids[1]]
        assert [e["payload"]["emails"] for e in edited] == [["a1@x.com"], ["new@x.com"], ["new@x.com"]]
        gone = [e for e in got if e["source_key"] == ids[3] and e["payload"].get("deleted")]
        assert len(gone) == 2 and gone[0]["event_id"] == gone[1]["event_id"]
        assert gone[0]["position"].startswith("reconcile-delete:")

        status = {s.connector: s for s in store.states()}["crm-rec#reconcile"]
        assert status.mode == "reconcile" and status.events_produced == 2
        assert json.loads(status.position or "{}")["tables"][0]["mismatched_ranges"] == 0  # the last run
    finally:
        publisher.close()
