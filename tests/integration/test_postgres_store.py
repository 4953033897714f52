"""The operational store on real PostgreSQL: migrations, identity graph, decision-log chain."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from bento_service.decision_log import DecisionLog, verify_chain
from identity import resolve
from kernel.storage import migrate
from pipelines.identity_graph import SqlIdentityGraph, identity_record_of
from tests.factories import customer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_migrations_create_the_schema_and_are_idempotent(pg_engine):
    engine = pg_engine
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "gcid",
        "identity_record",
        "customer_360",
        "account_360",
        "transaction_360",
        "decision_log",
    } <= tables
    with engine.connect() as conn:
        heads = {r[0] for r in conn.execute(text("select version_num from alembic_version"))}
        assert heads >= {"0003_customer360", "0006_decisions"}  # every branch from 0001 applied
        kind = conn.execute(
            text(
                "select data_type from information_schema.columns"
                " where table_name='customer_360' and column_name='phones'"
            )
        ).scalar()
    assert kind == "jsonb"


def test_identity_graph_on_postgres_merges_duplicates_and_keeps_households_apart(pg_engine):
    engine = pg_engine
    now = datetime.now(UTC)
    with engine.begin() as conn:
        graph = SqlIdentityGraph(conn)
        a = resolve(identity_record_of(customer("v5", "C1")), graph, now)
        b = resolve(identity_record_of(customer("dfs", "9", national_id=None)), graph, now)
        c = resolve(
            identity_record_of(
                customer("dfs", "10", first_name="Peter", national_id=None, emails=(), date_of_birth=None)
            ),
            graph,
            now,
        )
    assert a.gcid == b.gcid != c.gcid
    with engine.connect() as conn:
        graph = SqlIdentityGraph(conn)
        assert [str(r) for r in graph.members(a.gcid)] == ["dfs:9", "v5:C1"]
        assert graph.gcid_of("dfs", "10") == c.gcid


def test_concurrent_appends_keep_one_unbroken_chain(pg_engine):
    engine = pg_engine
    logs = [DecisionLog(engine) for _ in range(4)]  # separate instances: only the DB lock serialises them

    def write(log: DecisionLog, worker: int) -> None:
        for i in range(25):
            log.append(
                {"worker": worker, "i": i},
                decision_id=f"d-{worker}-{i:03d}",
                decision_type="transaction",
                gcid=None,
                outcome="APPROVE",
                reason_codes=["OK"],
                rule_set_version="v1",
                model_version=None,
                score=None,
                degraded=False,
                latency_ms=0.5,
                decided_at=datetime.now(UTC),
                idempotency_key=None,
            )

    threads = [threading.Thread(target=write, args=(log, n)) for n, log in enumerate(logs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_chain(engine)
    assert report.checked == 100 and report.ok, report.problems
