"""WekezaDFS agency banking and risk scores on real MariaDB tables (``wekeza_dfs_db`` shape).

The mappings of agents, agency_transactions, agent_auth_logs and risk_scores read a fresh MariaDB
database through the watermark-polling source (the binlog capture of the same tables is the
binlog test's subject): agency cash movements with the agent's device, agent logins (failed ones
too), credit scores; an agency transaction on an unknown account → DLQ and the connector goes on;
a kill before the commit → the restart re-sends the same event ids.
"""

from __future__ import annotations

from collections.abc import Iterator

import pymysql
import pytest
from sqlalchemy import create_engine

from infra.local_services import KAFKA, mariadb_database
from kernel.transport._kafka import KafkaEventPublisher
from pipelines.connectors import Connector, ConnectorStore, PollingSource, load_mappings
from pipelines.simulator._sources_ddl import DFS_DDL
from tests.integration.connectors_pg import CrashingStore, consume, of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

KEY = b"integration-card-key-0123456789"
TABLES = {"agents", "agency_transactions", "agent_auth_logs", "risk_scores"}


@pytest.fixture
def dfs_db() -> Iterator[str]:
    with mariadb_database("agency", DFS_DDL) as name:  # the server's default collation (not the connection's)
        yield name


def _connector(db: str, publisher, store: ConnectorStore) -> Connector:
    maps = [m for m in load_mappings("dfs") if m.table in TABLES]
    engine = create_engine(f"mysql+pymysql://brain:brain@127.0.0.1:3306/{db}")
    return Connector("dfs-agency-test", PollingSource(engine, maps), maps, publisher, store, KEY)


def test_agency_transactions_agent_logins_and_scores(dfs_db, pg_engine, topic_prefix):
    with pymysql.connect(
        host="127.0.0.1", user="brain", password="brain", database=dfs_db, autocommit=True
    ) as c:
        cur = c.cursor()
        cur.execute(
            "INSERT INTO users (full_name,email,phone_number,national_id) VALUES "
            "('Atieno Odhiambo','atieno@x.co.ke','254700000003','23456789')"
        )
        cur.execute("INSERT INTO accounts (account_number,user_id,balance) VALUES ('ACC00000001',1,0)")
        cur.execute(
            "INSERT INTO agents (agent_id,agent_name,national_id,phone_number,business_name,agent_type,status) "  # noqa: E501
            "VALUES ('AG20240101RET001','Mama Mboga Shop','11223344','254700000003','Mama Mboga General Store',"  # noqa: E501
            "'RETAILER','ACTIVE')"
        )
        cur.execute(
            "INSERT INTO agent_devices (device_id,agent_id,device_type) VALUES ('POS001','AG20240101RET001','POS')"  # noqa: E501
        )
        cur.execute(
            "INSERT INTO agency_transactions (transaction_ref,agent_id,customer_account,transaction_type,amount,"  # noqa: E501
            "status,device_id) VALUES ('AGT1','AG20240101RET001','ACC00000001','CASH_IN',1500,'COMPLETED','POS001'),"  # noqa: E501
            "('AGT2','AG20240101RET001','ACC00000001','BALANCE_INQUIRY',0,'COMPLETED','POS001'),"
            "('AGT3','AG20240101RET001','ACC99999999','CASH_OUT',700,'COMPLETED','POS001')"
        )
        cur.execute(
            "INSERT INTO agent_auth_logs (agent_id,device_id,auth_type,status,session_token,ip_address) VALUES "  # noqa: E501
            "('AG20240101RET001','POS001','PIN','FAILED',NULL,'105.1.2.3'),"
            "('AG20240101RET001','POS001','PIN','SUCCESS','tok-secret','105.1.2.3')"
        )
        cur.execute("INSERT INTO risk_scores (user_id,credit_score,decision) VALUES (1,620,'APPROVED')")
    publisher = KafkaEventPublisher(KAFKA, "connector-tests", topic_prefix)
    try:
        crashing = _connector(dfs_db, publisher, CrashingStore(pg_engine))
        with pytest.raises(KeyboardInterrupt):
            crashing.step()
        crashing.source.close()
        restarted = _connector(dfs_db, publisher, ConnectorStore(pg_engine))
        assert restarted.drain() == 7
        assert restarted.drain() == 0
        restarted.source.close()
        topics = [
            "customer.events",
            "transaction.events",
            "login.events",
            "risk.events",
            "transaction.events.dlq",
        ]
        got = consume(topic_prefix, topics, 12)
    finally:
        publisher.close()
    ids = [e["event_id"] for t, e in got if not t.endswith(".dlq")]
    assert len(ids) == 10 and len(set(ids)) == 5  # everything twice (kill + restart), same ids
    (agent,) = {e["event_id"]: e for e in of(got, "customer.events")}.values()
    assert agent["source_key"] == "agent:AG20240101RET001" and agent["payload"]["national_id"] == "11223344"
    assert agent["payload"]["phones"] == ["+254700000003"]  # the phone a customer registered with too
    (txn,) = {e["event_id"]: e for e in of(got, "transaction.events")}.values()
    p = txn["payload"]
    assert (p["customer_source_key"], p["channel"], p["direction"], p["amount"]) == (
        "user:1",
        "agency",
        "credit",
        "1500.00",
    )
    assert (p["device_id"], p["counterparty"], p["counterparty_type"]) == (
        "POS001",
        "agent:AG20240101RET001",
        "agent",
    )
    logins = {e["event_id"]: e["payload"] for e in of(got, "login.events")}.values()
    assert sorted((x["success"], x.get("failure_reason")) for x in logins) == [
        (False, "bad_credentials"),
        (True, None),
    ]
    assert "tok-secret" not in str(list(logins))
    (score,) = {e["event_id"]: e["payload"] for e in of(got, "risk.events")}.values()
    assert (score["customer_source_key"], score["score"], score["score_type"]) == ("user:1", 620.0, "credit")
    dead = of(got, "transaction.events.dlq")
    assert dead and all(d["raw"]["transaction_ref"] == "AGT3" for d in dead)
    state = ConnectorStore(pg_engine).states()[0]
    assert state.mode == "watermark_poll" and state.errors == 1
