"""Group commit on PostgreSQL: two API workers (two engines, two writer threads) appending
concurrently keep ONE intact chain, and a duplicate surfaces as SQLAlchemy's IntegrityError (what
the spool drain catches to skip a record that was committed after its request gave up)."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from bento_service.decision_log import DecisionLog, GroupCommitter, LogEntry, verify_chain
from kernel.storage import create_db_engine, migrate

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def entry(worker: int, i: int) -> LogEntry:
    return LogEntry(
        {"request": {"worker": worker, "n": i}, "amount": "10.50", "nested": {"b": [1, 2.5, None], "a": "é"}},
        {
            "decision_id": f"dec-{worker}-{i:04d}",
            "decision_type": "transaction",
            "gcid": "GC1",
            "outcome": "APPROVE",
            "reason_codes": ["OK"],
            "rule_set_version": "v1",
            "model_version": None,
            "score": 0.25,
            "degraded": False,
            "latency_ms": 1.0,
            "decided_at": datetime.now(UTC),
            "idempotency_key": None,
        },
    )


def test_two_workers_group_committing_keep_one_chain(pg_url):
    engines = [create_db_engine(pg_url) for _ in range(2)]
    migrate(engines[0])
    logs = [DecisionLog(e) for e in engines]
    committers = [GroupCommitter(log) for log in logs]

    def caller(worker: int, start: int) -> None:
        for i in range(start, start + 25):
            stored = committers[worker].submit(entry(worker, i)).result(timeout=30)
            assert stored.record_hash

    threads = [threading.Thread(target=caller, args=(w, t * 25)) for w in (0, 1) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(c.appended for c in committers) == 300
    assert sum(c.batches for c in committers) < 300  # batched
    report = verify_chain(engines[0])
    assert report.ok and report.checked == 300, report.problems[:3]

    for c in committers:
        c.close()
    for e in engines:
        e.dispose()


def test_a_duplicate_is_sqlalchemy_integrity_error(pg_engine):
    log = DecisionLog(pg_engine)
    log.append(entry(0, 0).record, **entry(0, 0).columns)
    caught: str | None
    try:
        log.append(entry(0, 0).record, **entry(0, 0).columns)
    except IntegrityError as exc:
        caught = type(exc.orig).__name__
    else:
        caught = None
    assert caught == "UniqueViolation"
