"""Fraud patterns written into the simulated source databases, with their own ground truth.

* **Account takeover**: a Salama session at night from a device and IP the customer never used,
  a SUSPICIOUS_ACTIVITY alert, then 2-4 large transfers out of the victim's v1-Core account within
  minutes, flagged by WekezaBank's risk engine (an analyst case per transfer).
* **Mule fan-out**: many customers each send a mid-size transfer to one mule account, which within
  the hour sends it on in many small M-Pesa withdrawals (v1-Core), and WekezaBank opens cases.
* **Card testing**: one v5 card gets 8-20 tiny POS authorisations at different merchants within
  minutes, most declined, then one large approved purchase.

The truth (system, table, key, pattern, person) goes to a separate file; the databases only hold
what the bank's systems would have recorded.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg

from pipelines.simulator._people import Person
from pipelines.simulator._sources_feeds import FeedBank

__all__ = ["FraudWriter"]

_MERCHANTS = ("Jumia KE", "Kilimall", "Bolt", "Glovo", "Netflix", "Steam", "AliExpress", "Uber Eats", "Zuku")


@dataclass
class FraudWriter:
    feeds: FeedBank
    rng: random.Random
    now: datetime
    truth: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def _v1_txn(self, db: str, account: str, kind: str, amount: Decimal, at: datetime) -> str:
        tid = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        if db == "v1_core":
            self.feeds.conns[db].execute(
                'INSERT INTO "Transactions" ("Id","TransactionReference","AccountId","TransactionType","Amount",'  # noqa: E501
                '"ProcessedAt","Description") VALUES (%s,%s,%s,%s,%s,%s,%s)',
                (
                    tid,
                    f"TX-{tid.hex[:20]}",
                    account,
                    kind,
                    amount,
                    at,
                    f"to 2547{self.rng.randint(10**7, 10**8 - 1)}",
                ),
            )
        else:
            code = {"Deposit": 0, "Withdrawal": 1, "Transfer": 2}[kind]
            self.feeds.conns[db].execute(
                'INSERT INTO "Transactions" ("Id","CorrelationId","AccountId","Amount_Amount","Type","Timestamp")'  # noqa: E501
                " VALUES (%s,%s,%s,%s,%s,%s)",
                (tid, uuid.uuid4(), account, amount, code, at),
            )
        return str(tid)

    def _case(self, txn: str, customer: str, amount: Decimal, reason: str) -> None:
        self.feeds.conns["wekezabank"].execute(
            "INSERT INTO analyst_cases (transaction_id,customer_id,amount,transaction_type,risk_score,risk_level,"  # noqa: E501
            "flagged_reason) VALUES (%s,%s,%s,'TRANSFER',%s,%s,%s) ON CONFLICT DO NOTHING",
            (txn[:50], customer, amount, round(self.rng.uniform(0.8, 0.99), 2), "HIGH", reason),
        )

    def account_takeover(self, p: Person) -> bool:
        user = self.feeds.salama_users.get(p.person_id)
        accounts = self.feeds.accounts_of.get(p.person_id)
        if user is None or not accounts:
            return False
        r = self.rng
        start = (self.now - timedelta(hours=r.randint(6, 40))).replace(hour=23, minute=r.randint(0, 59))
        thief = f"dev-x{r.randint(10**9, 10**10 - 1)}"
        sid = self.feeds.login(user[0], thief, start, ip=f"197.{r.randint(0, 255)}.{r.randint(0, 255)}.7")
        self.truth.append(("salama", "sessions", sid, "account_takeover", p.person_id))
        self.feeds.conns["salama"].execute(
            "INSERT INTO security_alerts (user_id,session_id,alert_type,severity,device_id,created_at) "
            "VALUES (%s,%s,'SUSPICIOUS_ACTIVITY','HIGH',%s,%s)",
            (user[0], sid, thief, start + timedelta(minutes=1)),
        )
        db, account = r.choice(accounts)
        for i in range(r.randint(2, 4)):
            amount = Decimal(r.randint(20_000, 150_000))
            txn = self._v1_txn(db, account, "Transfer", amount, start + timedelta(minutes=3 + 2 * i))
            self.truth.append(("v1_core", "Transactions", txn, "account_takeover", p.person_id))
            self._case(txn, f"CUST_{p.person_id[1:]}", amount, "new device, night, new payee")
        return True

    def mule_fan_out(self, mule: Person, victims: list[Person]) -> bool:
        accounts = self.feeds.accounts_of.get(mule.person_id)
        if not accounts:
            return False
        r = self.rng
        db, mule_account = accounts[0]
        at = self.now - timedelta(hours=r.randint(3, 30))
        total = Decimal(0)
        for v in victims:
            source = self.feeds.accounts_of.get(v.person_id)
            if not source:
                continue
            amount = Decimal(r.randint(5_000, 30_000))
            txn = self._v1_txn(source[0][0], source[0][1], "Transfer", amount, at)
            credit = self._v1_txn(db, mule_account, "Deposit", amount, at + timedelta(seconds=5))
            for t in (txn, credit):
                self.truth.append(("v1_core", "Transactions", t, "mule_fan_out", mule.person_id))
            total += amount
            at += timedelta(minutes=r.randint(1, 6))
        while total > 0:
            amount = min(total, Decimal(r.randint(2_000, 9_000)))
            txn = self._v1_txn(db, mule_account, "Withdrawal", amount, at)
            self.truth.append(("v1_core", "Transactions", txn, "mule_fan_out", mule.person_id))
            self._case(txn, f"CUST_{mule.person_id[1:]}", amount, "many small M-Pesa payouts after inflows")
            total -= amount
            at += timedelta(seconds=r.randint(20, 90))
        return True

    def card_testing(self, v5: psycopg.Connection[tuple[object, ...]], card_id: str, owner: str) -> None:
        r = self.rng
        at = self.now - timedelta(hours=r.randint(2, 30))
        for i in range(r.randint(8, 20)):
            pid = uuid.UUID(int=r.getrandbits(128), version=4)
            status = "Declined" if r.random() < 0.7 else "Approved"
            v5.execute(
                'INSERT INTO "POSTransactions" ("Id","CardId","Reference","MerchantName","Amount","Status",'
                '"ProcessedAt") VALUES (%s,%s,%s,%s,%s,%s,%s)',
                (pid, card_id, f"CT-{pid.hex[:16]}", r.choice(_MERCHANTS), Decimal(r.randint(10, 99)), status,
                 at + timedelta(seconds=15 * i)),
            )  # fmt: skip
            self.truth.append(("v5", "POSTransactions", str(pid), "card_testing", owner))
        pid = uuid.UUID(int=r.getrandbits(128), version=4)
        v5.execute(
            'INSERT INTO "POSTransactions" ("Id","CardId","Reference","MerchantName","Amount","Status","ProcessedAt")'  # noqa: E501
            " VALUES (%s,%s,%s,'Hotpoint Electronics',%s,'Approved',%s)",
            (
                pid,
                card_id,
                f"CT-{pid.hex[:16]}",
                Decimal(r.randint(40_000, 120_000)),
                at + timedelta(minutes=8),
            ),
        )
        self.truth.append(("v5", "POSTransactions", str(pid), "card_testing", owner))
