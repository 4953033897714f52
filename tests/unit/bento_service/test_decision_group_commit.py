"""Group commit of the decision log: one writer thread batches concurrent appends, each caller's
future resolves only once its batch is committed, the chain stays serial, a cancelled entry not
yet taken is never written, and one bad entry fails alone."""

import threading
from concurrent.futures import CancelledError
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from bento_service.decision_log import DecisionLog, GroupCommitter, LogEntry, verify_chain
from kernel.storage import create_db_engine, migrate

pytestmark = pytest.mark.unit


def entry(i: int, key: str | None = None) -> LogEntry:
    return LogEntry(
        {"request": {"n": i}, "outcome": "APPROVE"},
        {
            "decision_id": f"dec-{i:05d}",
            "decision_type": "transaction",
            "gcid": "GC1",
            "outcome": "APPROVE",
            "reason_codes": ["OK"],
            "rule_set_version": "v1",
            "model_version": None,
            "score": None,
            "degraded": False,
            "latency_ms": 1.0,
            "decided_at": datetime(2026, 11, 25, tzinfo=UTC),
            "idempotency_key": key,
        },
    )


@pytest.fixture
def log(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'log.db'}")
    migrate(engine)
    yield DecisionLog(engine)
    engine.dispose()


def test_concurrent_appends_are_batched_durable_when_answered_and_chained_in_order(log):
    committer = GroupCommitter(log)
    results = {}

    def caller(i: int) -> None:
        stored = committer.submit(entry(i)).result(timeout=10)
        # durable before the caller goes on: another connection reads it
        assert log.get(stored.decision_id) is not None
        results[i] = stored

    with log._lock:  # hold the writer at its first batch so the others queue up behind it
        first = committer.submit(entry(0))
        while not first.running():  # the writer took entry 0 and waits for the lock
            threading.Event().wait(0.005)
        threads = [threading.Thread(target=caller, args=(i,)) for i in range(1, 40)]
        for t in threads:
            t.start()
        while committer.queued < 39:
            threading.Event().wait(0.005)
    results[0] = first.result(timeout=10)
    for t in threads:
        t.join()
    committer.close()

    assert len(results) == 40 and committer.appended == 40
    assert committer.batches < 40  # grouped: the 39 queued entries went in (far) fewer commits
    chain = sorted(results.values(), key=lambda s: s.seq)
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.record_hash  # seq order is chain order
    report = verify_chain(log.engine)
    assert report.ok and report.checked == 40


def test_a_cancelled_entry_not_yet_taken_is_never_written(log):
    committer = GroupCommitter(log)
    with log._lock:
        first = committer.submit(entry(1))
        while not first.running():  # the writer took the first one and waits for the lock
            threading.Event().wait(0.005)
        second, third = committer.submit(entry(2)), committer.submit(entry(3))
        assert third.cancel()  # the caller gave up (and spooled it)
    assert first.result(timeout=10).seq < second.result(timeout=10).seq
    with pytest.raises(CancelledError):
        third.result()
    committer.close()
    assert log.get("dec-00003") is None
    assert verify_chain(log.engine).checked == 2


def test_one_bad_entry_fails_alone(log):
    log.append_many([entry(0, key="same-key-01")])
    committer = GroupCommitter(log)
    with log._lock:
        first = committer.submit(entry(1))
        while not first.running():  # the writer took the first one and waits for the lock
            threading.Event().wait(0.005)
        batch = [
            committer.submit(entry(2)),
            committer.submit(entry(3, key="same-key-01")),
            committer.submit(entry(4)),
        ]
    assert first.result(timeout=10) and batch[0].result(timeout=10) and batch[2].result(timeout=10)
    with pytest.raises(IntegrityError):  # the batch of three failed on it, then was retried one by one
        batch[1].result(timeout=10)
    committer.close()
    report = verify_chain(log.engine)
    assert report.ok and report.checked == 4
