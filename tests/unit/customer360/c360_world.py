"""Builders for the Customer 360 tests: events of every input topic and a hand-made identity graph.

The identity graph is written directly (``identity_record``, ``gcid``) so these tests depend only
on the contract with identity resolution, not on how it matches.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, delete, insert, update

from pipelines.events import (
    FraudAlertPayload,
    FraudAlertRaised,
    GcidAssigned,
    GcidAssignedPayload,
    GcidMerged,
    GcidMergedPayload,
    GcidSplit,
    GcidSplitPayload,
    LoginAttempted,
    LoginPayload,
    RiskScorePayload,
    RiskScoreUpdated,
    SourceRef,
    TransactionPayload,
    TransactionPosted,
    make_event_id,
)
from pipelines.storage.schema import gcid as gcid_t
from pipelines.storage.schema import identity_record
from tests.factories import T0

__all__ = [
    "assign",
    "assigned",
    "fraud",
    "login",
    "merge",
    "merged",
    "risk",
    "split",
    "split_event",
    "txn",
]


def assign(engine: Engine, gcid: str, *refs: tuple[str, str], at: datetime = T0) -> None:
    """Put ``refs`` under ``gcid`` (creating it) in the identity graph."""
    with engine.begin() as conn:
        if not conn.execute(gcid_t.select().where(gcid_t.c.gcid == gcid)).first():
            conn.execute(insert(gcid_t).values(gcid=gcid, created_at=at, merged_into=None, updated_at=at))
        for system, key in refs:
            conn.execute(
                delete(identity_record).where(
                    identity_record.c.source_system == system, identity_record.c.source_key == key
                )
            )
            conn.execute(
                insert(identity_record).values(
                    source_system=system,
                    source_key=key,
                    gcid=gcid,
                    attributes={},
                    occurred_at=at,
                    first_seen=at,
                    last_event_id="test",
                )
            )


def merge(engine: Engine, survivor: str, merged_gcid: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(identity_record).where(identity_record.c.gcid == merged_gcid).values(gcid=survivor)
        )
        conn.execute(update(gcid_t).where(gcid_t.c.gcid == merged_gcid).values(merged_into=survivor))


def split(engine: Engine, gcid: str, new_gcid: str, *refs: tuple[str, str]) -> None:
    assign(engine, new_gcid, *refs)
    with engine.begin() as conn:
        conn.execute(update(gcid_t).where(gcid_t.c.gcid == new_gcid).values(merged_into=None))


def _ref(system: str, key: str) -> SourceRef:
    return SourceRef(source_system=system, source_key=key)


def assigned(gcid: str, system: str, key: str, previous: str | None = None) -> GcidAssigned:
    return GcidAssigned(
        event_id=make_event_id("brain.identity", "assign", f"{system}:{key}", gcid),
        source_system="brain.identity",
        source_table="identity_record",
        source_key=f"{system}:{key}",
        occurred_at=T0,
        payload=GcidAssignedPayload(
            gcid=gcid,
            record=_ref(system, key),
            previous_gcid=previous,
            settings_version="t",
            decided_by="resolver",
        ),
    )


def merged(survivor: str, gone: str) -> GcidMerged:
    return GcidMerged(
        event_id=make_event_id("brain.identity", "merge", f"{gone}>{survivor}", "1"),
        source_system="brain.identity",
        source_table="gcid",
        source_key=survivor,
        occurred_at=T0,
        payload=GcidMergedPayload(
            survivor=survivor, merged=gone, records=(), settings_version="t", decided_by="resolver"
        ),
    )


def split_event(gcid: str, new_gcid: str, *refs: tuple[str, str]) -> GcidSplit:
    return GcidSplit(
        event_id=make_event_id("brain.identity", "split", f"{gcid}>{new_gcid}", "1"),
        source_system="brain.identity",
        source_table="gcid",
        source_key=gcid,
        occurred_at=T0,
        payload=GcidSplitPayload(
            gcid=gcid,
            new_gcid=new_gcid,
            records=tuple(_ref(s, k) for s, k in refs),
            settings_version="t",
            decided_by="operator-1",
        ),
    )


def txn(
    key: str,
    customer_key: str = "C1",
    *,
    system: str = "v5",
    at: datetime = T0,
    position: str = "1",
    amount: str = "1000.00",
    status: str = "posted",
    channel: str = "mpesa",
    txn_type: str = "payment",
    account: str = "A1",
    device_id: str | None = None,
    counterparty: str | None = None,
) -> TransactionPosted:
    return TransactionPosted(
        event_id=make_event_id(system, "transactions", key, position),
        source_system=system,
        source_table="transactions",
        source_key=key,
        occurred_at=at,
        position=position,
        payload=TransactionPayload(
            customer_source_key=customer_key,
            account_source_key=account,
            amount=Decimal(amount),
            currency="KES",
            direction="debit",
            txn_type=txn_type,  # type: ignore[arg-type]
            channel=channel,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            device_id=device_id,
            counterparty=counterparty,
        ),
    )


def login(
    key: str,
    customer_key: str = "C1",
    *,
    system: str = "v5",
    at: datetime = T0,
    success: bool = True,
    channel: str = "mobile",
    device_id: str | None = "dev-1",
    session_id: str | None = "s-1",
) -> LoginAttempted:
    return LoginAttempted(
        event_id=make_event_id(system, "logins", key, "1"),
        source_system=system,
        source_table="logins",
        source_key=key,
        occurred_at=at,
        payload=LoginPayload(
            customer_source_key=customer_key,
            channel=channel,  # type: ignore[arg-type]
            success=success,
            device_id=device_id,
            session_id=session_id if success else None,
            ip_address="10.0.0.7",
        ),
    )


def fraud(
    key: str,
    customer_key: str = "C1",
    *,
    system: str = "v5",
    at: datetime = T0,
    severity: str = "high",
    status: str = "open",
    position: str = "1",
) -> FraudAlertRaised:
    return FraudAlertRaised(
        event_id=make_event_id(system, "alerts", key, position),
        source_system=system,
        source_table="alerts",
        source_key=key,
        occurred_at=at,
        position=position,
        payload=FraudAlertPayload(
            customer_source_key=customer_key,
            alert_type="velocity",
            severity=severity,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
        ),
    )


def risk(
    customer_key: str = "C1",
    *,
    system: str = "v5",
    score_type: str = "aml",
    score: float = 50.0,
    rating: str | None = None,
    at: datetime = T0,
    position: str = "1",
) -> RiskScoreUpdated:
    return RiskScoreUpdated(
        event_id=make_event_id(system, "scores", f"{customer_key}:{score_type}", position),
        source_system=system,
        source_table="scores",
        source_key=f"{customer_key}:{score_type}",
        occurred_at=at,
        position=position,
        payload=RiskScorePayload(
            customer_source_key=customer_key,
            score_type=score_type,  # type: ignore[arg-type]
            score=score,
            rating=rating,  # type: ignore[arg-type]
        ),
    )
