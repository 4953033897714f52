"""``brain dlq replay`` on real Kafka: a row that failed mapping → DLQ → mapping fixed → replayed once.

A CRM customer whose ``KYCStatus`` the mapping does not know is dead-lettered by the polling
connector. A replay with the unfixed mapping leaves it failing; after the fix (a mappings folder
with the new value) the replay publishes its event; replaying again reads it again (every replay
reads the whole DLQ) and says it was replayed before, re-sending nothing. The replayed event has
the id the row would have had, which the identity processor (idempotent on ``event_id``) applies
once however often it is delivered.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from infra.local_services import KAFKA, postgres_database
from kernel.events import CustomerChanged, parse_event
from kernel.storage.schema import processed_event
from kernel.transport import InProcessBus
from kernel.transport._kafka import KafkaEventConsumer, KafkaEventPublisher
from pipelines.connectors import Connector, ConnectorStore, PollingSource, load_mappings
from pipelines.connectors._mapping import mappings_dir
from pipelines.connectors._replay import dlq_entries, replay_dlq
from pipelines.dlq import ReplayLedger
from pipelines.processors import IdentityHandler
from pipelines.simulator._sources_ddl import CRM_DDL

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

KEY = b"integration-card-key-0123456789"


def _replay(prefix: str, publisher: KafkaEventPublisher, ledger: ReplayLedger, root: Path | None):
    # a group of its own each time, as `brain dlq replay` does: the whole DLQ from its beginning
    consumer = KafkaEventConsumer(
        KAFKA, "t", f"replay-{uuid.uuid4().hex[:6]}", ["customer.events.dlq"], prefix
    )
    try:
        return replay_dlq(
            "customer.events", consumer, publisher, KEY, idle_polls=4, mappings_root=root, ledger=ledger
        )
    finally:
        consumer.close()


def _events(prefix: str, want: int) -> list:
    consumer = KafkaEventConsumer(KAFKA, "t", f"g{uuid.uuid4().hex[:6]}", ["customer.events"], prefix)
    out: list = []
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline and len(out) < want:
            out += consumer.poll(500)
        out += consumer.poll(500)
    finally:
        consumer.close()
    return out


def test_a_dead_lettered_row_is_replayed_after_the_mapping_fix_and_processed_once(
    pg_engine, topic_prefix, tmp_path
):
    publisher = KafkaEventPublisher(KAFKA, "replay-tests", topic_prefix)
    with postgres_database() as url:
        source = create_engine(url)
        with source.begin() as conn:
            conn.exec_driver_sql(CRM_DDL)
            for i, kyc in enumerate(["Verified", "OnHold"]):  # "OnHold": unknown to the mapping
                conn.exec_driver_sql(
                    'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","Email",'
                    f"\"CreatedAt\",\"KYCStatus\") VALUES ('{uuid.uuid4()}','CRM-{i}','wanjiku','Mwangi',"
                    f"'w{i}@x.com','2026-01-0{i + 1} 10:00:00','{kyc}')"
                )
        maps = load_mappings("crm")
        connector = Connector(
            "crm-replay", PollingSource(source, maps), maps, publisher, ConnectorStore(pg_engine), KEY
        )
        assert connector.drain() == 2
        assert ConnectorStore(pg_engine).states()[0].errors == 1
        source.dispose()

    ledger = ReplayLedger(pg_engine)
    unfixed = _replay(topic_prefix, publisher, ledger, None)
    assert (unfixed.read, unfixed.replayed, unfixed.still_failing) == (1, 0, 1)

    fixed = tmp_path / "mappings"
    shutil.copytree(mappings_dir() / "crm", fixed / "crm")
    path = fixed / "crm" / "Customers.yaml"
    path.write_text(path.read_text().replace("Verified: verified,", "Verified: verified, OnHold: pending,"))
    first = _replay(topic_prefix, publisher, ledger, fixed)
    assert (first.read, first.replayed, first.still_failing) == (1, 1, 0)
    again = _replay(topic_prefix, publisher, ledger, fixed)  # the record is still on the DLQ
    assert (again.read, again.replayed_before, again.replayed) == (1, 1, 0)
    assert "replayed earlier 1" in again.summary("customer.events.dlq")
    shower = KafkaEventConsumer(
        KAFKA, "t", f"show-{uuid.uuid4().hex[:6]}", ["customer.events.dlq"], topic_prefix
    )
    try:
        [entry] = dlq_entries("customer.events", shower, ledger, idle_polls=4)  # `brain dlq show`
    finally:
        shower.close()
    assert entry.replayed and entry.rejected_by == "crm-replay" and "OnHold" in entry.error
    assert entry.source.startswith("crm.Customers@")
    publisher.close()

    records = _events(topic_prefix, 2)
    events = [parse_event("customer.events", r.value) for r in records]
    assert len(events) == 2
    flagged = [(e, bool(dict(r.headers).get("replayed_from"))) for e, r in zip(events, records, strict=True)]
    (replayed,) = [e for e, again in flagged if again]
    (original,) = [e for e, again in flagged if not again]
    assert isinstance(replayed, CustomerChanged) and replayed.payload.kyc_status == "pending"

    bus = InProcessBus()
    identity = IdentityHandler(pg_engine, bus.publisher())
    identity.handle(original)  # records come from several partitions: not necessarily events[0]
    identity.handle(replayed)
    effects = {parse_event("identity.events", r.value).event_id for r in bus.records("identity.events")}
    identity.handle(replayed)  # delivered again: same id → no new effect (outbox re-sent)
    after = {parse_event("identity.events", r.value).event_id for r in bus.records("identity.events")}
    assert after == effects and len(effects) == 2
    with pg_engine.connect() as conn:
        processed = conn.execute(
            select(func.count())
            .select_from(processed_event)
            .where(processed_event.c.consumer == identity.name)
        ).scalar_one()
    assert processed == 2  # the good row and the replayed row, each once
