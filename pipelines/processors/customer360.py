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

from sqlalchemy import Connection, Engine, RootTransaction, select, tuple_

from customer360 import (
    record_fraud_alert,
    record_login,
    record_risk_score,
    refresh_golden,
    refresh_risk,
    upsert_account,
    upsert_source_customer,
    upsert_transaction,
)
from pipelines.errors import EnterpriseBrainError
from pipelines.events import (
    AccountChanged,
    BrainEvent,
    CustomerChanged,
    FraudAlertRaised,
    GcidAssigned,
    GcidMerged,
    GcidSplit,
    LoginAttempted,
    RiskScoreUpdated,
    Topic,
    TransactionPosted,
    utcnow,
)
from pipelines.processors._idempotency import already_processed, mark_processed
from pipelines.storage.schema import identity_record

__all__ = ["BatchAborted", "Customer360Handler"]

log = logging.getLogger(__name__)


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
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._golden: set[str] = set()
        self._risk: set[str] = set()
        self._golden_refs: set[tuple[str, str]] = set()
        self._risk_refs: set[tuple[str, str]] = set()

    def handle(self, event: BrainEvent) -> None:
        conn = self._begin()
        try:
            if not already_processed(conn, self.name, event.event_id):
                mark_processed(conn, self.name, event.event_id, utcnow())
                self._apply(conn, event)
        except Exception as exc:
            self._abort()
            if isinstance(exc, EnterpriseBrainError) and exc.status < 500:
                # never let the runner dead-letter one event and commit the rolled-back rest
                raise BatchAborted(f"batch rolled back: {exc.detail}") from exc
            raise
        if not self._batched:
            self.flush()

    def flush(self) -> None:
        """Recompute the touched GCIDs and commit the batch (before the runner commits offsets)."""
        if self._conn is None:
            return
        conn = self._conn
        try:
            golden, risk = set(self._golden), set(self._risk)
            refs = self._golden_refs | self._risk_refs
            if refs:
                found = conn.execute(
                    select(
                        identity_record.c.source_system, identity_record.c.source_key, identity_record.c.gcid
                    ).where(
                        tuple_(identity_record.c.source_system, identity_record.c.source_key).in_(
                            sorted(refs)
                        )
                    )
                ).all()
                for system, key, gcid in found:
                    if (system, key) in self._golden_refs:
                        golden.add(gcid)
                    if (system, key) in self._risk_refs:
                        risk.add(gcid)
            for gcid in sorted(golden):
                refresh_golden(conn, gcid)
            for gcid in sorted(risk | golden):
                refresh_risk(conn, gcid)
            assert self._tx is not None
            self._tx.commit()
        except Exception:
            self._abort()
            raise
        self._close()

    def _begin(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect()
            self._tx = self._conn.begin()
        return self._conn

    def _abort(self) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = self._tx = None
        self._golden, self._risk = set(), set()
        self._golden_refs, self._risk_refs = set(), set()

    def _apply(self, conn: Connection, event: BrainEvent) -> None:
        if isinstance(event, CustomerChanged):
            upsert_source_customer(conn, event)
            self._golden_refs.add((event.source_system, event.source_key))
        elif isinstance(event, AccountChanged):
            upsert_account(conn, event)
        elif isinstance(event, TransactionPosted):
            upsert_transaction(conn, event)
        elif isinstance(event, LoginAttempted):
            record_login(conn, event)
            if not event.payload.success:
                self._risk_refs.add((event.source_system, event.payload.customer_source_key))
        elif isinstance(event, FraudAlertRaised):
            record_fraud_alert(conn, event)
            self._risk_refs.add((event.source_system, event.payload.customer_source_key))
        elif isinstance(event, RiskScoreUpdated):
            record_risk_score(conn, event)
            self._risk_refs.add((event.source_system, event.payload.customer_source_key))
        elif isinstance(event, GcidAssigned):
            self._golden.add(event.payload.gcid)
            if event.payload.previous_gcid:
                self._golden.add(event.payload.previous_gcid)
        elif isinstance(event, GcidMerged):
            self._golden.update((event.payload.survivor, event.payload.merged))
        elif isinstance(event, GcidSplit):
            self._golden.update((event.payload.gcid, event.payload.new_gcid))
