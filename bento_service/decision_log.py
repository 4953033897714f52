"""The decision log: append-only, hash-chained, written before the answer leaves the service.

Each record's ``record_hash`` is SHA-256 over the previous record's hash and the canonical JSON of
the record, so altering, deleting or reordering any record breaks every hash after it
(:func:`verify_chain`). Appends are serialised: an in-process lock plus, on PostgreSQL, a
transaction-scoped advisory lock, so concurrent workers never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, text

from pipelines.storage.schema import decision_log

__all__ = [
    "GENESIS",
    "ChainReport",
    "DecisionLog",
    "StoredDecision",
    "canonical_json",
    "record_hash",
    "verify_chain",
]

GENESIS = "0" * 64
_ADVISORY_KEY = 7_316_002  # arbitrary, constant: "decision log chain"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(record)).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredDecision:
    seq: int
    decision_id: str
    record: dict[str, Any]
    prev_hash: str
    record_hash: str


class DecisionLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._pg = engine.dialect.name == "postgresql"

    def find_by_idempotency_key(self, key: str) -> StoredDecision | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(decision_log).where(decision_log.c.idempotency_key == key)).first()
        return _stored(row) if row is not None else None

    def get(self, decision_id: str) -> StoredDecision | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(decision_log).where(decision_log.c.decision_id == decision_id)).first()
        return _stored(row) if row is not None else None

    def append(
        self,
        record: dict[str, Any],
        *,
        decision_id: str,
        decision_type: str,
        gcid: str | None,
        outcome: str,
        reason_codes: list[str],
        rule_set_version: str,
        model_version: str | None,
        score: float | None,
        degraded: bool,
        latency_ms: float,
        decided_at: datetime,
        idempotency_key: str | None,
    ) -> StoredDecision:
        """Write one decision durably (committed when this returns) and chain it."""
        with self._lock, self._engine.begin() as conn:
            if self._pg:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
            prev = conn.execute(
                select(decision_log.c.record_hash).order_by(decision_log.c.seq.desc()).limit(1)
            ).scalar_one_or_none()
            prev_hash = prev or GENESIS
            digest = record_hash(prev_hash, record)
            seq = conn.execute(
                insert(decision_log)
                .values(
                    decision_id=decision_id,
                    idempotency_key=idempotency_key,
                    decision_type=decision_type,
                    gcid=gcid,
                    outcome=outcome,
                    reason_codes=reason_codes,
                    rule_set_version=rule_set_version,
                    model_version=model_version,
                    score=score,
                    degraded=degraded,
                    latency_ms=latency_ms,
                    record=record,
                    decided_at=decided_at,
                    prev_hash=prev_hash,
                    record_hash=digest,
                )
                .returning(decision_log.c.seq)
            ).scalar_one()
        return StoredDecision(seq, decision_id, record, prev_hash, digest)


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(engine: Engine) -> ChainReport:
    """Recompute every hash in ``seq`` order; report each record that breaks the chain."""
    problems: list[str] = []
    expected_prev = GENESIS
    checked = 0
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                decision_log.c.seq,
                decision_log.c.decision_id,
                decision_log.c.record,
                decision_log.c.prev_hash,
                decision_log.c.record_hash,
            ).order_by(decision_log.c.seq)
        )
        for row in rows:
            checked += 1
            if row.prev_hash != expected_prev:
                problems.append(
                    f"seq {row.seq} ({row.decision_id}): previous hash does not match: a record "
                    "before it was deleted, altered or reordered"
                )
            if record_hash(row.prev_hash, row.record) != row.record_hash:
                problems.append(
                    f"seq {row.seq} ({row.decision_id}): content does not match its hash (altered)"
                )
            expected_prev = row.record_hash
    return ChainReport(checked, tuple(problems))


def _stored(row: Any) -> StoredDecision:
    return StoredDecision(row.seq, row.decision_id, row.record, row.prev_hash, row.record_hash)
