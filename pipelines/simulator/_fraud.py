"""Behaviour on top of a simulated bank: logins, fraud patterns, risk ratings and their ground truth.

Used by :func:`pipelines.simulator.simulate_bank` only when ``fraud_share > 0`` (default off, so
the bank's other numbers do not change). It draws from its own random stream.

* Every customer logs in a few times from their usual device.
* A ``fraud_share`` of customers suffer an account takeover: failed logins from a new device at
  night, one success, then 2-5 large transfers to new counterparties within minutes. Each of those
  transfers is confirmed as fraud by a ``fraud.alert`` two hours later (``status="confirmed"``);
  a few honest transactions get a ``false_positive`` alert.
* Customers of ``v5`` get an AML rating and a credit score (``risk.events``); whether they default
  in the next 90 days (the credit model's label) depends on the score and the rating.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from pipelines.events import (
    BrainEvent,
    FraudAlertPayload,
    FraudAlertRaised,
    LoginAttempted,
    LoginPayload,
    RiskScorePayload,
    RiskScoreUpdated,
    TransactionPayload,
    TransactionPosted,
    make_event_id,
)

__all__ = ["Behaviour", "simulate_behaviour"]


@dataclass
class Behaviour:
    logins: list[LoginAttempted] = field(default_factory=list)
    alerts: list[FraudAlertRaised] = field(default_factory=list)
    risk: list[RiskScoreUpdated] = field(default_factory=list)
    fraud_transactions: set[str] = field(default_factory=set)
    """Ground truth: event ids of the fraudulent transactions."""
    credit_default: dict[tuple[str, str], bool] = field(default_factory=dict)
    """Ground truth: (source_system, customer source key) -> defaulted within 90 days of applying."""
    credit_applied_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    """When each customer with a credit outcome applied (the credit model's label time)."""

    def events(self) -> list[BrainEvent]:
        return [*self.logins, *self.risk, *self.alerts]


def _login(
    system: str, customer: str, seq: int, at: datetime, success: bool, device: str, where: str
) -> LoginAttempted:
    key = f"LG{seq:09d}"
    return LoginAttempted(
        event_id=make_event_id(system, "logins", key, "1"),
        source_system=system,
        source_table="logins",
        source_key=key,
        occurred_at=at,
        position="1",
        payload=LoginPayload(
            customer_source_key=customer,
            channel="mobile",
            success=success,
            failure_reason=None if success else "bad_pin",
            device_id=device,
            location=where,
        ),
    )


def _alert(txn: TransactionPosted, status: str, at: datetime) -> FraudAlertRaised:
    key = f"FA-{txn.source_key}"
    return FraudAlertRaised(
        event_id=make_event_id(txn.source_system, "fraud_alerts", key, status),
        source_system=txn.source_system,
        source_table="fraud_alerts",
        source_key=key,
        occurred_at=at,
        position=status,
        payload=FraudAlertPayload(
            customer_source_key=txn.payload.customer_source_key,
            alert_type="account_takeover",
            severity="high",
            status=status,
            transaction_source_key=txn.source_key,
        ),
    )


def simulate_behaviour(
    transactions: list[TransactionPosted],
    accounts_by_ref: dict[tuple[str, str], list[str]],
    *,
    seed: int,
    now: datetime,
    fraud_share: float,
) -> tuple[Behaviour, list[TransactionPosted]]:
    """The behaviour events and the fraudulent transactions to add to the bank's transactions."""
    rng = random.Random(seed * 7919 + 17)
    out = Behaviour()
    fraud: list[TransactionPosted] = []
    seq = 0
    for ref in sorted(accounts_by_ref):
        system, customer = ref
        device, home = f"dev-{customer}", rng.choice(("Nairobi", "Mombasa", "Kisumu", "Nakuru"))
        for _ in range(rng.randint(1, 4)):
            seq += 1
            at = now - timedelta(seconds=rng.randint(600, 48 * 3600))
            out.logins.append(_login(system, customer, seq, at, rng.random() > 0.05, device, home))
        if system == "v5":
            rated = now - timedelta(hours=40)
            rating = rng.choices(("low", "medium", "high"), (0.8, 0.15, 0.05))[0]
            score = max(300.0, min(850.0, rng.gauss(620, 90)))
            for kind, value, label in (
                ("aml", {"low": 100.0, "medium": 500.0, "high": 850.0}[rating], rating),
                ("credit", round(score), None),
            ):
                out.risk.append(
                    RiskScoreUpdated(
                        event_id=make_event_id("risk", f"{kind}_scores", f"{system}:{customer}", "1"),
                        source_system=system,
                        source_table=f"{kind}_scores",
                        source_key=f"{kind.upper()}-{customer}",
                        occurred_at=rated,
                        position="1",
                        payload=RiskScorePayload(
                            customer_source_key=customer,
                            score_type=kind,
                            score=value,
                            rating=label,
                            model="bureau-v1",
                        ),
                    )
                )
            logit = (540 - score) / 45 + (1.5 if rating == "high" else 0.0)
            out.credit_default[ref] = rng.random() < 1 / (1 + math.exp(-logit))
            out.credit_applied_at[ref] = now - timedelta(seconds=rng.randint(60, 30 * 3600))
        if rng.random() >= fraud_share:
            continue
        # account takeover between 01:00 and 04:00 EAT (22:00-01:00 UTC) in the last 40 hours
        day = (now - timedelta(hours=rng.randint(6, 40))).replace(hour=22, minute=0, second=0, microsecond=0)
        start = min(day + timedelta(minutes=rng.randint(0, 170)), now - timedelta(minutes=30))
        thief = f"dev-x{rng.randint(10_000, 99_999)}"
        for i in range(rng.randint(2, 4)):
            seq += 1
            out.logins.append(
                _login(system, customer, seq, start + timedelta(seconds=20 * i), False, thief, "Unknown")
            )
        seq += 1
        out.logins.append(_login(system, customer, seq, start + timedelta(minutes=2), True, thief, "Unknown"))
        for i in range(rng.randint(2, 5)):
            at = start + timedelta(minutes=3 + 2 * i, seconds=rng.randint(0, 59))
            key = f"TXF{len(fraud) + 1:08d}"
            txn = TransactionPosted(
                event_id=make_event_id(system, "transactions", key, "1"),
                source_system=system,
                source_table="transactions",
                source_key=key,
                occurred_at=at,
                position="1",
                payload=TransactionPayload(
                    customer_source_key=customer,
                    account_source_key=rng.choice(accounts_by_ref[ref]),
                    amount=Decimal(rng.randint(20_000, 150_000)).quantize(Decimal("0.01")),
                    currency="KES",
                    direction="debit",
                    txn_type="transfer",
                    channel=rng.choice(("internet", "mobile", "mpesa")),
                    counterparty=f"2547{rng.randint(10_000_000, 99_999_999)}",
                    counterparty_type="mpesa",
                    device_id=thief,
                    location="Unknown",
                ),
            )
            fraud.append(txn)
            out.fraud_transactions.add(txn.event_id)
            out.alerts.append(_alert(txn, "confirmed", at + timedelta(hours=2)))
    honest = [t for t in transactions if t.occurred_at < now - timedelta(hours=3)]
    for txn in rng.sample(honest, k=min(len(honest), max(1, len(honest) // 200))):
        out.alerts.append(_alert(txn, "false_positive", txn.occurred_at + timedelta(hours=2)))
    out.logins.sort(key=lambda e: e.occurred_at)
    out.alerts.sort(key=lambda e: e.occurred_at)
    return out, fraud
