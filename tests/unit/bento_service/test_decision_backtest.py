"""Backtests replay postings through the same decision code, with point-in-time features."""

from datetime import UTC, datetime, timedelta

import pytest

from bento_service.decision_log import DecisionLog
from bento_service.decisions import DecisionEngine, DecisionSpool, backtest
from features import InMemoryFeatureStore
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from models.decisioning import DecisionType, bundled_rule_set
from pipelines.processors import Customer360Handler, IdentityHandler
from tests.factories import customer, decision_request, transaction

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
RULES = bundled_rule_set(DecisionType.TRANSACTION)


@pytest.fixture
def db(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'b.db'}")
    migrate(engine)
    IdentityHandler(engine, InProcessBus().publisher()).handle(customer("v5", "C1"))
    c360 = Customer360Handler(engine)
    # 21 small payments in 20 hours, then a large one: velocity and amount rules
    for i in range(21):
        c360.handle(transaction("v5", f"T{i:02d}", "C1", at=T0 + timedelta(hours=i), amount="100.00"))
    c360.handle(transaction("v5", "BIG", "C1", at=T0 + timedelta(hours=21), amount="200000.00"))
    yield engine
    engine.dispose()


def test_backtest_reports_outcomes_fraud_caught_and_the_diff_with_served(db, tmp_path):
    engine = DecisionEngine(
        engine=db,
        features=InMemoryFeatureStore(),
        decision_log=DecisionLog(db),
        spool=DecisionSpool(tmp_path / "s.jsonl"),
        rule_sets={t: bundled_rule_set(t) for t in DecisionType},
    )
    served = engine.decide(
        decision_request("200000.00", reference="BIG"),
        None,
    )
    assert served.outcome == "REVIEW"  # no online features were served: amount rule only

    report = backtest(db, RULES, T0, T0 + timedelta(days=2), fraud_labels=[("v5", "BIG"), ("v5", "T03")])
    assert report.decided == 22
    # the first posting has no history; from the 21st on, 20 earlier postings in the window
    assert report.outcomes["REVIEW"] >= 2
    assert report.fraud_total == 2 and report.fraud_caught == 1 and report.fraud_missed == 1
    assert report.served_compared == 1
    assert sum(report.served_changed.values()) == 0  # same outcome, different reasons allowed


def test_point_in_time_features_never_include_the_transaction_itself(db):
    report = backtest(db, RULES, T0, T0 + timedelta(hours=20, minutes=30))
    # postings 0..20: the 21st (index 20) sees 20 earlier ones -> VELOCITY_COUNT_24H review; none before it
    assert report.decided == 21
    assert report.outcomes == {"APPROVE": 20, "REVIEW": 1}
