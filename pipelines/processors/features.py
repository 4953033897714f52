"""Feature processor: transactions by GCID → sliding-window aggregates → Feast (online + offline).

* A transaction whose customer has no GCID yet is parked (``unresolved_event``) and released when
  its ``gcid.assigned`` arrives: nothing waits forever, nothing is lost.
* ``gcid.merged`` re-keys the merged GCID's window under the survivor.
* Rows are buffered per polled batch and pushed once before the offsets are committed (Feast's
  offline write rewrites the Parquet file: micro-batches, not single rows).
* Online stores keep the row with the newest event time (Feast's Redis store ignores a row whose
  time is not newer). A late transaction changes the row as of the customer's latest instant without
  changing that instant, so a corrected row is stamped one microsecond after the last one pushed for
  the GCID: the correction supersedes online, and offline it reads as "known from that instant".
* On start the windows are warmed from ``transaction_360``; the aggregator is idempotent on
  ``event_id``, so events seen both there and on the topic count once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select

from pipelines.events import (
    BrainEvent,
    GcidAssigned,
    GcidMerged,
    Topic,
    TransactionPosted,
    parse_event,
    utcnow,
)
from pipelines.features import FeatureWriter, TransactionVelocity, VelocityRow
from pipelines.standardise import from_minor_units
from pipelines.storage.schema import identity_record, transaction_360, unresolved_event

__all__ = ["FeaturesHandler"]

_REVISION = timedelta(microseconds=1)


class FeaturesHandler:
    name = "features"
    topics: tuple[str, ...] = (Topic.TRANSACTION.value, Topic.IDENTITY.value)

    def __init__(
        self, engine: Engine, writer: FeatureWriter, window: TransactionVelocity | None = None
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._window = window or TransactionVelocity()
        self._pending: dict[str, VelocityRow] = {}
        self._last_pushed: dict[str, datetime] = {}

    @property
    def window(self) -> TransactionVelocity:
        return self._window

    def warm(self, horizon: timedelta = timedelta(hours=25)) -> int:
        """Load the recent transactions already in the Customer 360 into the windows."""
        since = utcnow() - horizon
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    identity_record.c.gcid,
                    transaction_360.c.occurred_at,
                    transaction_360.c.amount_minor,
                    transaction_360.c.currency,
                    transaction_360.c.event_id,
                )
                .join(
                    identity_record,
                    (identity_record.c.source_system == transaction_360.c.source_system)
                    & (identity_record.c.source_key == transaction_360.c.customer_source_key),
                )
                .where(transaction_360.c.occurred_at > since, transaction_360.c.status == "posted")
                .order_by(transaction_360.c.occurred_at)
            ).all()
        for r in rows:
            self._window.observe(
                r.gcid, r.occurred_at, from_minor_units(r.amount_minor, r.currency), r.event_id
            )
        return len(rows)

    def handle(self, event: BrainEvent) -> None:
        if isinstance(event, TransactionPosted):
            self._transaction(event)
        elif isinstance(event, GcidAssigned):
            self._release(event)
        elif isinstance(event, GcidMerged):
            row = self._window.rekey(event.payload.merged, event.payload.survivor)
            if row is not None:
                self._stage(row)

    def flush(self) -> None:
        if not self._pending:
            return
        rows = []
        for row in sorted(self._pending.values(), key=lambda r: r.event_timestamp):
            last = self._last_pushed.get(row.gcid)
            if last is not None and row.event_timestamp <= last:
                row = replace(row, event_timestamp=last + _REVISION)
            rows.append(row)
        self._writer.push(rows)
        for row in rows:
            self._last_pushed[row.gcid] = row.event_timestamp
        self._pending.clear()
        self._forget_expired()

    def _forget_expired(self) -> None:
        horizon = self._window.horizon
        if horizon is not None and len(self._last_pushed) > 10_000:
            self._last_pushed = {g: t for g, t in self._last_pushed.items() if t > horizon}

    def _stage(self, row: VelocityRow) -> None:
        current = self._pending.get(row.gcid)
        if current is None or current.event_timestamp <= row.event_timestamp:
            self._pending[row.gcid] = row

    def _transaction(self, event: TransactionPosted) -> None:
        if event.payload.status != "posted":
            return
        with self._engine.begin() as conn:
            gcid = conn.execute(
                select(identity_record.c.gcid).where(
                    identity_record.c.source_system == event.source_system,
                    identity_record.c.source_key == event.payload.customer_source_key,
                )
            ).scalar_one_or_none()
            if gcid is None:
                exists = conn.execute(
                    select(unresolved_event.c.event_id).where(
                        unresolved_event.c.consumer == self.name,
                        unresolved_event.c.event_id == event.event_id,
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        insert(unresolved_event).values(
                            consumer=self.name,
                            event_id=event.event_id,
                            source_system=event.source_system,
                            customer_source_key=event.payload.customer_source_key,
                            topic=Topic.TRANSACTION.value,
                            body=event.model_dump_json(),
                            parked_at=utcnow(),
                        )
                    )
                return
        self._observe(gcid, event)

    def _observe(self, gcid: str, event: TransactionPosted) -> None:
        self._window.observe(gcid, event.occurred_at, event.payload.amount, event.event_id)
        latest = self._window.latest(gcid)
        if latest is not None:
            self._stage(latest)

    def _release(self, event: GcidAssigned) -> None:
        record = event.payload.record
        with self._engine.begin() as conn:
            rows = conn.execute(
                select(unresolved_event.c.event_id, unresolved_event.c.body).where(
                    unresolved_event.c.consumer == self.name,
                    unresolved_event.c.source_system == record.source_system,
                    unresolved_event.c.customer_source_key == record.source_key,
                )
            ).all()
            for row in rows:
                parked = parse_event(Topic.TRANSACTION.value, row.body)
                assert isinstance(parked, TransactionPosted)
                self._observe(event.payload.gcid, parked)
            if rows:
                # the rows leave the table only once their effect is pushed: flush now, in this tx
                self.flush()
                conn.execute(
                    delete(unresolved_event).where(
                        unresolved_event.c.consumer == self.name,
                        unresolved_event.c.event_id.in_([r.event_id for r in rows]),
                    )
                )
