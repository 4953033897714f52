"""Customer 360 processor: the six input topics and ``identity.events`` → the 360 tables.

A polled batch is applied in ONE database transaction: each event's effect plus its
``processed_event`` mark, then (in :meth:`flush`) the golden records and risk profiles of every
GCID the batch touched are recomputed once, and the transaction commits; the runner commits the
offsets only after that. A worker killed at any moment therefore loses nothing (uncommitted
offsets are redelivered) and duplicates nothing (redelivered events are marked processed).

Accounts, transactions, devices and channel activity are kept per source record and reach a GCID
through ``identity_record``: merges and splits move them with no rewrite; only the per-GCID rows
(golden record, lookup keys, risk profile) are recomputed for the GCIDs an identity event names.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, insert, select, text, tuple_

from customer360 import ProjectionBatch, refresh_gcids
from kernel.errors import EnterpriseBrainError
from kernel.events import (
    BrainEvent,
    CustomerChanged,
    FraudAlertRaised,
    GcidAssigned,
    GcidMerged,
    GcidSplit,
    LoginAttempted,
    RiskScoreUpdated,
    Topic,
    utcnow,
)
from kernel.storage import RoundTrip
from kernel.storage.schema import identity_record, processed_event

__all__ = ["BatchAborted", "Customer360Handler"]

log = logging.getLogger(__name__)


_MARK_PG = text(
    "INSERT INTO processed_event (consumer, event_id, processed_at)"
    " SELECT :consumer, e, :now FROM unnest(CAST(:ids AS text[])) AS e"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


class BatchAborted(EnterpriseBrainError):
    """An event of the batch failed: the whole batch was rolled back and must be redelivered."""

    status = 503
    code = "batch-aborted"


class Customer360Handler:
    name = "customer360"
    topics: tuple[str, ...] = (
        Topic.CUSTOMER.value,
        Topic.ACCOUNT.value,
        Topic.TRANSACTION.value,
        Topic.LOGIN.value,
        Topic.FRAUD.value,
        Topic.RISK.value,
        Topic.IDENTITY.value,
    )

    def __init__(self, engine: Engine, *, batched: bool = False) -> None:
        """``batched``: one transaction per polled batch, committed by :meth:`flush` (the runner
        calls it before committing offsets). Unbatched, every event commits on its own."""
        self._engine = engine
        self._batched = batched
        self._pending: list[BrainEvent] = []

    def handle(self, event: BrainEvent) -> None:
        """Buffer the event; :meth:`flush` applies the batch (at once, when unbatched)."""
        self._pending.append(event)
        if not self._batched:
            self.flush()

    def flush(self) -> None:
        """Apply the batch in one transaction, recompute the touched GCIDs, commit (the runner
        commits offsets after this returns)."""
        events, self._pending = self._pending, []
        if not events:
            return
        try:
            with self._engine.begin() as conn:
                self._apply_batch(conn, events)
        except EnterpriseBrainError as exc:
            if exc.status < 500:
                # never let the runner dead-letter one event and commit the rolled-back rest
                raise BatchAborted(f"batch rolled back: {exc.detail}") from exc
            raise

    def _apply_batch(self, conn: Connection, events: list[BrainEvent]) -> None:
        batch = ProjectionBatch(conn)
        if conn.dialect.name == "postgresql":
            # the marks and the loads of every row the batch touches: one round trip (the loads
            # of an event already processed are a few rows read for nothing, rarely)
            trip = RoundTrip(conn)
            inserted: set[str] = set()
            self._queue_marks(trip, events, inserted)
            batch.prefetch(events, trip)
            trip.run()
            fresh = _fresh(events, inserted)
        else:
            fresh = self._mark_processed(conn, events)
            batch.prefetch(fresh)
        if not fresh:
            return
        golden: set[str] = set()
        risk: set[str] = set()
        golden_refs: set[tuple[str, str]] = set()
        risk_refs: set[tuple[str, str]] = set()
        for e in fresh:
            self._apply(batch, e, golden, risk, golden_refs, risk_refs)
        trip = RoundTrip(conn)
        batch.write(trip)
        # a batch of accounts, transactions and devices only (the common case) ends here: its
        # COMMIT travels with the writes, one round trip
        trip.run(commit=not (golden or golden_refs or risk_refs))
        refs = sorted(golden_refs | risk_refs)
        for i in range(0, len(refs), 500):
            found = conn.execute(
                select(
                    identity_record.c.source_system, identity_record.c.source_key, identity_record.c.gcid
                ).where(
                    tuple_(identity_record.c.source_system, identity_record.c.source_key).in_(
                        refs[i : i + 500]
                    )
                )
            ).all()
            for system, key, gcid in found:
                if (system, key) in golden_refs:
                    golden.add(gcid)
                if (system, key) in risk_refs:
                    risk.add(gcid)
        _lock_gcids(conn, golden | risk)
        refresh_gcids(conn, golden, risk | golden)

    def _queue_marks(self, trip: RoundTrip, events: list[BrainEvent], inserted: set[str]) -> None:
        """Queue the batch's ``processed_event`` marks (PostgreSQL); ``inserted`` receives the ids
        not marked before. ``INSERT .. ON CONFLICT DO NOTHING RETURNING``: should another worker
        hold an uncommitted mark of the same event (a partition moving between group members),
        the insert waits for that transaction and then skips the event: applied exactly once."""
        ids = sorted({e.event_id for e in events})
        now = utcnow()
        for i in range(0, len(ids), 500):
            trip.add(
                "customer360.mark",
                _MARK_PG,
                {"consumer": self.name, "ids": ids[i : i + 500], "now": now},
                on_rows=lambda rows: inserted.update(str(r["event_id"]) for r in rows),
            )

    def _mark_processed(self, conn: Connection, events: list[BrainEvent]) -> list[BrainEvent]:
        """Insert the batch's ``processed_event`` marks (SQLite); the events not marked before."""
        ids = sorted({e.event_id for e in events})
        now = utcnow()
        inserted: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            done = set(
                conn.execute(
                    select(processed_event.c.event_id).where(
                        processed_event.c.consumer == self.name, processed_event.c.event_id.in_(chunk)
                    )
                ).scalars()
            )
            todo = [x for x in chunk if x not in done]
            new = [{"consumer": self.name, "event_id": x, "processed_at": now} for x in todo]
            if new:
                conn.execute(insert(processed_event), new)
            inserted.update(todo)
        return _fresh(events, inserted)

    @staticmethod
    def _apply(
        batch: ProjectionBatch,
        event: BrainEvent,
        golden: set[str],
        risk: set[str],
        golden_refs: set[tuple[str, str]],
        risk_refs: set[tuple[str, str]],
    ) -> None:
        if isinstance(event, GcidAssigned):
            golden.add(event.payload.gcid)
            if event.payload.previous_gcid:
                golden.add(event.payload.previous_gcid)
        elif isinstance(event, GcidMerged):
            golden.update((event.payload.survivor, event.payload.merged))
        elif isinstance(event, GcidSplit):
            golden.update((event.payload.gcid, event.payload.new_gcid))
        else:
            batch.apply(event)
            if isinstance(event, CustomerChanged):
                golden_refs.add((event.source_system, event.source_key))
            elif isinstance(event, LoginAttempted) and not event.payload.success:
                risk_refs.add((event.source_system, event.payload.customer_source_key))
            elif isinstance(event, FraudAlertRaised | RiskScoreUpdated):
                risk_refs.add((event.source_system, event.payload.customer_source_key))


def _fresh(events: list[BrainEvent], inserted: set[str]) -> list[BrainEvent]:
    """The events whose mark this batch inserted, in arrival order; a duplicate inside the batch
    counts once (its first copy)."""
    fresh: list[BrainEvent] = []
    seen: set[str] = set()
    for e in events:
        if e.event_id in inserted and e.event_id not in seen:
            seen.add(e.event_id)
            fresh.append(e)
    return fresh


def _lock_gcids(conn: Connection, gcids: set[str]) -> None:
    """Serialise the recomputation of a GCID's rows between concurrent workers (PostgreSQL).

    Several workers of one consumer group own different partitions, but one GCID's records (and
    its identity events) can sit in different partitions. Each recomputation takes, in a fixed
    order, a transaction-scoped advisory lock per GCID before reading the GCID's inputs: the later
    transaction waits for the earlier one to commit, then reads its writes."""
    if not gcids or conn.dialect.name != "postgresql":
        return
    conn.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(h)) FROM"
            " (SELECT DISTINCT hashtext(g) AS h FROM unnest(CAST(:gcids AS text[])) AS g ORDER BY h) AS l"
        ),
        {"gcids": sorted(gcids)},
    )
