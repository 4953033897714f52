"""Behaviour on top of a simulated bank: logins, fraud patterns, risk ratings and their ground truth.

Used by :func:`pipelines.simulator.simulate_bank` only when ``fraud_share > 0`` (default off, so
the bank's other numbers do not change). It draws from its own random stream.

* Every customer logs in a few times from their usual device.
* A ``fraud_share`` of customers suffer an account takeover: failed logins from a new device at
  night, one success, then 2-5 large transfers to new counterparties within minutes. Each of those
  transfers is confirmed as fraud by a ``fraud.alert`` two hours later (``status="confirmed"``);
  a few honest transactions get a ``false_positive`` alert.
* Opt-in (``mule_share``/``card_testing_share`` > 0; own random stream, so the rest is unchanged):
  **mule fan-out** — 5-12 customers each transfer 5,000-30,000 to one mule's account, which pays
  it out within the hour in many small M-Pesa withdrawals; **card testing** — 8-20 tiny card
  payments at different merchants within minutes (most failed), then one large approved one.
  Every such transaction is in ``fraud_transactions`` and gets a confirmed alert.
* Customers of ``v5`` get an AML rating and a credit score (``risk.events``); whether they default
  in the next 90 days (the credit model's label) depends on the score and the rating.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from kernel.events import (
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


def _alert(
    txn: TransactionPosted, status: str, at: datetime, alert_type: str = "account_takeover"
) -> FraudAlertRaised:
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
            alert_type=alert_type,
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
    mule_share: float = 0.0,
    card_testing_share: float = 0.0,
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
            txn = transaction_event(
                ref,
                rng.choice(accounts_by_ref[ref]),
                f"TXF{len(fraud) + 1:08d}",
                at,
                Decimal(rng.randint(20_000, 150_000)).quantize(Decimal("0.01")),
                direction="debit",
                txn_type="transfer",
                channel=rng.choice(("internet", "mobile", "mpesa")),
                counterparty=f"2547{rng.randint(10_000_000, 99_999_999)}",
                counterparty_type="mpesa",
                device_id=thief,
                location="Unknown",
            )
            fraud.append(txn)
            out.fraud_transactions.add(txn.event_id)
            out.alerts.append(_alert(txn, "confirmed", at + timedelta(hours=2)))
    honest = [t for t in transactions if t.occurred_at < now - timedelta(hours=3)]
    for txn in rng.sample(honest, k=min(len(honest), max(1, len(honest) // 200))):
        out.alerts.append(_alert(txn, "false_positive", txn.occurred_at + timedelta(hours=2)))
    if mule_share > 0 or card_testing_share > 0:
        _mules_and_card_testing(out, fraud, accounts_by_ref, seed, now, mule_share, card_testing_share)
    out.logins.sort(key=lambda e: e.occurred_at)
    out.alerts.sort(key=lambda e: e.occurred_at)
    return out, fraud


def transaction_event(
    ref: tuple[str, str], account: str, key: str, at: datetime, amount: Decimal, **fields: object
) -> TransactionPosted:
    system, customer = ref
    return TransactionPosted(
        event_id=make_event_id(system, "transactions", key, "1"),
        source_system=system,
        source_table="transactions",
        source_key=key,
        occurred_at=at,
        position="1",
        payload=TransactionPayload.model_validate(
            {"customer_source_key": customer, "account_source_key": account, "amount": amount,
             "currency": "KES", **fields}
        ),
    )  # fmt: skip


def _mules_and_card_testing(
    out: Behaviour,
    fraud: list[TransactionPosted],
    accounts_by_ref: dict[tuple[str, str], list[str]],
    seed: int,
    now: datetime,
    mule_share: float,
    card_testing_share: float,
) -> None:
    rng = random.Random(seed * 7919 + 29)
    refs = sorted(accounts_by_ref)
    seq = 0

    def add(txn: TransactionPosted, pattern: str) -> None:
        fraud.append(txn)
        out.fraud_transactions.add(txn.event_id)
        out.alerts.append(_alert(txn, "confirmed", txn.occurred_at + timedelta(hours=3), pattern))

    for _ in range(round(len(refs) * mule_share)):
        mule, *victims = rng.sample(refs, k=min(len(refs), rng.randint(6, 13)))
        mule_account = rng.choice(accounts_by_ref[mule])
        at = now - timedelta(hours=rng.randint(4, 30))
        total = Decimal(0)
        for victim in victims:
            amount = Decimal(rng.randint(5_000, 30_000)).quantize(Decimal("0.01"))
            seq += 1
            add(transaction_event(victim, rng.choice(accounts_by_ref[victim]), f"TXM{seq:08d}", at, amount,
                     direction="debit", txn_type="transfer", channel=rng.choice(("mobile", "internet")),
                     counterparty=mule_account, counterparty_type="internal"), "mule_fan_out")  # fmt: skip
            seq += 1
            add(transaction_event(mule, mule_account, f"TXM{seq:08d}", at + timedelta(seconds=5), amount,
                     direction="credit", txn_type="transfer", channel="internet",
                     counterparty=victim[1], counterparty_type="internal"), "mule_fan_out")  # fmt: skip
            total += amount
            at += timedelta(minutes=rng.randint(1, 5))
        while total > 0:
            amount = min(total, Decimal(rng.randint(2_000, 9_000)).quantize(Decimal("0.01")))
            seq += 1
            add(transaction_event(mule, mule_account, f"TXM{seq:08d}", at, amount, direction="debit",
                     txn_type="withdrawal", channel="mpesa", counterparty_type="mpesa",
                     counterparty=f"2547{rng.randint(10_000_000, 99_999_999)}"), "mule_fan_out")  # fmt: skip
            total -= amount
            at += timedelta(seconds=rng.randint(20, 90))
    for _ in range(round(len(refs) * card_testing_share)):
        ref = rng.choice(refs)
        account = rng.choice(accounts_by_ref[ref])
        last4, card = f"{rng.randint(0, 9999):04d}", f"{rng.getrandbits(256):064x}"
        at = now - timedelta(hours=rng.randint(2, 30))
        card_fields = {"direction": "debit", "txn_type": "payment", "channel": "card", "card_last4": last4,
                       "card_hash": card, "counterparty_type": "merchant"}  # fmt: skip
        for i in range(rng.randint(8, 20)):
            seq += 1
            tiny = Decimal(rng.randint(10, 99)).quantize(Decimal("0.01"))
            status = "failed" if rng.random() < 0.7 else "posted"
            at_i = at + timedelta(seconds=15 * i)
            txn = transaction_event(ref, account, f"TXC{seq:08d}", at_i, tiny, status=status,
                                    counterparty=rng.choice(_MERCHANTS), **card_fields)  # fmt: skip
            add(txn, "card_testing")
        seq += 1
        big = Decimal(rng.randint(40_000, 120_000)).quantize(Decimal("0.01"))
        txn = transaction_event(ref, account, f"TXC{seq:08d}", at + timedelta(minutes=8), big,
                   counterparty="Hotpoint Electronics", **card_fields)  # fmt: skip
        add(txn, "card_testing")


_MERCHANTS = ("Jumia KE", "Kilimall", "Bolt", "Glovo", "Netflix", "Steam", "AliExpress", "Uber Eats", "Zuku")
