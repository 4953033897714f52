"""The decision engine's declared behaviour: shadow and challenger never answer, dependencies that
fail or are late degrade the decision within budget, and no log record is ever lost."""

import json
import threading
import time
from decimal import Decimal

import pytest

from bento_service.decision_log import DecisionLog, verify_chain
from bento_service.decisions import DecisionEngine, DecisionSpool, Score
from bento_service.outbox import decision_relay
from features import DECISION_FEATURES, FeatureStoreUnavailable, InMemoryFeatureStore, OnlineFeatures
from kernel.transport import InProcessBus
from models.decisioning import DecisionType, bundled_rule_set, parse_rule_set
from tests.factories import decision_request

pytestmark = pytest.mark.unit

RULES = {t: bundled_rule_set(t) for t in DecisionType}
BIG = decision_request("60000")
SMALL = BIG.model_copy(update={"amount": Decimal("100")})


class FixedScorer:
    ready = True
    feature_service = None  # scores on the decision context

    def __init__(self, value: float, version: str, delay_s: float = 0.0) -> None:
        self.value, self.version, self.delay_s = value, version, delay_s

    def score(self, features):
        time.sleep(self.delay_s)
        return Score(self.value, self.version)


class BrokenFeatures:
    supplied_features = frozenset(DECISION_FEATURES)

    def online_features(self, gcid: str) -> OnlineFeatures:
        raise FeatureStoreUnavailable("redis: connection refused")


class SlowFeatures:
    supplied_features = frozenset(DECISION_FEATURES)

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    def online_features(self, gcid: str) -> OnlineFeatures:
        time.sleep(self.delay_s)
        return OnlineFeatures(gcid=gcid)


class FlakyLog(DecisionLog):
    """The real log, but appends fail while ``down`` is set (the database is unreachable)."""

    down = threading.Event()

    def append_many(self, entries, conn=None):  # every append (single or group commit) comes here
        if self.down.is_set():
            raise ConnectionError("database unreachable")
        return super().append_many(entries, conn)


def make_engine(db, tmp_path, *, features=None, log=None, budget_ms=50.0, **kw):
    bus = InProcessBus()
    return DecisionEngine(
        engine=db,
        features=features or InMemoryFeatureStore(),
        decision_log=log or DecisionLog(db),
        spool=DecisionSpool(tmp_path / "spool.jsonl"),
        rule_sets=RULES,
        budget_ms=budget_ms,
        **kw,
    ), bus


def test_shadow_rules_and_challenger_are_logged_but_never_answer(db, tmp_path):
    strict = parse_rule_set(
        {
            "decision_type": "transaction",
            "version": "txn-shadow-1",
            "rules": [{"id": "S1", "reason": "AMOUNT_HIGH", "outcome": "DECLINE", "when": "amount > 10"}],
        }
    )
    engine, _ = make_engine(
        db,
        tmp_path,
        shadow_rule_sets={DecisionType.TRANSACTION: strict},
        scorers={DecisionType.TRANSACTION: FixedScorer(0.1, "fraud/3")},
        challengers={DecisionType.TRANSACTION: FixedScorer(0.99, "fraud/4")},
    )
    answer = engine.decide(SMALL, None)
    assert (
        answer.outcome == "APPROVE" and answer.model_version == "fraud/3" and answer.scores == {"fraud": 0.1}
    )
    stored = DecisionLog(db).get(answer.decision_id)
    assert stored is not None
    record = stored.record
    assert record["shadow"]["outcome"] == "DECLINE" and record["shadow"]["rule_set_version"] == "txn-shadow-1"
    assert record["challenger"] == {"value": 0.99, "model_version": "fraud/4"}


def test_features_down_degrades_and_applies_the_fallback_policy(db, tmp_path):
    engine, _ = make_engine(db, tmp_path, features=BrokenFeatures())
    answer = engine.decide(BIG, None)
    assert answer.degraded and answer.degraded_causes == ["features"]
    assert answer.outcome == "REVIEW" and "DEGRADED_CAUTION" in [r.code for r in answer.reasons]
    assert answer.logged == "log"


def test_a_slow_dependency_is_cut_off_at_the_budget(db, tmp_path):
    engine, _ = make_engine(
        db,
        tmp_path,
        features=SlowFeatures(1.0),
        budget_ms=50,
        scorers={DecisionType.TRANSACTION: FixedScorer(0.5, "m/1", delay_s=1.0)},
    )
    engine.decide(SMALL, None)  # warm the connection pool
    started = time.perf_counter()
    answer = engine.decide(SMALL, None)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert answer.degraded and set(answer.degraded_causes) == {"features", "model"}
    assert elapsed_ms < 400, elapsed_ms  # generous for a loaded CI machine; the point: not 2 s


def test_database_down_uses_the_cached_profile_and_spools_the_record(db, tmp_path):
    FlakyLog.down.clear()
    log = FlakyLog(db)
    engine, bus = make_engine(db, tmp_path, log=log)
    first = engine.decide(SMALL, None)  # caches GCID and profile
    FlakyLog.down.set()
    try:
        spooled = engine.decide(SMALL, "retry-key-0001")
        assert spooled.logged == "spool" and spooled.degraded and "decision_log" in spooled.degraded_causes
        assert spooled.gcid == first.gcid
        assert (
            engine.decide(SMALL, "retry-key-0001").decision_id == spooled.decision_id
        )  # idempotent in memory
        with pytest.raises(ConnectionError):
            engine.drain_spool()
        assert DecisionSpool(tmp_path / "spool.jsonl").pending() == 1
    finally:
        FlakyLog.down.clear()
    assert engine.drain_spool() == 1
    assert engine.drain_spool() == 0
    assert engine.stored(spooled.decision_id).decision.outcome == spooled.outcome
    assert verify_chain(db).ok
    relay = decision_relay(db, bus.publisher(), grace_s=0)  # no publisher here: all left to the sweeper
    assert relay.run_once() == 2  # the spooled decision is published once it reaches the log
    assert relay.run_once() == 0  # and only once
    assert [json.loads(r.value)["payload"]["decision_id"] for r in bus.records("decision.events")] == [
        first.decision_id,
        spooled.decision_id,
    ]


def test_the_async_path_degrades_at_the_budget_and_spools_like_the_sync_one(db, tmp_path):
    import asyncio

    FlakyLog.down.clear()
    log = FlakyLog(db)
    engine, _ = make_engine(
        db,
        tmp_path,
        log=log,
        features=SlowFeatures(1.0),
        budget_ms=50,
        scorers={DecisionType.TRANSACTION: FixedScorer(0.5, "m/1")},
    )
    engine.decide(SMALL, None)  # warm the connection pool
    started = time.perf_counter()
    late = asyncio.run(engine.decide_async(BIG, "async-key-0001"))
    assert (time.perf_counter() - started) * 1000 < 400
    assert late.degraded and set(late.degraded_causes) == {"features", "model"} and late.logged == "log"
    assert late.outcome == "REVIEW"  # the fallback policy: large amount while degraded
    assert asyncio.run(engine.decide_async(BIG, "async-key-0001")).decision_id == late.decision_id
    FlakyLog.down.set()
    try:
        spooled = asyncio.run(engine.decide_async(SMALL, None))
    finally:
        FlakyLog.down.clear()
    assert spooled.logged == "spool" and "decision_log" in spooled.degraded_causes
    assert engine.drain_spool() == 1 and verify_chain(db).ok
    engine.close()
