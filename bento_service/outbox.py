"""Outbox relays of the API process: tables that are the record, published to Kafka after the fact.

* ``decision_log`` → ``decision.events`` (every logged decision, spooled ones once drained);
* ``identity_lineage`` rows decided by an operator (``POST /identity/merge|split``) →
  ``identity.events``, so the Customer 360 and the features follow hand-made merges and splits.

The request path never touches Kafka. Each relay publishes rows in ``seq`` order and stores how far
it got in ``outbox_position``; on PostgreSQL an advisory lock keeps one instance of each relay
active among the API workers. A crash between publish and position update re-publishes a few rows
with the same deterministic event ids (consumers are idempotent on ``event_id``).
"""

from __future__ import annotations

import json
import logging
import threading
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from pipelines.events import DecisionMade, DecisionPayload, Topic, make_event_id
from pipelines.storage.schema import decision_log, identity_lineage, outbox_position
from pipelines.transport import EventPublisher

__all__ = ["OutboxRelay", "decision_relay", "identity_operator_relay"]

log = logging.getLogger(__name__)

#: (seq, key, value) of the rows after a position, at most ``limit`` of them
Fetch = Callable[[Connection, int, int], Sequence[tuple[int, str | None, bytes]]]


class OutboxRelay:
    def __init__(
        self, name: str, topic: str, fetch: Fetch, engine: Engine, publisher: EventPublisher
    ) -> None:
        self.name = name
        self._topic = topic
        self._fetch = fetch
        self._engine = engine
        self._publisher = publisher
        self._pg = engine.dialect.name == "postgresql"
        self._lock_key = zlib.crc32(name.encode())

    def run_once(self, batch: int = 500) -> int:
        """Publish the next batch; returns how many rows were published."""
        with self._engine.begin() as conn:
            if (
                self._pg
                and not conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock_key}
                ).scalar()
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
            rows = self._fetch(conn, position, batch)
            if not rows:
                return 0
            for _, key, value in rows:
                self._publisher.publish(self._topic, value, key=key)
            self._publisher.flush()
            conn.execute(
                update(outbox_position)
                .where(outbox_position.c.name == self.name)
                .values(position=rows[-1][0], updated_at=datetime.now(UTC))
            )
        return len(rows)

    def run(self, stop: threading.Event, interval_s: float = 0.2) -> None:
        while not stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception as exc:  # Kafka or the database unavailable: retry later
                log.warning("%s relay paused: %s", self.name, exc)
                stop.wait(2.0)
            stop.wait(interval_s)


def _decision_rows(conn: Connection, position: int, limit: int) -> list[tuple[int, str | None, bytes]]:
    rows = conn.execute(
        select(decision_log.c.seq, decision_log.c.record, decision_log.c.record_hash)
        .where(decision_log.c.seq > position)
        .order_by(decision_log.c.seq)
        .limit(limit)
    ).all()
    out = []
    for row in rows:
        event = _decision_event(row.record, row.record_hash)
        out.append((int(row.seq), event.payload.gcid, event.model_dump_json().encode()))
    return out


def _operator_identity_rows(
    conn: Connection, position: int, limit: int
) -> list[tuple[int, str | None, bytes]]:
    rows = conn.execute(
        select(identity_lineage.c.seq, identity_lineage.c.gcid, identity_lineage.c.detail)
        .where(identity_lineage.c.seq > position, identity_lineage.c.decided_by.like("operator:%"))
        .order_by(identity_lineage.c.seq)
        .limit(limit)
    ).all()
    return [(int(r.seq), r.gcid, json.dumps(r.detail["event"]).encode()) for r in rows]


def decision_relay(engine: Engine, publisher: EventPublisher) -> OutboxRelay:
    return OutboxRelay("decision.events", Topic.DECISION.value, _decision_rows, engine, publisher)


def identity_operator_relay(engine: Engine, publisher: EventPublisher) -> OutboxRelay:
    return OutboxRelay(
        "identity.events:operator", Topic.IDENTITY.value, _operator_identity_rows, engine, publisher
    )


def _decision_event(record: dict[str, Any], record_hash: str) -> DecisionMade:
    response, request = record["response"], record["request"]
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
            score=next(iter(scores.values()), None),
            amount=Decimal(str(amount)) if amount is not None else None,
            currency=request.get("currency"),
            degraded=bool(response.get("degraded")),
            latency_ms=float(response["latency_ms"]),
            decided_at=decided_at,
            record_hash=record_hash,
        ),
    )
