"""Writes of the Customer 360 projection, inside the caller's transaction.

Every write is idempotent and order-safe: a row carries the source time (and event id, the
tie-break) of the change it holds, and an older change never overwrites a newer one; first/last
times are min/max and counters are sums, so any order of the same events gives the same rows.
The processor guarantees each event is applied once (``processed_event``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete

from customer360._batch import ProjectionBatch, newer
from customer360._refresh import refresh_gcids
from customer360._survivorship import DEFAULT_POLICY, SurvivorshipPolicy
from kernel.events import (
    AccountChanged,
    BrainEvent,
    CustomerChanged,
    FraudAlertRaised,
    LoginAttempted,
    RiskScoreUpdated,
    TransactionPosted,
)
from kernel.storage.schema import (
    customer_360,
    customer_360_key,
)

__all__ = [
    "drop_golden",
    "newer",
    "record_fraud_alert",
    "record_login",
    "record_risk_score",
    "refresh_golden",
    "upsert_account",
    "upsert_source_customer",
    "upsert_transaction",
]


def _one(conn: Connection, event: BrainEvent) -> bool:
    batch = ProjectionBatch(conn)
    changed = batch.apply(event)
    batch.write()
    return changed


def upsert_source_customer(conn: Connection, event: CustomerChanged) -> bool:
    """Keep the newest version of one source customer record; ``False`` when the event is stale."""
    return _one(conn, event)


def upsert_account(conn: Connection, event: AccountChanged) -> bool:
    return _one(conn, event)


def upsert_transaction(conn: Connection, event: TransactionPosted) -> bool:
    """Insert a transaction once; a later change of it (status) updates it, an older one does not.

    ``occurred_at`` stays the earliest event time of the transaction (when it was posted).
    """
    return _one(conn, event)


def record_login(conn: Connection, event: LoginAttempted) -> None:
    _one(conn, event)


def record_fraud_alert(conn: Connection, event: FraudAlertRaised) -> bool:
    """One row per alert (its source key); a later status change updates it."""
    return _one(conn, event)


def record_risk_score(conn: Connection, event: RiskScoreUpdated) -> bool:
    return _one(conn, event)


def refresh_golden(
    conn: Connection, gcid: str, at: datetime | None = None, policy: SurvivorshipPolicy = DEFAULT_POLICY
) -> None:
    """Recompute the golden record (and its lookup keys) of ``gcid`` from its member source records.

    ``at`` is accepted for compatibility and ignored: the record's ``updated_at`` is the newest
    source change among its members, so a replay writes the same row.
    """
    refresh_gcids(conn, [gcid], [], policy)


def drop_golden(conn: Connection, gcid: str) -> None:
    """A merged GCID has no golden record of its own: reads follow the alias to the survivor."""
    conn.execute(delete(customer_360).where(customer_360.c.gcid == gcid))
    conn.execute(delete(customer_360_key).where(customer_360_key.c.gcid == gcid))
