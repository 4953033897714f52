"""The simulator's source databases, read by the connectors: every record maps, nothing dead-letters.

A small bank is written into fresh databases of every system (the same people in several systems,
fraud patterns), then each PostgreSQL system (v5 and those of issue 3 part A) is drained by its
connector into Kafka: the events counted, no row in the DLQ. The ground truth and the fraud truth are files.
"""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from collections.abc import Iterator

import pymysql
import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text

from infra.local_services import KAFKA, PG_ADMIN, drop_database
from kernel.transport._kafka import KafkaEventPublisher
from pipelines.connectors import Connector, ConnectorStore
from pipelines.simulator._sources import SourceBank, SourceUrls, create_sources
from pipelines.simulator._sources_feeds import FeedUrls
from tests.integration.connectors_pg import close, connector

# Eight logical slots: creating each waits for the transactions running in the (shared) cluster.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

INPUT_TOPICS = (
    "customer.events",
    "account.events",
    "transaction.events",
    "login.events",
    "fraud.events",
    "risk.events",
)
PG = "postgresql://brain:brain@127.0.0.1:5432/"


@pytest.fixture
def urls() -> Iterator[SourceUrls]:
    tag = uuid.uuid4().hex[:8]
    feeds = FeedUrls(**{f: f"{PG}sim_{tag}_{f}" for f in FeedUrls.__dataclass_fields__})
    out = SourceUrls(
        v5=f"{PG}sim_{tag}_v5",
        crm=f"{PG}sim_{tag}_crm",
        dfs=f"mysql://brain:brain@127.0.0.1:3306/sim_{tag}_dfs",
        feeds=feeds,
    )
    yield out
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for url in (out.v5, out.crm, *(getattr(feeds, f) for f in FeedUrls.__dataclass_fields__)):
            name = url.rsplit("/", 1)[1]
            conn.execute(  # slots a failed test left behind would block the drop
                text(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = :d"
                ),
                {"d": name},
            )
    for url in (out.v5, out.crm, *(getattr(feeds, f) for f in FeedUrls.__dataclass_fields__)):
        drop_database(admin, url.rsplit("/", 1)[1])
    admin.dispose()
    with pymysql.connect(host="127.0.0.1", user="brain", password="brain", autocommit=True) as my:
        my.cursor().execute(f"DROP DATABASE IF EXISTS sim_{tag}_dfs")


def test_simulated_bank_fills_every_system_and_the_connectors_map_it_all(
    urls, pg_engine, topic_prefix, tmp_path
):
    create_sources(urls)
    publisher = KafkaEventPublisher(KAFKA, "sim-tests", topic_prefix)
    feeds = urls.feeds
    systems = {"v1_core": feeds.v1_core, "v1_core_ef": feeds.v1_core_ef, "openbanking": feeds.openbanking,
               "global": feeds.wgi, "salama": feeds.salama, "wekezabank": feeds.wekezabank,
               "identity_intel": feeds.identity_intel, "v5": urls.v5}  # fmt: skip
    tag = uuid.uuid4().hex[:6]  # slot names are cluster-wide
    connectors: dict[str, Connector] = {}
    try:
        bank = SourceBank(urls, seed=11)
        bank.populate(150, fraud_share=0.05)
        bank.transactions(300)
        bank.write_ground_truth(tmp_path / "truth.csv")
        # connectors started after the bank: their initial snapshots read what is already there
        for s, url in systems.items():
            connectors[s] = connector(
                s, url, pg_engine, publisher, f"sim{tag}_{s}", tmp_path, snapshot="initial"
            )
        for c in connectors.values():
            c.drain()
    finally:
        for c in connectors.values():
            close(c)
        publisher.close()
    with (tmp_path / "truth.csv").open() as f:
        truth = list(csv.DictReader(f))
    systems_per_person = Counter(frozenset(r["source_system"] for r in truth if r["person_id"] == p)
                                 for p in {r["person_id"] for r in truth})  # fmt: skip
    assert max(len(s) for s in systems_per_person) >= 4  # the same person in several systems
    assert {r["source_system"] for r in truth} >= {"v5", "dfs", "crm", "v1_core", "openbanking", "global",
                                                   "salama", "identity_intel"}  # fmt: skip
    assert any(r["source_key"].startswith("agent:") for r in truth)  # agents are people too
    with (tmp_path / "fraud_truth.csv").open() as f:
        patterns = Counter(r["pattern"] for r in csv.DictReader(f))
    assert {"account_takeover", "mule_fan_out", "card_testing"} <= set(patterns)
    produced = {}
    for state in ConnectorStore(pg_engine).states():
        assert state.errors == 0, (state.connector, state.last_error)
        produced[state.connector.removeprefix(f"sim{tag}_")] = state.events_produced
    assert set(produced) == set(systems) and all(n > 0 for n in produced.values()), produced
    # the six input topics are all filled from the source databases
    consumer = KafkaConsumer(bootstrap_servers=KAFKA)
    try:
        for topic in INPUT_TOPICS:
            name = topic_prefix + topic
            parts = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
            assert sum(consumer.end_offsets(parts).values()) > 0, f"{topic} is empty"
    finally:
        consumer.close()
