"""The transaction decision path: resolve the GCID, read profile and features, apply the policy,
log durably (hash-chained), publish to ``decision.events``, answer.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import Connection, select, tuple_

from bento_service.deps import ServiceDeps
from bento_service.errors import NotFound, ServiceError
from bento_service.metrics import DECISION_LATENCY, DECISION_OUTCOMES, DECISIONS_DEGRADED
from bento_service.schemas import DecisionResponse, FeatureValues, Reason, TransactionDecisionRequest
from customer360 import member_refs, survivor_of
from identity.errors import UnknownGcid
from models.decisioning import REASON_TEXT, DecisionInputs, decide
from pipelines.errors import TransportError
from pipelines.events import DecisionMade, DecisionPayload, Topic, make_event_id
from pipelines.features import FeatureStoreError, OnlineFeatures
from pipelines.storage.schema import customer_360, identity_record, transaction_360

__all__ = ["IdempotencyConflict", "decide_transaction", "stored_response"]

log = logging.getLogger(__name__)


class IdempotencyConflict(ServiceError):
    status = 409
    code = "idempotency-key-reused"
    title = "Idempotency key reused with a different request"


def _request_digest(request: TransactionDecisionRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


def _resolve(conn: Connection, request: TransactionDecisionRequest) -> str | None:
    if request.gcid is not None:
        try:
            return survivor_of(conn, request.gcid)
        except UnknownGcid as exc:
            raise NotFound(exc.detail) from None
    gcid: str | None = conn.execute(
        select(identity_record.c.gcid).where(
            identity_record.c.source_system == request.source_system,
            identity_record.c.source_key == request.customer_source_key,
        )
    ).scalar_one_or_none()
    return gcid


def _profile(conn: Connection, gcid: str) -> tuple[bool | None, frozenset[str]]:
    sanctioned = conn.execute(select(customer_360.c.sanctioned).where(customer_360.c.gcid == gcid)).scalar()
    refs = member_refs(conn, gcid)
    devices: frozenset[str] = frozenset()
    if refs:
        rows = conn.execute(
            select(transaction_360.c.device_id)
            .where(
                tuple_(transaction_360.c.source_system, transaction_360.c.customer_source_key).in_(refs),
                transaction_360.c.device_id.is_not(None),
            )
            .distinct()
        ).all()
        devices = frozenset(r.device_id for r in rows)
    return sanctioned, devices


def stored_response(deps: ServiceDeps, decision_id: str) -> DecisionResponse:
    stored = deps.decision_log.get(decision_id)
    if stored is None:
        raise NotFound(f"no decision {decision_id}")
    return DecisionResponse.model_validate(stored.record["response"])


def decide_transaction(
    deps: ServiceDeps, request: TransactionDecisionRequest, idempotency_key: str | None
) -> DecisionResponse:
    started = time.perf_counter()
    digest = _request_digest(request)
    if idempotency_key is not None:
        previous = deps.decision_log.find_by_idempotency_key(idempotency_key)
        if previous is not None:
            if previous.record["request_digest"] != digest:
                raise IdempotencyConflict(f"Idempotency-Key {idempotency_key!r} was used for another request")
            return DecisionResponse.model_validate(previous.record["response"])

    with deps.engine.connect() as conn:
        gcid = _resolve(conn, request)
        sanctioned, devices = _profile(conn, gcid) if gcid else (None, frozenset[str]())

    degraded = False
    online = OnlineFeatures(gcid=gcid or "")
    if gcid is not None:
        try:
            online = deps.features.online_features(gcid)
        except FeatureStoreError as exc:
            degraded = True
            DECISIONS_DEGRADED.labels("transaction", "features").inc()
            log.warning("deciding without features for %s: %s", gcid, exc)

    result = decide(
        DecisionInputs(
            amount=request.amount,
            currency=request.currency,
            channel=request.channel,
            txn_type=request.txn_type,
            gcid=gcid,
            sanctioned=sanctioned,
            known_devices=devices,
            device_id=request.device_id,
            txn_count_24h=online.txn_count_24h,
            txn_amount_sum_24h=online.txn_amount_sum_24h,
        )
    )
    decided_at = datetime.now(UTC)
    decision_id = str(uuid.uuid4())
    features = FeatureValues(
        txn_count_24h=online.txn_count_24h,
        txn_amount_sum_24h=online.txn_amount_sum_24h,
        as_of=online.event_timestamp,
    )
    latency_ms = (time.perf_counter() - started) * 1000
    draft = DecisionResponse(
        decision_id=decision_id,
        decision_type="transaction",
        outcome=result.outcome.value,
        gcid=gcid,
        reasons=[Reason(code=c, text=REASON_TEXT[c]) for c in result.reason_codes],
        fired_rules=list(result.fired_rules),
        rule_set_version=result.rule_set_version,
        degraded=degraded,
        features=features,
        decided_at=decided_at,
        latency_ms=round(latency_ms, 3),
        record_hash="",
    )
    record = {
        "request": request.model_dump(mode="json"),
        "request_digest": digest,
        "inputs": {
            "sanctioned": sanctioned,
            "known_devices": sorted(devices),
            "features": features.model_dump(mode="json"),
        },
        "response": draft.model_dump(mode="json"),
    }
    stored = deps.decision_log.append(
        record,
        decision_id=decision_id,
        decision_type="transaction",
        gcid=gcid,
        outcome=result.outcome.value,
        reason_codes=list(result.reason_codes),
        rule_set_version=result.rule_set_version,
        model_version=None,
        score=None,
        degraded=degraded,
        latency_ms=latency_ms,
        decided_at=decided_at,
        idempotency_key=idempotency_key,
    )
    response = draft.model_copy(update={"record_hash": stored.record_hash})
    _publish(deps, response, request)
    DECISION_LATENCY.labels("transaction").observe(time.perf_counter() - started)
    DECISION_OUTCOMES.labels("transaction", response.outcome).inc()
    return response


def _publish(deps: ServiceDeps, response: DecisionResponse, request: TransactionDecisionRequest) -> None:
    event = DecisionMade(
        event_id=make_event_id("brain.decision", "decision_log", response.decision_id, "1"),
        source_system="brain.decision",
        source_table="decision_log",
        source_key=response.decision_id,
        occurred_at=response.decided_at,
        payload=DecisionPayload(
            decision_id=response.decision_id,
            decision_type="transaction",
            gcid=response.gcid,
            outcome=response.outcome,
            reason_codes=tuple(r.code for r in response.reasons),
            rule_set_version=response.rule_set_version,
            amount=request.amount,
            currency=request.currency,
            degraded=response.degraded,
            latency_ms=response.latency_ms,
            decided_at=response.decided_at,
            record_hash=response.record_hash,
        ),
    )
    try:
        deps.publisher.publish(Topic.DECISION.value, event.model_dump_json().encode(), key=response.gcid)
    except TransportError as exc:  # the log record is durable; the event can be re-published from it
        log.error("decision %s logged but not published: %s", response.decision_id, exc)
