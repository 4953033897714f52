"""Outbox relays of the API process: tables that are the record, published to Kafka after the fact.

* ``decision_log`` → ``decision.events`` (every logged decision, spooled ones once drained);
* ``identity_lineage`` rows decided by an operator (``POST /identity/merge|split``) →
  ``identity.events``, so the Customer 360 and the features follow hand-made merges and splits.

The request path never touches Kafka.

``decision.events``: every decision-log batch is committed together with its ``decision_outbox``
mark (its ``seq`` range). The process that wrote the batch publishes it from memory
(:class:`DecisionEventsPublisher`, fed by the log's writer thread; no read-back of the records)
and then deletes the mark, in bulk. The :class:`DecisionEventsSweeper` publishes, at a slow
interval, the marks older than a grace period — batches whose process crashed or could not reach
Kafka, and records drained from the spool — from the log itself. A record committed is therefore
published at least once; a crash between publish and mark deletion, or a publisher slower than
the grace period, re-publishes it with the same deterministic event id (consumers are idempotent
on ``event_id``). Events of one process come in ``seq`` order; across worker processes they may
interleave (the hash chain in the log is the order of record).

``identity.events`` (operator decisions): the relay publishes rows in ``seq`` order and stores how
far it got in ``outbox_position``. On PostgreSQL an advisory lock keeps one instance of each
relay or sweeper active among the API workers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, text, update

from bento_service.batch_drainer import BatchDrainer
from bento_service.decision_log import StoredDecision
from kernel.events import DecisionMade, DecisionPayload, Topic, make_event_id
from kernel.storage.schema import decision_log, decision_outbox, identity_lineage, outbox_position
from kernel.transport import EventPublisher

__all__ = [
    "DecisionEventsPublisher",
    "DecisionEventsSweeper",
    "LeaderPass",
    "OutboxRelay",
    "decision_relay",
    "identity_operator_relay",
]

log = logging.getLogger(__name__)

#: (seq, key, value) of the rows after a position, at most ``limit`` of them
Fetch = Callable[[Connection, int, int], Sequence[tuple[int, str | None, bytes]]]


class LeaderPass(ABC):
    """A periodic pass of the API process that one worker at a time runs: :meth:`run` calls
    :meth:`run_once` every ``interval_s`` (at once again while it finds work) until stopped; a
    pass that fails (Kafka or the database unavailable) is retried later."""

    def __init__(self, name: str, engine: Engine, *, interval_s: float) -> None:
        self.name = name
        self.interval_s = interval_s
        self._engine = engine
        self._pg = engine.dialect.name == "postgresql"
        self._lock_key = zlib.crc32(name.encode())

    def _leads(self, conn: Connection) -> bool:
        """Whether this process runs the pass (one at a time across the API's workers: a
        PostgreSQL advisory lock held until the transaction ends; SQLite has one process)."""
        if not self._pg:
            return True
        lock = text("SELECT pg_try_advisory_xact_lock(:k)")
        return bool(conn.execute(lock, {"k": self._lock_key}).scalar())

    @abstractmethod
    def run_once(self, batch: int = 500) -> int:
        """One pass; returns how many rows it published."""

    def run(self, stop: threading.Event, interval_s: float | None = None) -> None:
        interval_s = self.interval_s if interval_s is None else interval_s
        while not stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception as exc:  # Kafka or the database unavailable: retry later
                log.warning("%s relay paused: %s", self.name, exc)
                stop.wait(2.0)
            stop.wait(interval_s)


class OutboxRelay(LeaderPass):
    """Publishes the rows ``fetch`` returns after the stored position, in ``seq`` order, then
    stores the new position (``outbox_position``)."""

    def __init__(
        self,
        name: str,
        topic: str,
        fetch: Fetch,
        engine: Engine,
        publisher: EventPublisher,
        *,
        interval_s: float = 0.2,
    ) -> None:
        super().__init__(name, engine, interval_s=interval_s)
        self._topic = topic
        self._fetch = fetch
        self._publisher = publisher

    def run_once(self, batch: int = 500) -> int:
        """Publish the next batch; returns how many rows were published."""
        with self._engine.begin() as conn:
            if not self._leads(conn):
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


class DecisionEventsSweeper(LeaderPass):
    """Publishes the ``decision_outbox`` marks older than ``grace_s`` from the log, then deletes
    them (a mark wider than one run is published in parts: its ``lo`` moves forward)."""

    def __init__(
        self, engine: Engine, publisher: EventPublisher, *, grace_s: float = 10.0, interval_s: float = 2.0
    ) -> None:
        super().__init__("decision.events", engine, interval_s=interval_s)
        self._topic = Topic.DECISION.value
        self._publisher = publisher
        self._grace = timedelta(seconds=grace_s)

    def run_once(self, batch: int = 500) -> int:
        with self._engine.begin() as conn:
            if not self._leads(conn):
                return 0
            marks = conn.execute(
                select(decision_outbox.c.lo, decision_outbox.c.hi)
                .where(decision_outbox.c.created_at <= datetime.now(UTC) - self._grace)
                .order_by(decision_outbox.c.lo)
                .limit(batch)
            ).all()
            published = 0
            for lo, hi in marks:  # the mark changes commit only after the flush below succeeded
                room = batch - published
                if room <= 0:
                    break
                rows = conn.execute(
                    select(decision_log.c.seq, decision_log.c.record, decision_log.c.record_hash)
                    .where(decision_log.c.seq >= lo, decision_log.c.seq <= hi)
                    .order_by(decision_log.c.seq)
                    .limit(room)
                ).all()
                for row in rows:
                    gcid, value = _decision_message(row.record, row.record_hash)
                    self._publisher.publish(self._topic, value, key=gcid)
                published += len(rows)
                if len(rows) < room or int(rows[-1].seq) >= hi:  # the whole range is out
                    conn.execute(delete(decision_outbox).where(decision_outbox.c.lo == lo))
                else:
                    conn.execute(
                        update(decision_outbox)
                        .where(decision_outbox.c.lo == lo)
                        .values(lo=int(rows[-1].seq) + 1)
                    )
                    break
            if published:
                self._publisher.flush()
        return published


class DecisionEventsPublisher:
    """Publishes the decision log's committed batches from memory, then deletes their marks.

    The log's writer thread calls :meth:`committed`; a thread of this class publishes whatever
    batches were queued within ``linger_s``, flushes, and deletes their ``decision_outbox`` marks
    in one statement (on PostgreSQL with ``synchronous_commit`` off: a lost deletion only
    re-publishes). A batch
    that cannot be published (Kafka down), or that does not fit the bounded queue, keeps its mark
    for the :class:`DecisionEventsSweeper`.
    """

    def __init__(
        self,
        engine: Engine,
        publisher: EventPublisher,
        *,
        max_queued: int = 10_000,
        linger_s: float = 0.1,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._topic = Topic.DECISION.value
        self._pg = engine.dialect.name == "postgresql"
        self._drainer: BatchDrainer[Sequence[StoredDecision]] = BatchDrainer(
            self._publish,
            name="decision-events-publisher",
            max_batch=1024,
            linger_s=linger_s,  # gather: one flush and one mark deletion per round
            max_queued=max_queued,
        )
        self._conn: Connection | None = None
        self.published = 0

    def committed(self, batch: Sequence[StoredDecision]) -> None:
        if batch:
            self._drainer.put(batch)  # full: the batch keeps its mark for the sweeper

    def close(self) -> None:
        self._drainer.close()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _publish(self, batches: list[Sequence[StoredDecision]]) -> None:
        try:
            for batch in batches:
                for stored in batch:
                    gcid, value = _decision_message(stored.record, stored.record_hash)
                    self._publisher.publish(self._topic, value, key=gcid)
            self._publisher.flush()
        except Exception as exc:  # Kafka unavailable: the marks stay for the sweeper
            log.warning("decision.events: %d batches left to the sweeper: %s", len(batches), exc)
            return
        self.published += sum(len(b) for b in batches)
        try:
            self._unmark([b[0].seq for b in batches])
        except Exception as exc:  # the sweeper re-publishes these (same event ids)
            log.warning("decision.events: marks not cleared: %s", exc)
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.invalidate()
                    conn.close()

    def _unmark(self, los: list[int]) -> None:
        if self._conn is None:
            self._conn = self._engine.connect()
        with self._conn.begin():
            if self._pg:
                self._conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            self._conn.execute(delete(decision_outbox).where(decision_outbox.c.lo.in_(los)))


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


def decision_relay(
    engine: Engine, publisher: EventPublisher, *, grace_s: float = 10.0, interval_s: float = 2.0
) -> DecisionEventsSweeper:
    """The sweeper of ``decision.events`` leftovers (see :class:`DecisionEventsSweeper`)."""
    return DecisionEventsSweeper(engine, publisher, grace_s=grace_s, interval_s=interval_s)


def identity_operator_relay(engine: Engine, publisher: EventPublisher) -> OutboxRelay:
    return OutboxRelay(
        "identity.events:operator", Topic.IDENTITY.value, _operator_identity_rows, engine, publisher
    )


def _decision_message(record: dict[str, Any], record_hash: str) -> tuple[str | None, bytes]:
    event = _decision_event(record, record_hash)
    return event.payload.gcid, event.model_dump_json().encode()


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
