"""The decision engine: one code path for transaction, login and credit decisions.

resolve GCID → profile → online features → model score → active rules (+ shadow rules and a
challenger model, logged but never answering) → durable, hash-chained log record → answer. The
log is the outbox of ``decision.events`` (see :mod:`bento_service.outbox`).

Per request: one thread-pool task does every read (GCID + profile + known devices in one SQL
statement, then the online features, then the model), and the log record goes to the process's
single writer thread, which commits concurrent decisions as one batch (group commit); the answer
waits for its batch's commit.

Every dependency call runs against the request's latency budget; a dependency
that fails or is late is replaced by the declared fallback (cached profile, null features, no
score), the decision says ``degraded`` with its causes, and the log record is never lost: if the
log cannot take it in time it is spooled to disk and drained into the log later.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from bento_service.decision_log import (
    CommitListener,
    DecisionLog,
    GroupCommitter,
    LogEntry,
    StoredDecision,
)
from bento_service.decisions._lookups import LruCache, Profile, read_customer
from bento_service.decisions._ports import (
    EntityFeatureReader,
    EntityRead,
    ModelFeatureReader,
    Score,
    Scorer,
)
from bento_service.decisions._spool import DecisionSpool
from bento_service.errors import NotFound, ServiceError
from bento_service.metrics import DECISION_LATENCY, DECISION_OUTCOMES, DECISIONS_DEGRADED
from bento_service.schemas import (
    DecisionRecord,
    DecisionRequest,
    DecisionResponse,
    FeatureValues,
    LoginDecisionRequest,
    Reason,
    TransactionDecisionRequest,
)
from features import DECISION_FEATURES, FeatureReader, OnlineFeatures
from identity.errors import UnknownGcid
from kernel.storage import run_read
from models.decisioning import (
    REASON_TEXT,
    DecisionType,
    PolicyResult,
    RuleSet,
    RuleSetInvalid,
    evaluate,
    features_read,
)

__all__ = ["DecisionEngine", "IdempotencyConflict", "build_context", "decision_type_of"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_SCORE_FIELD = {DecisionType.TRANSACTION: "fraud", DecisionType.LOGIN: "fraud", DecisionType.CREDIT: "credit"}


class IdempotencyConflict(ServiceError):
    status = 409
    code = "idempotency-key-reused"
    title = "Idempotency key reused with a different request"


class _Late(Exception):
    pass


@dataclass
class _Gathered:
    gcid: str | None = None
    profile: Profile | None = None
    features: OnlineFeatures | None = None
    score: Score | None = None
    challenger: Score | None = None
    causes: list[str] = field(default_factory=list)
    db_done: bool = False
    features_done: bool = False
    late: bool = False  # set at the deadline: the reading task's later results are discarded
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def degrade(self, cause: str) -> bool:
        """Record that a step fell back; False once the deadline passed (the reading task stops:
        its results are discarded)."""
        with self.lock:
            if self.late:
                return False
            self.causes.append(cause)
            return True

    def snapshot(self) -> _Gathered:
        return _Gathered(
            self.gcid,
            self.profile,
            self.features,
            self.score,
            self.challenger,
            list(self.causes),
            True,
            True,
            True,
        )


def decision_type_of(request: DecisionRequest) -> DecisionType:
    if isinstance(request, TransactionDecisionRequest):
        return DecisionType.TRANSACTION
    if isinstance(request, LoginDecisionRequest):
        return DecisionType.LOGIN
    return DecisionType.CREDIT


class DecisionEngine:
    def __init__(
        self,
        *,
        engine: Engine,
        features: FeatureReader,
        decision_log: DecisionLog,
        spool: DecisionSpool,
        rule_sets: Mapping[DecisionType, RuleSet],
        shadow_rule_sets: Mapping[DecisionType, RuleSet] | None = None,
        scorers: Mapping[DecisionType, Scorer] | None = None,
        challengers: Mapping[DecisionType, Scorer] | None = None,
        model_features: ModelFeatureReader | None = None,
        budget_ms: float = 50.0,
        listener: CommitListener | None = None,
    ) -> None:
        self._db = engine
        # the customer read on the log's autocommit reader (one round trip, not four; see reader_engine)
        self._reader = decision_log.reader
        self._features = features
        self._log = decision_log
        self._spool = spool
        self.rule_sets = dict(rule_sets)
        self.shadow_rule_sets = dict(shadow_rule_sets or {})
        _check_served(features.supplied_features, [*self.rule_sets.values(), *self.shadow_rule_sets.values()])
        #: the features each decision type's rules read (active and shadow): what its record logs
        self._logged: dict[DecisionType, tuple[str, ...]] = {
            kind: tuple(
                sorted(
                    features_read(self.rule_sets[kind])
                    | (
                        features_read(self.shadow_rule_sets[kind])
                        if kind in self.shadow_rule_sets
                        else frozenset()
                    )
                )
            )
            for kind in self.rule_sets
        }
        self._scorers = dict(scorers or {})
        self._challengers = dict(challengers or {})
        self._model_features = model_features
        # one read per decision for the rules and the models when the reader can (direct Redis)
        self._entity_reader = features if isinstance(features, EntityFeatureReader) else None
        self._budget_s = budget_ms / 1000
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="decision-io")
        self._gcids: LruCache[tuple[str, str], str] = LruCache(100_000)
        self._profiles: LruCache[str, Profile] = LruCache(100_000)
        self._answers: LruCache[str, tuple[str, DecisionResponse]] = LruCache(10_000)
        self._drain_lock = threading.Lock()
        self._committer = GroupCommitter(decision_log, listener=listener)

    def _rule_sets_of(self, kind: DecisionType) -> list[RuleSet]:
        shadow = self.shadow_rule_sets.get(kind)
        return [self.rule_sets[kind], *([shadow] if shadow is not None else [])]

    # -- public -----------------------------------------------------------------------------------

    def decide(self, request: DecisionRequest, idempotency_key: str | None) -> DecisionResponse:
        """Decide (blocking the calling thread; backtests, tests and sync callers)."""
        started = time.perf_counter()
        deadline = started + self._budget_s
        kind = decision_type_of(request)
        digest = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
        if idempotency_key is not None:
            previous = self._previous_answer(idempotency_key, digest, deadline)
            if previous is not None:
                return previous
        got = self._gather(kind, request, deadline)
        response, record = self._decide_on(kind, request, got, digest, started)
        future = self._committer.submit(self._log_entry(kind, response, record, idempotency_key))
        try:
            stored = future.result(timeout=self._log_timeout(deadline))
        except Exception as exc:
            future.cancel()  # not taken into a batch yet: never written; else drained idempotently
            response = self._spool_record(kind, response, record, idempotency_key, exc)
        else:
            response = response.model_copy(update={"record_hash": stored.record_hash})
        return self._answered(kind, response, idempotency_key, digest, started)

    async def decide_async(self, request: DecisionRequest, idempotency_key: str | None) -> DecisionResponse:
        """Decide from the event loop (the API's routes): the reads run as one task on the engine's
        pool and the log commit on the writer thread, awaited with timeouts; no other thread hop."""
        started = time.perf_counter()
        deadline = started + self._budget_s
        kind = decision_type_of(request)
        digest = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
        if idempotency_key is not None:
            cached = self._answers.get(idempotency_key)
            if cached is None:
                try:
                    stored_answer = await self._await(
                        self._pool.submit(self._log.find_by_idempotency_key, idempotency_key), deadline
                    )
                except Exception:  # the log is unavailable or late: the in-memory answers are all we have
                    stored_answer = None
                cached = _answer_of(stored_answer) if stored_answer is not None else None
            if cached is not None:
                return _check_digest(idempotency_key, digest, cached)
        got, reads, scorer = self._start_reads(kind, request)
        try:
            await self._await(reads, deadline)
        except FutureTimeout:
            got = self._late(got, request, scorer)
        except UnknownGcid as exc:
            raise NotFound(exc.detail) from None
        response, record = self._decide_on(kind, request, got, digest, started)
        future = self._committer.submit(self._log_entry(kind, response, record, idempotency_key))
        try:
            stored = await self._await(future, self._log_deadline(deadline))
        except Exception as exc:
            future.cancel()  # not taken into a batch yet: never written; else drained idempotently
            response = await asyncio.to_thread(
                self._spool_record, kind, response, record, idempotency_key, exc
            )
        else:
            response = response.model_copy(update={"record_hash": stored.record_hash})
        return self._answered(kind, response, idempotency_key, digest, started)

    async def _await(self, future: Future[T], deadline: float) -> T:
        """``future``'s result, or FutureTimeout at ``deadline`` (the future is then cancelled if
        it has not started; a running task finds out through its own late flag)."""
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=max(deadline - time.perf_counter(), 0.001)
            )
        except TimeoutError:
            raise FutureTimeout from None

    def _decide_on(
        self, kind: DecisionType, request: DecisionRequest, got: _Gathered, digest: str, started: float
    ) -> tuple[DecisionResponse, dict[str, Any]]:
        context = self._context(request, got)
        active = evaluate(self.rule_sets[kind], context)
        shadow = self._shadow(kind, context)
        return self._response(kind, request, got, active, shadow, digest, started)

    def _answered(
        self,
        kind: DecisionType,
        response: DecisionResponse,
        idempotency_key: str | None,
        digest: str,
        started: float,
    ) -> DecisionResponse:
        if idempotency_key is not None:
            self._answers.put(idempotency_key, (digest, response))
        DECISION_LATENCY.labels(kind.value).observe(time.perf_counter() - started)
        DECISION_OUTCOMES.labels(kind.value, response.outcome).inc()
        for cause in response.degraded_causes:
            DECISIONS_DEGRADED.labels(kind.value, cause).inc()
        return response

    def warm_up(self) -> None:
        """Open a database connection and load the feature registry before the first request."""
        try:
            run_read(self._reader, lambda conn: read_customer(conn, None, "warm-up", "warm-up"))
        except Exception as exc:
            log.warning("warm-up: database not reachable yet: %s", exc)
        try:
            self._features.online_features("warm-up")
        except Exception as exc:
            log.warning("warm-up: feature store not reachable yet: %s", exc)

    def drain_spool(self) -> int:
        with self._drain_lock:
            return self._spool.drain(self._log)

    def stored(self, decision_id: str) -> DecisionRecord:
        stored = self._log.get(decision_id)
        if stored is None:
            raise NotFound(f"no decision {decision_id}")
        record = stored.record
        return DecisionRecord(
            decision=DecisionResponse.model_validate(record["response"]).model_copy(
                update={"record_hash": stored.record_hash}
            ),
            request=record["request"],
            inputs=record["inputs"],
            shadow=record.get("shadow"),
            challenger=record.get("challenger"),
            seq=stored.seq,
            prev_hash=stored.prev_hash,
            record_hash=stored.record_hash,
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._committer.close()
        self._log.dispose()

    # -- steps ------------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], T], deadline: float) -> T:
        future = self._pool.submit(fn)
        try:
            return future.result(timeout=max(deadline - time.perf_counter(), 0.001))
        except FutureTimeout:
            raise _Late from None

    def _previous_answer(self, key: str, digest: str, deadline: float) -> DecisionResponse | None:
        cached = self._answers.get(key)
        if cached is None:
            try:
                stored = self._call(lambda: self._log.find_by_idempotency_key(key), deadline)
            except Exception:  # the log is unavailable or late: the in-memory answers are all we have
                stored = None
            if stored is None:
                return None
            cached = _answer_of(stored)
        return _check_digest(key, digest, cached)

    def _gather(self, kind: DecisionType, request: DecisionRequest, deadline: float) -> _Gathered:
        """Every read of the decision in ONE thread-pool task, cut off at the deadline.

        The task fills a shared :class:`_Gathered` step by step (GCID + profile, features, model,
        challenger); a step that fails is replaced by its fallback inside the task. At the deadline
        the request takes what is there: a step not finished yet counts as late (its fallback is
        applied here) and whatever the task does afterwards is discarded.
        """
        got, reads, scorer = self._start_reads(kind, request)
        try:
            reads.result(timeout=max(deadline - time.perf_counter(), 0.001))
        except FutureTimeout:
            return self._late(got, request, scorer)
        except UnknownGcid as exc:
            raise NotFound(exc.detail) from None
        return got

    def _start_reads(
        self, kind: DecisionType, request: DecisionRequest
    ) -> tuple[_Gathered, Future[None], Scorer | None]:
        got = _Gathered()
        scorer, challenger = self._scorers.get(kind), self._challengers.get(kind)
        scorer = scorer if scorer is not None and scorer.ready else None
        challenger = challenger if challenger is not None and challenger.ready else None
        return got, self._pool.submit(self._read_all, kind, request, got, scorer, challenger), scorer

    def _late(self, got: _Gathered, request: DecisionRequest, scorer: Scorer | None) -> _Gathered:
        """The reads missed the deadline: freeze what they got, fallbacks for the rest."""
        with got.lock:
            got.late = True
            if not got.db_done:
                got.causes.append("database")
                log.warning("decision without the database: late")
                got.gcid, got.profile = self._cached(request)
            if got.gcid is not None and not got.features_done:
                got.causes.append("features")
                log.warning("decision without features for %s: late", got.gcid)
            if scorer is not None and got.score is None and "model" not in got.causes:
                got.causes.append("model")
                log.warning("decision without the model: late")
            return got.snapshot()

    def _cached(self, request: DecisionRequest) -> tuple[str | None, Profile | None]:
        if request.gcid is not None:
            gcid: str | None = request.gcid
        else:
            gcid = self._gcids.get((str(request.source_system), str(request.customer_source_key)))
        return gcid, (self._profiles.get(gcid) if gcid else None)

    def _read_all(
        self,
        kind: DecisionType,
        request: DecisionRequest,
        got: _Gathered,
        scorer: Scorer | None,
        challenger: Scorer | None,
    ) -> None:
        """The body of :meth:`_gather` (runs on the pool; writes ``got`` only while not late)."""
        try:
            gcid, profile = run_read(
                self._reader,
                lambda conn: read_customer(
                    conn, request.gcid, request.source_system, request.customer_source_key
                ),
            )
            if gcid is not None:
                if request.gcid is None:
                    self._gcids.put((str(request.source_system), str(request.customer_source_key)), gcid)
                if profile is not None:
                    self._profiles.put(gcid, profile)
        except UnknownGcid:
            raise
        except Exception as exc:
            log.warning("decision without the database: %s", exc)
            gcid, profile = self._cached(request)
            if not got.degrade("database"):
                return
        with got.lock:
            if got.late:
                return
            got.gcid, got.profile, got.db_done = gcid, profile, True

        features: OnlineFeatures | None = None
        entity: EntityRead | None = None
        if gcid is not None:
            try:
                if self._entity_reader is not None:
                    entity = self._entity_reader.read_entity(gcid)
                    features = entity.decision_context()
                else:
                    features = self._features.online_features(gcid)
            except Exception as exc:
                log.warning("decision without features for %s: %s", gcid, exc)
                if not got.degrade("features"):
                    return
        with got.lock:
            if got.late:
                return
            got.features, got.features_done = features, True

        feature_values = _feature_context(features)
        challenger_values = feature_values
        if gcid is not None and (entity is not None or self._model_features is not None):
            services = [m.feature_service if m is not None else None for m in (scorer, challenger)]
            inputs: dict[str, dict[str, float | int | str | None]] = {}
            for service in dict.fromkeys(s for s in services if s):
                try:
                    inputs[service] = self._model_inputs(service, gcid, request, entity)
                except Exception as exc:
                    log.warning("model features %s unavailable: %s", service, exc)
                    if not got.degrade("features"):
                        return
            if services[0] in inputs:
                feature_values = {**feature_values, **inputs[services[0]]}
            if services[1] in inputs:
                challenger_values = {**challenger_values, **inputs[services[1]]}
        if scorer is not None:
            try:
                score: Score | None = scorer.score(feature_values)
            except Exception as exc:
                log.warning("decision without the model: %s", exc)
                score = None
            with got.lock:
                if got.late:
                    return
                if score is None:
                    got.causes.append("model")
                got.score = score
        if challenger is not None:
            try:
                challenged: Score | None = challenger.score(challenger_values)
            except Exception as exc:  # the challenger never affects the answer
                log.warning("challenger model failed: %s", exc)
                challenged = None
            with got.lock:
                if not got.late:
                    got.challenger = challenged

    def _model_inputs(
        self, service: str, gcid: str, request: DecisionRequest, entity: EntityRead | None
    ) -> dict[str, float | int | str | None]:
        row: dict[str, str | float] = {"gcid": gcid, "request_epoch": time.time()}
        amount = getattr(request, "amount", None)
        if amount is not None:
            row["request_amount"] = float(amount)
        if entity is not None:
            values = entity.service(service, row)
        else:
            assert self._model_features is not None
            values = self._model_features.service_online(service, [row])
        out: dict[str, float | int | str | None] = {}
        for name, column in values.items():
            value = column[0] if column else None
            out[name] = value if isinstance(value, int | float | str) or value is None else None
        return out

    def _context(self, request: DecisionRequest, got: _Gathered) -> dict[str, Any]:
        return build_context(request, got.gcid, got.profile, got.features, got.score, bool(got.causes))

    def _shadow(self, kind: DecisionType, context: Mapping[str, Any]) -> PolicyResult | None:
        shadow = self.shadow_rule_sets.get(kind)
        return evaluate(shadow, context) if shadow is not None else None

    def _response(
        self,
        kind: DecisionType,
        request: DecisionRequest,
        got: _Gathered,
        active: PolicyResult,
        shadow: PolicyResult | None,
        digest: str,
        started: float,
    ) -> tuple[DecisionResponse, dict[str, Any]]:
        features = got.features
        scores = {_SCORE_FIELD[kind]: got.score.value} if got.score else {}
        response = DecisionResponse(
            decision_id=str(uuid.uuid4()),
            decision_type=kind.value,
            outcome=active.outcome,
            gcid=got.gcid,
            reasons=[Reason(code=c, text=REASON_TEXT[c]) for c in active.reason_codes],
            fired_rules=list(active.fired_rules),
            scores=scores,
            rule_set_version=active.rule_set_version,
            model_version=got.score.model_version if got.score else None,
            limit=active.limit,
            degraded=bool(got.causes),
            degraded_causes=list(got.causes),
            features=FeatureValues(
                txn_count_24h=features.integer("txn_count_24h") if features else None,
                txn_amount_sum_24h=features.number("txn_amount_sum_24h") if features else None,
                as_of=features.event_timestamp if features else None,
            ),
            decided_at=datetime.now(UTC),
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            record_hash="",
        )
        record: dict[str, Any] = {
            "request": request.model_dump(mode="json"),
            "request_digest": digest,
            "inputs": {
                "profile": _profile_json(got.profile),
                "features": {name: features.get(name) if features else None for name in self._logged[kind]},
                "features_as_of": features.event_timestamp.isoformat()
                if features and features.event_timestamp
                else None,
                "scores": scores,
            },
            "shadow": _policy_json(shadow),
            "challenger": {"value": got.challenger.value, "model_version": got.challenger.model_version}
            if got.challenger
            else None,
            "response": response.model_dump(mode="json"),
        }
        return response, record

    def _log_entry(
        self,
        kind: DecisionType,
        response: DecisionResponse,
        record: dict[str, Any],
        idempotency_key: str | None,
    ) -> LogEntry:
        return LogEntry(
            record,
            {
                "decision_id": response.decision_id,
                "decision_type": kind.value,
                "gcid": response.gcid,
                "outcome": response.outcome,
                "reason_codes": [r.code for r in response.reasons],
                "rule_set_version": response.rule_set_version,
                "model_version": response.model_version,
                "score": next(iter(response.scores.values()), None),
                "degraded": response.degraded,
                "latency_ms": response.latency_ms,
                "decided_at": response.decided_at,
                "idempotency_key": idempotency_key,
            },
        )

    def _log_deadline(self, deadline: float) -> float:
        """The log gets at least a short window even when the reads used up the budget."""
        return max(deadline, time.perf_counter() + self._budget_s / 2)

    def _log_timeout(self, deadline: float) -> float:
        return max(self._log_deadline(deadline) - time.perf_counter(), 0.001)

    def _spool_record(
        self,
        kind: DecisionType,
        response: DecisionResponse,
        record: dict[str, Any],
        idempotency_key: str | None,
        exc: BaseException,
    ) -> DecisionResponse:
        """The log could not take the record in time: spool it (fsync'ed) and say so."""
        log.warning("decision %s spooled: the log is unavailable (%s)", response.decision_id, exc or "late")
        entry = self._log_entry(kind, response, record, idempotency_key)
        self._spool.put({**entry.columns, "decided_at": response.decided_at.isoformat(), "record": record})
        causes = [*response.degraded_causes, "decision_log"]
        return response.model_copy(update={"logged": "spool", "degraded": True, "degraded_causes": causes})


def _answer_of(stored: StoredDecision) -> tuple[str, DecisionResponse]:
    return (
        stored.record["request_digest"],
        DecisionResponse.model_validate(stored.record["response"]).model_copy(
            update={"record_hash": stored.record_hash}
        ),
    )


def _check_digest(key: str, digest: str, cached: tuple[str, DecisionResponse]) -> DecisionResponse:
    if cached[0] != digest:
        raise IdempotencyConflict(f"Idempotency-Key {key!r} was used for another request")
    return cached[1]


def build_context(
    request: DecisionRequest,
    gcid: str | None,
    profile: Profile | None,
    features: OnlineFeatures | None,
    score: Score | None,
    degraded: bool,
) -> dict[str, Any]:
    """The flat context rules read (``features.txn_count_24h`` …): one builder for serving and backtests."""
    ctx: dict[str, Any] = {
        k: v
        for k, v in request.model_dump().items()
        if k not in {"gcid", "source_system", "customer_source_key"}
    }
    ctx["gcid"] = gcid
    ctx["customer.sanctioned"] = profile.sanctioned if profile else None
    ctx["customer.pep"] = profile.pep if profile else None
    ctx["customer.kyc_tier"] = profile.kyc_tier if profile else None
    ctx["customer.segment"] = profile.segment if profile else None
    device_id = getattr(request, "device_id", None)
    ctx["device.known"] = (device_id in profile.known_devices) if (profile and device_id) else None
    for name, value in _feature_context(features).items():
        ctx[f"features.{name}"] = value
    ctx[f"score.{_SCORE_FIELD[decision_type_of(request)]}"] = score.value if score else None
    ctx["degraded"] = degraded
    return ctx


def _feature_context(features: OnlineFeatures | None) -> dict[str, float | int | str | None]:
    """Every feature of the rule vocabulary, null where the decision context has none."""
    if features is None:
        return dict.fromkeys(DECISION_FEATURES)
    return {name: features.get(name) for name in DECISION_FEATURES}


def _check_served(supplied: frozenset[str], rule_sets: Sequence[RuleSet]) -> None:
    """Refuse a rule set that reads a feature the decision context does not serve: its rules
    would silently never fire."""
    for rule_set in rule_sets:
        missing = sorted(features_read(rule_set) - supplied)
        if missing:
            raise RuleSetInvalid(
                f"{rule_set.decision_type.value} rule set {rule_set.version}",
                [f"reads features.{name}, which the decision context does not serve" for name in missing],
            )


def _profile_json(profile: Profile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {
        "sanctioned": profile.sanctioned,
        "pep": profile.pep,
        "kyc_tier": profile.kyc_tier,
        "segment": profile.segment,
        "known_devices": sorted(profile.known_devices),
    }


def _policy_json(result: PolicyResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "outcome": result.outcome,
        "reason_codes": list(result.reason_codes),
        "fired_rules": list(result.fired_rules),
        "rule_set_version": result.rule_set_version,
        "limit": result.limit,
    }
