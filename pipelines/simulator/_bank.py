"""A small living bank: people in several source systems, their accounts and transactions.

Values are written the way the source systems hold them (phones as ``07…``/``2547…``, national
ids with ``ID``/``KE-ID-`` prefixes, mixed-case emails) and standardised on the way into events,
exactly as a connector does. Who is really behind each record goes to the ground truth only.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from kernel.events import (
    AccountChanged,
    AccountPayload,
    BrainEvent,
    CustomerChanged,
    CustomerPayload,
    TransactionPosted,
    make_event_id,
)
from kernel.standardise import amount, email, national_id, person_name, phone_e164
from pipelines.simulator._fraud import Behaviour, simulate_behaviour, transaction_event
from pipelines.simulator._people import Person, make_people

__all__ = ["SimulatedBank", "simulate_bank"]

CHANNELS = ("mpesa", "card", "ussd", "agency", "branch", "internet")
TXN_TYPES = ("payment", "transfer", "withdrawal", "deposit", "airtime", "bill")


@dataclass
class SimulatedBank:
    now: datetime
    customers: list[CustomerChanged] = field(default_factory=list)
    accounts: list[AccountChanged] = field(default_factory=list)
    transactions: list[TransactionPosted] = field(default_factory=list)
    truth: dict[tuple[str, str], str] = field(default_factory=dict)  # (system, key) → person_id
    households: dict[str, str] = field(default_factory=dict)  # person_id → household_id
    _accounts_by_ref: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _txn_seq: int = 0
    behaviour: Behaviour | None = None
    """Logins, fraud patterns, risk ratings and their ground truth (``fraud_share`` > 0)."""

    def events(self) -> list[BrainEvent]:
        """Customers, then accounts, then transactions, in the order a first load produces them
        (then logins, risk ratings and fraud alerts when the bank simulates behaviour)."""
        extra = self.behaviour.events() if self.behaviour is not None else []
        return [*self.customers, *self.accounts, *self.transactions, *extra]

    def write_ground_truth(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["source_system", "source_key", "person_id", "household_id"])
            for (system, key), person in sorted(self.truth.items()):
                w.writerow([system, key, person, self.households[person]])

    def new_transaction(self, rng: random.Random, at: datetime) -> TransactionPosted:
        ref = rng.choice(sorted(self._accounts_by_ref))
        return self._transaction(rng, ref, rng.choice(self._accounts_by_ref[ref]), at)

    def live(self, rng: random.Random, start: datetime) -> Iterator[TransactionPosted]:
        """An endless stream of new transactions from ``start`` on (one per simulated second)."""
        at = start
        while True:
            at += timedelta(seconds=1)
            yield self.new_transaction(rng, at)

    def _transaction(
        self, rng: random.Random, ref: tuple[str, str], account: str, at: datetime
    ) -> TransactionPosted:
        self._txn_seq += 1
        customer_key = ref[1]
        key = f"TX{self._txn_seq:09d}"
        channel = rng.choice(CHANNELS)
        raw_amount = (
            f"{rng.choice((50, 100, 250, 500, 1000, 2500, 5000, 12000, 45000))}.{rng.randint(0, 99):02d}"
        )
        txn = transaction_event(
            ref,
            account,
            key,
            at,
            amount(raw_amount, "KES"),
            direction="credit" if rng.random() < 0.3 else "debit",
            txn_type=rng.choice(TXN_TYPES),
            channel=channel,
            counterparty=f"2547{rng.randint(10_000_000, 99_999_999)}" if channel == "mpesa" else None,
            counterparty_type="mpesa" if channel == "mpesa" else None,
            device_id=f"dev-{customer_key}" if channel in ("mpesa", "ussd", "internet") else None,
            location=rng.choice(("Nairobi", "Mombasa", "Kisumu", "Nakuru")),
        )
        self.transactions.append(txn)
        return txn


def _national_id_raw(rng: random.Random, nid: str) -> str:
    return rng.choice((nid, nid, f"ID{nid}", f"KE-ID-{nid}", f"ID {nid}"))


def _phone_raw(rng: random.Random, local: str) -> str:
    body = local[1:]
    return rng.choice((local, f"254{body}", f"+254{body}", f"+254 {body[:3]} {body[3:6]} {body[6:]}"))


def _customer(
    bank: SimulatedBank, rng: random.Random, p: Person, system: str, key: str, at: datetime, variant: bool
) -> None:
    first, middle, last = p.first_name, p.middle_name, p.last_name
    if variant:
        middle = None if rng.random() < 0.6 else middle
        if rng.random() < 0.3:
            first = first.upper()
    nid = _national_id_raw(rng, p.national_id) if (not variant or rng.random() < 0.7) else None
    raw_email = p.email.upper() if variant and rng.random() < 0.4 else p.email
    if variant and rng.random() < 0.25:
        raw_email = f"{key.lower()}@vif.local"  # synthetic: never matched
    payload = CustomerPayload(
        first_name=person_name(first),
        middle_name=person_name(middle) if middle else None,
        last_name=person_name(last),
        date_of_birth=p.date_of_birth,
        gender="F" if p.gender == "F" else "M",
        national_id=national_id(nid) if nid else None,
        phones=(phone_e164(_phone_raw(rng, p.phone_local)),),
        emails=(email(raw_email),),
        city=p.city,
        kyc_tier=rng.choice((1, 2, 3)) if system == "v5" else 1,
        kyc_status="verified" if system == "v5" else "pending",
        segment=rng.choice(("retail", "retail", "sme", "premier")) if system == "v5" else "agency",
        pep=False,
        sanctioned=False,
    )
    bank.customers.append(
        CustomerChanged(
            event_id=make_event_id(system, "customers", key, "1"),
            source_system=system,
            source_table="customers",
            source_key=key,
            occurred_at=at,
            position="1",
            payload=payload,
        )
    )
    bank.truth[(system, key)] = p.person_id


def _account(bank: SimulatedBank, rng: random.Random, system: str, customer_key: str, at: datetime) -> None:
    key = f"{system.upper()}-AC-{len(bank.accounts) + 1:07d}"
    balance = Decimal(rng.randint(0, 2_000_000)) / 100
    bank.accounts.append(
        AccountChanged(
            event_id=make_event_id(system, "accounts", key, "1"),
            source_system=system,
            source_table="accounts",
            source_key=key,
            occurred_at=at,
            position="1",
            payload=AccountPayload(
                customer_source_key=customer_key,
                account_number_masked=f"****{rng.randint(1000, 9999)}",
                account_type=rng.choice(("savings", "current")) if system == "v5" else "wallet",
                currency="KES",
                status="active",
                balance=balance,
                available_balance=balance,
                opened_on=(at - timedelta(days=rng.randint(30, 3000))).date(),
            ),
        )
    )
    bank._accounts_by_ref.setdefault((system, customer_key), []).append(key)


def simulate_bank(
    customers: int,
    seed: int,
    now: datetime,
    duplicate_share: float = 0.3,
    fraud_share: float = 0.0,
    mule_share: float = 0.0,
    card_testing_share: float = 0.0,
) -> SimulatedBank:
    """``customers`` people in core banking (``v5``) and/or agency banking (``dfs``), with history.

    ``fraud_share > 0`` adds logins, risk ratings and account takeovers on that share of customers
    (``bank.behaviour``, see :mod:`pipelines.simulator._fraud`); the rest of the bank is unchanged.
    ``mule_share``/``card_testing_share`` (with ``fraud_share > 0``) add mule fan-outs and card
    testing on that share of customers.
    """
    rng = random.Random(seed)
    bank = SimulatedBank(now=now)
    people = make_people(customers, rng)
    onboarded = now - timedelta(days=3)
    v5_seq = dfs_seq = 0
    for p in people:
        bank.households[p.person_id] = p.household_id
        in_v5 = rng.random() < 0.85
        in_dfs = (not in_v5) or rng.random() < duplicate_share
        if in_v5:
            v5_seq += 1
            _customer(bank, rng, p, "v5", f"CUST-{v5_seq:07d}", onboarded, variant=False)
        if in_dfs:
            dfs_seq += 1
            _customer(
                bank, rng, p, "dfs", str(100_000 + dfs_seq), onboarded + timedelta(hours=1), variant=in_v5
            )
    for c in bank.customers:
        for _ in range(rng.choice((1, 1, 2))):
            _account(bank, rng, c.source_system, c.source_key, onboarded + timedelta(hours=2))
    for ref in sorted(bank._accounts_by_ref):
        for _ in range(rng.randint(0, 8)):
            at = now - timedelta(seconds=rng.randint(60, 48 * 3600))
            bank._transaction(rng, ref, rng.choice(bank._accounts_by_ref[ref]), at)
    if fraud_share > 0:
        bank.behaviour, fraudulent = simulate_behaviour(
            bank.transactions,
            bank._accounts_by_ref,
            seed=seed,
            now=now,
            fraud_share=fraud_share,
            mule_share=mule_share,
            card_testing_share=card_testing_share,
        )
        bank.transactions.extend(fraudulent)
    bank.transactions.sort(key=lambda t: t.occurred_at)
    return bank
