from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update

from bento_service.decision_log import GENESIS, DecisionLog, verify_chain
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import decision_log

pytestmark = pytest.mark.unit


@pytest.fixture
def log_and_engine():
    engine = create_db_engine("sqlite://")
    migrate(engine)
    log = DecisionLog(engine)
    for i in range(5):
        log.append(
            {"request": {"amount": f"{i}00.00"}, "outcome": "APPROVE"},
            decision_id=f"dec-{i:04d}",
            decision_type="transaction",
            gcid="GC1",
            outcome="APPROVE",
            reason_codes=["OK"],
            rule_set_version="v1",
            model_version=None,
            score=None,
            degraded=False,
            latency_ms=1.0,
            decided_at=datetime(2026, 11, 25, tzinfo=UTC),
            idempotency_key=f"key-{i:04d}",
        )
    yield log, engine
    engine.dispose()


def test_an_untouched_chain_verifies(log_and_engine):
    log, engine = log_and_engine
    report = verify_chain(engine)
    assert report.ok and report.checked == 5
    assert log.get("dec-0000").prev_hash == GENESIS
    assert log.find_by_idempotency_key("key-0003").decision_id == "dec-0003"


def test_an_altered_record_is_detected(log_and_engine):
    _, engine = log_and_engine
    with engine.begin() as conn:
        conn.execute(
            update(decision_log)
            .where(decision_log.c.decision_id == "dec-0002")
            .values(record={"request": {"amount": "1.00"}, "outcome": "APPROVE"})
        )
    report = verify_chain(engine)
    assert not report.ok
    assert any("dec-0002" in p and "altered" in p for p in report.problems)


def test_a_deleted_record_is_detected(log_and_engine):
    _, engine = log_and_engine
    with engine.begin() as conn:
        conn.execute(delete(decision_log).where(decision_log.c.decision_id == "dec-0001"))
    report = verify_chain(engine)
    assert any("dec-0002" in p and "previous hash" in p for p in report.problems)


def test_reordered_records_are_detected(log_and_engine):
    _, engine = log_and_engine
    with engine.begin() as conn:
        conn.execute(update(decision_log).where(decision_log.c.seq == 2).values(seq=100))
        conn.execute(update(decision_log).where(decision_log.c.seq == 3).values(seq=2))
        conn.execute(update(decision_log).where(decision_log.c.seq == 100).values(seq=3))
    assert not verify_chain(engine).ok
