"""decision.events from the log's committed batches: published from memory with the outbox mark
cleared, or — Kafka down — left marked for the sweeper, which publishes each record once."""

import json
import time

import pytest
from sqlalchemy import func, select

from bento_service.decision_log import DecisionLog, verify_chain
from bento_service.decisions import DecisionEngine, DecisionSpool
from bento_service.outbox import DecisionEventsPublisher, decision_relay
from features import InMemoryFeatureStore
from kernel.errors import TransportError
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import decision_log, decision_outbox, outbox_position
from kernel.transport import InProcessBus
from models.decisioning import DecisionType, bundled_rule_set
from tests.factories import decision_request

pytestmark = pytest.mark.unit

REQUEST = decision_request("100")


class KafkaDown:
    """An EventPublisher whose broker cannot be reached (what ReconnectingPublisher raises)."""

    def publish(self, topic, value, key=None, headers=()):
        raise TransportError("Kafka unavailable")

    def flush(self, timeout_s: float = 30.0) -> None:
        raise TransportError("Kafka unavailable")


def _engine(db, tmp_path, publisher) -> DecisionEngine:
    return DecisionEngine(
        engine=db,
        features=InMemoryFeatureStore(),
        decision_log=DecisionLog(db),
        spool=DecisionSpool(tmp_path / "spool.jsonl"),
        rule_sets={t: bundled_rule_set(t) for t in DecisionType},
        listener=DecisionEventsPublisher(db, publisher),
    )


def _marks(db) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(decision_outbox)).scalar_one()


def test_committed_batches_are_published_from_memory_and_unmarked(db, tmp_path):
    bus = InProcessBus()
    engine = _engine(db, tmp_path, bus.publisher())
    answers = [engine.decide(REQUEST, None) for _ in range(5)]
    deadline = time.monotonic() + 5
    while (_marks(db) or len(bus.records("decision.events")) < 5) and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.close()
    events = [json.loads(r.value)["payload"] for r in bus.records("decision.events")]
    assert [e["decision_id"] for e in events] == [a.decision_id for a in answers]
    assert [e["record_hash"] for e in events] == [a.record_hash for a in answers]
    assert _marks(db) == 0
    assert decision_relay(db, bus.publisher(), grace_s=0).run_once() == 0  # nothing left over


def test_with_kafka_down_the_sweeper_publishes_each_record_once(db, tmp_path):
    engine = _engine(db, tmp_path, KafkaDown())
    answers = [engine.decide(REQUEST, None) for _ in range(3)]
    engine.close()  # the publisher gave up on every batch: the marks stay
    assert all(a.logged == "log" and not a.degraded for a in answers)  # Kafka never delays a decision
    assert _marks(db) == 3
    bus = InProcessBus()
    late = decision_relay(db, bus.publisher())  # default grace: the marks are too young yet
    assert late.run_once() == 0
    sweeper = decision_relay(db, bus.publisher(), grace_s=0)
    assert sweeper.run_once() == 3 and sweeper.run_once() == 0
    assert [json.loads(r.value)["payload"]["decision_id"] for r in bus.records("decision.events")] == [
        a.decision_id for a in answers
    ]
    assert _marks(db) == 0 and verify_chain(db).ok


def test_a_wide_mark_is_swept_in_parts(db, tmp_path):
    engine = _engine(db, tmp_path, KafkaDown())
    answers = [engine.decide(REQUEST, None) for _ in range(5)]
    engine.close()
    with db.begin() as conn:  # one mark over all five (what the migration leaves for old records)
        conn.execute(decision_outbox.delete())
        conn.execute(decision_outbox.insert().values(lo=1, hi=5, created_at=answers[0].decided_at))
    bus = InProcessBus()
    sweeper = decision_relay(db, bus.publisher(), grace_s=0)
    assert [sweeper.run_once(batch=2) for _ in range(4)] == [2, 2, 1, 0]
    assert [json.loads(r.value)["payload"]["decision_id"] for r in bus.records("decision.events")] == [
        a.decision_id for a in answers
    ]


def test_the_migration_marks_what_the_old_relay_had_not_published(db, tmp_path):
    engine = _engine(db, tmp_path, KafkaDown())
    answers = [engine.decide(REQUEST, None) for _ in range(3)]
    engine.close()
    with db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(decision_log).order_by(decision_log.c.seq))]
    old = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    for head in ("0003_customer360", "0004_connectors", "0006_decisions"):  # all but 0007
        migrate(old, head)
    with old.begin() as conn:  # the old relay published the first record only
        conn.execute(decision_log.insert(), rows)
        conn.execute(
            outbox_position.insert().values(
                name="decision.events", position=rows[0]["seq"], updated_at=answers[0].decided_at
            )
        )
    migrate(old)
    with old.connect() as conn:
        assert [tuple(m) for m in conn.execute(select(decision_outbox.c.lo, decision_outbox.c.hi))] == [
            (rows[1]["seq"], rows[2]["seq"])
        ]
        assert conn.execute(select(outbox_position.c.name)).scalars().all() == []
    bus = InProcessBus()
    assert decision_relay(old, bus.publisher(), grace_s=0).run_once() == 2
    assert [json.loads(r.value)["payload"]["decision_id"] for r in bus.records("decision.events")] == [
        a.decision_id for a in answers[1:]
    ]
    old.dispose()
