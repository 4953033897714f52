"""WekezaDFS agency banking in the simulated ``wekeza_dfs_db``: agents, their devices and logins,
cash in/out at agents, and the DFS risk engine's credit scores.

Agents are people too (some are the bank's customers, by their national id). Customers who signed
up at an agent often have the *agent's* phone on file — a phone shared by many unrelated people,
which the identity graph must treat as evidence, never as proof. Agency transactions carry the
agent's POS device, so devices are shared as well.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pymysql

from pipelines.simulator._people import Person

__all__ = ["AgencyWriter"]

_TOWNS = ("Kibera, Nairobi", "Westlands, Nairobi", "Kondele, Kisumu", "Majengo, Mombasa", "Nakuru Town")


@dataclass
class AgencyWriter:
    rng: random.Random
    truth: list[tuple[str, str, str, str]]
    agents: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (id, phone, devices)

    def populate(self, people: list[Person], dfs: pymysql.connections.Connection, now: datetime) -> None:
        """One agent per ~60 people, 1-2 devices each; a share of DFS users re-registered with their
        agent's phone; a credit score per DFS user."""
        r = self.rng
        with dfs.cursor() as cur:
            for i, p in enumerate(r.sample(people, k=max(1, len(people) // 60))):
                agent_id = f"AG{now:%Y%m%d}{i:06d}"
                phone = "2547" + "".join(str(r.randint(0, 9)) for _ in range(8))
                kind = r.choice(("SUPER_AGENT", "SUB_AGENT", "RETAILER", "RETAILER"))
                cur.execute(
                    "INSERT INTO agents (agent_id,agent_name,national_id,phone_number,email,business_name,"
                    "business_location,agent_type,pin_hash,status) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,'ACTIVE')",
                    (agent_id, f"{p.first_name} {p.last_name} Agencies", p.national_id, phone, p.email,
                     f"{p.last_name} General Store", r.choice(_TOWNS), kind,
                     hashlib.sha256(agent_id.encode()).hexdigest()),
                )  # fmt: skip
                self.truth.append(("dfs", f"agent:{agent_id}", p.person_id, p.household_id))
                devices = [f"POS{agent_id[-6:]}{d}" for d in range(r.randint(1, 2))]
                for device in devices:
                    cur.execute(
                        "INSERT INTO agent_devices (device_id,agent_id,device_type,device_model) "
                        "VALUES (%s,%s,'POS','Ingenico iWL250')",
                        (device, agent_id),
                    )
                self.agents.append((agent_id, phone, devices))
            cur.execute("SELECT user_id, kyc_tier FROM users")
            for user_id, tier in cur.fetchall():
                if r.random() < 0.08:  # signed up at an agent, with the agent's phone
                    cur.execute(
                        "UPDATE users SET phone_number = %s WHERE user_id = %s",
                        (r.choice(self.agents)[1], user_id),
                    )
                score = 300 + {"TIER_1": 50, "TIER_2": 100, "TIER_3": 150}.get(tier, 0) + r.randint(0, 400)
                cur.execute(
                    "INSERT INTO risk_scores (user_id,credit_score,decision) VALUES (%s,%s,%s)",
                    (user_id, score, "APPROVED" if score > 500 else "DECLINED"),
                )

    def activity(self, n: int, dfs: pymysql.connections.Connection, now: datetime) -> None:
        """``n`` agency transactions on DFS accounts, and the agents' logins on their devices."""
        r = self.rng
        if not self.agents:
            return
        with dfs.cursor() as cur:
            cur.execute("SELECT account_number FROM accounts")
            accounts = [a for (a,) in cur.fetchall()]
            for i in range(n if accounts else 0):
                agent_id, _phone, devices = r.choice(self.agents)
                kind = r.choice(
                    ("CASH_IN", "CASH_IN", "CASH_OUT", "CASH_OUT", "BILL_PAYMENT", "BALANCE_INQUIRY")
                )
                amount = (
                    Decimal(0)
                    if kind == "BALANCE_INQUIRY"
                    else Decimal(r.choice((200, 500, 1000, 3000, 10_000)))
                )
                cur.execute(
                    "INSERT INTO agency_transactions (transaction_ref,agent_id,customer_account,"
                    "transaction_type,amount,fee,status,device_id,location_lat,location_lng,created_at) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    (f"AGT{now:%y%m%d}{i:08d}{r.randint(0, 99):02d}", agent_id, r.choice(accounts), kind,
                     amount, Decimal(30), r.choice(("COMPLETED",) * 9 + ("FAILED",)), r.choice(devices),
                     Decimal("-1.3") + Decimal(r.randint(0, 9999)) / 100_000,
                     Decimal("36.8") + Decimal(r.randint(0, 9999)) / 100_000,
                     (now - timedelta(seconds=r.randint(0, 86_400))).replace(tzinfo=None)),
                )  # fmt: skip
            for agent_id, _phone, devices in self.agents:
                for _ in range(r.randint(1, 3)):
                    cur.execute(
                        "INSERT INTO agent_auth_logs (agent_id,device_id,auth_type,status,ip_address,"
                        "created_at) VALUES (%s,%s,'PIN',%s,%s,%s)",
                        (agent_id, r.choice(devices), "FAILED" if r.random() < 0.05 else "SUCCESS",
                         f"105.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                         (now - timedelta(seconds=r.randint(0, 86_400))).replace(tzinfo=None)),
                    )  # fmt: skip
