"""A synthetic Customer 360 load: many customers on every input topic, identity events included.

:func:`synthetic_stream` feeds the Customer 360 benches and the worker tests; the event builders
it uses (:func:`txn`, :func:`login`, :func:`fraud`, :func:`risk`, :func:`assigned`) build one valid
event each, stating only what a caller varies. The stream is deterministic for a seed, byte for
byte: the benches' published figures depend on it, so change nothing it emits without re-running
them.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from kernel.events import (
    AccountChanged,
    AccountPayload,
    BrainEvent,
    CustomerChanged,
    CustomerPayload,
    FraudAlertPayload,
    FraudAlertRaised,
    GcidAssigned,
    GcidAssignedPayload,
    LoginAttempted,
    LoginPayload,
    RiskScorePayload,
    RiskScoreUpdated,
    SourceRef,
    TransactionPayload,
    TransactionPosted,
    make_event_id,
)

__all__ = ["STREAM_START", "assigned", "fraud", "login", "risk", "synthetic_stream", "txn"]

#: When the synthetic bank opens: every builder's default ``at`` and the stream's first instant.
STREAM_START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def assigned(gcid: str, system: str, key: str, previous: str | None = None) -> GcidAssigned:
    """Identity resolution putting ``system:key`` under ``gcid``."""
    return GcidAssigned(
        event_id=make_event_id("brain.identity", "assign", f"{system}:{key}", gcid),
        source_system="brain.identity",
        source_table="identity_record",
        source_key=f"{system}:{key}",
        occurred_at=STREAM_START,
        payload=GcidAssignedPayload(
            gcid=gcid,
            record=SourceRef(source_system=system, source_key=key),
            previous_gcid=previous,
            settings_version="t",
            decided_by="resolver",
        ),
    )


def txn(
    key: str,
    customer_key: str = "C1",
    *,
    system: str = "v5",
    at: datetime = STREAM_START,
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
    at: datetime = STREAM_START,
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
    at: datetime = STREAM_START,
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
    at: datetime = STREAM_START,
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


def _customer(
    system: str,
    key: str,
    n: int,
    *,
    national_id: str | None,
    emails: tuple[str, ...],
    segment: str,
) -> CustomerChanged:
    return CustomerChanged(
        event_id=make_event_id(system, "customers", key, "1"),
        source_system=system,
        source_table="customers",
        source_key=key,
        occurred_at=STREAM_START,
        position="1",
        payload=CustomerPayload(
            first_name="Person",
            last_name=f"N{n}",
            national_id=national_id,
            phones=(f"+2547{n:08d}",),
            emails=emails,
            date_of_birth=date(1990, 4, 12),
            segment=segment,
        ),
    )


def _account(system: str, key: str, customer_key: str, balance: str) -> AccountChanged:
    return AccountChanged(
        event_id=make_event_id(system, "accounts", key, "1"),
        source_system=system,
        source_table="accounts",
        source_key=key,
        occurred_at=STREAM_START,
        position="1",
        payload=AccountPayload(
            customer_source_key=customer_key, account_type="savings", currency="KES", balance=Decimal(balance)
        ),
    )


def synthetic_stream(
    customers: int, txns_per_customer: int = 14, seed: int = 1
) -> tuple[dict[str, list[tuple[str, str]]], list[BrainEvent]]:
    """A bank of ``customers`` people (a third with a second record in ``dfs``) on every input topic.

    Returns the identity graph to write (GCID → source records, see
    :func:`pipelines.identity_graph.write_graph`) and the events, identity events included, in a
    plausible arrival order (a customer's own events in order, customers interleaved).
    """
    rng = random.Random(seed)
    graph: dict[str, list[tuple[str, str]]] = {}
    per_customer: list[list[BrainEvent]] = []
    for n in range(customers):
        gcid = f"GC{n:016d}"
        key = f"C{n:07d}"
        refs = [("v5", key)]
        events: list[BrainEvent] = [
            _customer(
                "v5",
                key,
                n,
                national_id=f"{10_000_000 + n}",
                emails=(f"p{n}@mail.co.ke",),
                segment="retail",
            ),
            _account("v5", f"A{n:07d}", key, balance=f"{rng.randint(0, 99999)}.00"),
            assigned(gcid, "v5", key),
        ]
        if n % 3 == 0:
            refs.append(("dfs", key))
            events += [
                # Every agency record carries the same e-mail, as it always has: the stream must
                # stay byte for byte what the benches measured.
                _customer(
                    "dfs", key, n, national_id=None, emails=("grace.wanjiru@gmail.com",), segment="agency"
                ),
                assigned(gcid, "dfs", key),
            ]
        for t in range(txns_per_customer):
            events.append(
                txn(
                    f"T{n:07d}-{t:03d}",
                    key,
                    at=STREAM_START + timedelta(minutes=t),
                    amount=f"{rng.randint(1, 5000)}.00",
                    device_id=f"dev-{n}" if t % 2 else None,
                    channel=rng.choice(("mpesa", "card", "ussd")),
                )
            )
        events.append(login(f"L{n:07d}-1", key, at=STREAM_START + timedelta(minutes=1), device_id=f"dev-{n}"))
        events.append(
            login(
                f"L{n:07d}-2",
                key,
                at=STREAM_START + timedelta(minutes=2),
                success=False,
                device_id=f"dev-{n}",
            )
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
