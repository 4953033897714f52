"""Degraded mode against the real stores: Redis and PostgreSQL cut off (through a TCP proxy)
during a run — decisions keep coming within budget, say they are degraded, and no log record is
lost. (``decision.events`` with Kafka down: the batches' outbox marks stay for the sweeper, see
``tests/unit/bento_service/test_decision_outbox.py``; here the events go to an in-process bus, as
kafka-python leaks the sockets of a producer that cannot reach its broker.)"""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import make_url

from bento_service.bootstrap import bootstrap
from bento_service.decision_log import verify_chain
from bento_service.settings import ServiceSettings
from features.feast_store import FeastFeatureStore
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from pipelines.processors import IdentityHandler
from tests.factories import customer, decision_request, velocity_row
from tests.faults import proxied

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

REQUEST = decision_request("60000.00")


def test_decisions_survive_redis_postgres_and_kafka_outages(tmp_path, pg_url):
    direct = create_db_engine(pg_url)
    migrate(direct)
    IdentityHandler(direct, InProcessBus().publisher()).handle(customer("v5", "C1"))
    with proxied(5432) as pg, proxied(6379) as redis:
        url = make_url(pg_url).set(port=pg.port).render_as_string(hide_password=False)
        settings = ServiceSettings(
            profile="services",
            run_dir=tmp_path,
            database_url=url,
            redis_url=f"redis://127.0.0.1:{redis.port}/0",
            kafka_bootstrap="127.0.0.1:1",
            decision_budget_ms=150,
        )
        store = FeastFeatureStore(settings)
        store.apply()
        with direct.connect() as conn:
            gcid = conn.exec_driver_sql("select gcid from identity_record").scalar_one()
        store.push_rows([velocity_row(gcid, datetime.now(UTC), 2, 3000.0)])
        deps = bootstrap(settings, publisher=InProcessBus().publisher())
        engine = deps.decisions

        healthy = engine.decide(REQUEST, None)  # Kafka is unreachable from the start: still answered
        assert not healthy.degraded and healthy.features.txn_count_24h == 2 and healthy.logged == "log"

        redis.down()
        no_features = engine.decide(REQUEST, None)
        assert no_features.degraded_causes == ["features"]
        assert no_features.outcome == "REVIEW" and "DEGRADED_CAUTION" in [r.code for r in no_features.reasons]

        pg.slow(1.0)
        started = time.perf_counter()
        slow_db = engine.decide(REQUEST.model_copy(update={"amount": Decimal("10.00")}), "slow-db-key-1")
        assert (time.perf_counter() - started) < 1.0
        assert "database" in slow_db.degraded_causes and slow_db.gcid == gcid  # cached profile
        assert slow_db.logged == "spool"

        pg.down()
        no_db = engine.decide(REQUEST.model_copy(update={"amount": Decimal("20.00")}), None)
        assert no_db.logged == "spool" and no_db.gcid == gcid

        pg.up()
        redis.up()
        deadline = time.monotonic() + 30
        while engine.drain_spool() == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        for decision in (healthy, no_features, slow_db, no_db):
            assert engine.stored(decision.decision_id).decision.outcome == decision.outcome
        report = verify_chain(direct)
        assert report.ok and report.checked == 4, report.problems
        engine.close()
        deps.reader.dispose()
        deps.engine.dispose()
    direct.dispose()
