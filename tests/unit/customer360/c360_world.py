"""Builders for the Customer 360 tests: events of every input topic and a hand-made identity graph.

The identity graph is written directly (``identity_record``, ``gcid``) so these tests depend only
on the contract with identity resolution, not on how it matches.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, delete, insert, update

from kernel.events import (
    BrainEvent,
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
from kernel.storage.schema import gcid as gcid_t
from kernel.storage.schema import identity_record
from tests.factories import T0, account, customer

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
    "synthetic_stream",
    "write_graph",
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
            txn_type=txn_type,
            channel=channel,
            status=status,
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
            channel=channel,
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
            severity=severity,
            status=status,
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
            score_type=score_type,
            score=score,
            rating=rating,
        ),
    )


def synthetic_stream(
    customers: int, txns_per_customer: int = 14, seed: int = 1
) -> tuple[dict[str, list[tuple[str, str]]], list[BrainEvent]]:
    """A bank of ``customers`` people (a third with a second record in ``dfs``) on every input topic.

    Returns the identity graph to write (GCID → source records) and the events, identity events
    included, in a plausible arrival order (a customer's own events in order, customers interleaved).
    """
    rng = random.Random(seed)
    graph: dict[str, list[tuple[str, str]]] = {}
    per_customer: list[list[BrainEvent]] = []
    for n in range(customers):
        gcid = f"GC{n:016d}"
        key = f"C{n:07d}"
        refs = [("v5", key)]
        events: list[BrainEvent] = [
            customer(
                "v5",
                key,
                first_name="Person",
                last_name=f"N{n}",
                national_id=f"{10_000_000 + n}",
                phones=(f"+2547{n:08d}",),
                emails=(f"p{n}@mail.co.ke",),
                segment="retail",
            ),
            account("v5", f"A{n:07d}", key, balance=f"{rng.randint(0, 99999)}.00"),
            assigned(gcid, "v5", key),
        ]
        if n % 3 == 0:
            refs.append(("dfs", key))
            events += [
                customer(
                    "dfs",
                    key,
                    first_name="Person",
                    last_name=f"N{n}",
                    national_id=None,
                    phones=(f"+2547{n:08d}",),
                    segment="agency",
                ),
                assigned(gcid, "dfs", key),
            ]
        for t in range(txns_per_customer):
            events.append(
                txn(
                    f"T{n:07d}-{t:03d}",
                    key,
                    at=T0 + timedelta(minutes=t),
                    amount=f"{rng.randint(1, 5000)}.00",
                    device_id=f"dev-{n}" if t % 2 else None,
                    channel=rng.choice(("mpesa", "card", "ussd")),
                )
            )
        events.append(login(f"L{n:07d}-1", key, at=T0 + timedelta(minutes=1), device_id=f"dev-{n}"))
        events.append(
            login(f"L{n:07d}-2", key, at=T0 + timedelta(minutes=2), success=False, device_id=f"dev-{n}")
        )
        events.append(risk(key, score_type="aml", rating=rng.choice(("low", "medium", "high"))))
        if n % 10 == 0:
            events.append(fraud(f"F{n:07d}", key))
        graph[gcid] = refs
        per_customer.append(events)
    out: list[BrainEvent] = []
    cursors = [0] * customers
    live = list(range(customers))
    while live:
        i = rng.choice(live)
        out.append(per_customer[i][cursors[i]])
        cursors[i] += 1
        if cursors[i] == len(per_customer[i]):
            live.remove(i)
    return graph, out


def write_graph(engine: Engine, graph: dict[str, list[tuple[str, str]]]) -> None:
    """Bulk version of :func:`assign` for a fresh database."""
    gcids = [{"gcid": g, "created_at": T0, "merged_into": None, "updated_at": T0} for g in graph]
    records = [
        {
            "source_system": s,
            "source_key": k,
            "gcid": g,
            "attributes": {},
            "occurred_at": T0,
            "first_seen": T0,
            "last_event_id": "test",
        }
        for g, refs in graph.items()
        for s, k in refs
    ]
    with engine.begin() as conn:
        conn.execute(insert(gcid_t), gcids)
        conn.execute(insert(identity_record), records)
