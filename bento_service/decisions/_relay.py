"""The decision relay: ``decision_log`` is the outbox of ``decision.events``.

The request path never waits for Kafka: a relay thread publishes log records in ``seq`` order and
stores how far it got (``outbox_position``), so a Kafka outage only delays events and a spooled
decision is published once it reaches the log. On PostgreSQL an advisory lock keeps one relay
active among the API workers; a crash between publish and position update re-publishes a few
records with the same deterministic event ids (consumers are idempotent on ``event_id``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, insert, select, text, update

from pipelines.events import DecisionMade, DecisionPayload, Topic, make_event_id
from pipelines.storage.schema import decision_log, outbox_position
from pipelines.transport import EventPublisher

__all__ = ["DecisionRelay"]

log = logging.getLogger(__name__)
_LOCK_KEY = 7_316_003


class DecisionRelay:
    name = "decision.events"

    def __init__(self, engine: Engine, publisher: EventPublisher, batch: int = 500) -> None:
        self._engine = engine
        self._publisher = publisher
        self._batch = batch
        self._pg = engine.dialect.name == "postgresql"

    def run_once(self) -> int:
        """Publish the next batch of logged decisions; returns how many were published."""
        with self._engine.begin() as conn:
            if (
                self._pg
                and not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _LOCK_KEY}).scalar()
            ):
                return 0
            position = conn.execute(
                select(outbox_position.c.position).where(outbox_position.c.name == self.name)
            ).scalar_one_or_none()
            if position is None:
                conn.execute(
                    insert(outbox_position).values(name=self.name, position=0, updated_at=datetime.now(UTC))
                )
                position = 0
            rows = conn.execute(
                select(decision_log.c.seq, decision_log.c.record, decision_log.c.record_hash)
                .where(decision_log.c.seq > position)
                .order_by(decision_log.c.seq)
                .limit(self._batch)
            ).all()
            if not rows:
                return 0
            for row in rows:
                event = _event(row.record, row.record_hash)
                self._publisher.publish(
                    Topic.DECISION.value, event.model_dump_json().encode(), key=event.payload.gcid
                )
            self._publisher.flush()
            conn.execute(
                update(outbox_position)
                .where(outbox_position.c.name == self.name)
                .values(position=rows[-1].seq, updated_at=datetime.now(UTC))
            )
        return len(rows)

    def run(self, stop: threading.Event, interval_s: float = 0.2) -> None:
        while not stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception as exc:  # Kafka or the database unavailable: retry later
                log.warning("decision relay paused: %s", exc)
                stop.wait(2.0)
            stop.wait(interval_s)


def _event(record: dict[str, object], record_hash: str) -> DecisionMade:
    response = record["response"]
    request = record["request"]
    assert isinstance(response, dict) and isinstance(request, dict)
    decided_at = datetime.fromisoformat(str(response["decided_at"]))
    scores = response.get("scores") or {}
    amount = request.get("amount")
    return DecisionMade(
        event_id=make_event_id("brain.decision", "decision_log", str(response["decision_id"]), "1"),
        source_system="brain.decision",
        source_table="decision_log",
        source_key=str(response["decision_id"]),
        occurred_at=decided_at,
        payload=DecisionPayload(
            decision_id=str(response["decision_id"]),
            decision_type=response["decision_type"],
            gcid=response.get("gcid"),
            outcome=str(response["outcome"]),
            reason_codes=tuple(r["code"] for r in response["reasons"]),
            rule_set_version=str(response["rule_set_version"]),
            model_version=response.get("model_version"),
            score=next(iter(scores.values()), None) if isinstance(scores, dict) else None,
            amount=Decimal(str(amount)) if amount is not None else None,
            currency=request.get("currency"),
            degraded=bool(response.get("degraded")),
            latency_ms=float(response["latency_ms"]),
            decided_at=decided_at,
            record_hash=record_hash,
        ),
    )
