"""The bank's source databases, created locally and filled by a living bank.

``create_sources`` makes v5 ``wekeza_banking`` and the CRM shape on PostgreSQL, WekezaDFS
``wekeza_dfs_db`` on MariaDB, and (:mod:`._sources_feeds`) v1-Core in both schema shapes,
OpenBanking, WekezaGlobal, Salama, WekezaBank and identity-intelligence on PostgreSQL, with the
documented table shapes (:mod:`._sources_ddl`, :mod:`._ddl_core`, :mod:`._ddl_feeds`).
:class:`SourceBank` writes people (the same person in several systems, with the variations the
real systems show) and their accounts, cards, transactions, logins and alerts into them, then the
fraud patterns of :mod:`._sources_fraud`; the true person behind each source record goes to a
ground-truth CSV and the fraudulent records to ``fraud_truth.csv``, never into the databases.
"""

from __future__ import annotations

import csv
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pymysql
from sqlalchemy.engine.url import make_url

from pipelines.simulator._ddl_core import V1_EF_DDL, V1_SQL_DDL
from pipelines.simulator._ddl_feeds import (
    GLOBAL_DDL,
    IDENTITY_INTEL_DDL,
    OPENBANKING_DDL,
    SALAMA_DDL,
    WEKEZABANK_DDL,
)
from pipelines.simulator._people import Person, make_people
from pipelines.simulator._sources_agency import AgencyWriter
from pipelines.simulator._sources_ddl import CRM_DDL, DFS_DDL, V5_DDL, replica_identity_full
from pipelines.simulator._sources_feeds import FeedBank, FeedUrls
from pipelines.simulator._sources_fraud import FraudWriter

__all__ = ["SourceBank", "SourceUrls", "create_sources"]

_CHANNELS = ("MPESA", "USSD", "AGENCY", "BRANCH", "INTERNET", "MOBILE", "ATM")
_TYPES = ("Deposit", "Withdrawal", "Transfer", "Payment", "Airtime", "Bill")
_MERCHANTS = ("Naivas", "Carrefour Junction", "Quickmart", "Java House", "Shell Kilimani", "Jumia KE")


@dataclass(frozen=True, slots=True)
class SourceUrls:
    v5: str = "postgresql://brain:brain@127.0.0.1:5432/wekeza_banking"
    crm: str = "postgresql://brain:brain@127.0.0.1:5432/wekeza_crm"
    dfs: str = "mysql://brain:brain@127.0.0.1:3306/wekeza_dfs_db"
    feeds: FeedUrls = FeedUrls()  # v1-Core (both shapes), OpenBanking, Global, the feeds


def _pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _create_pg(url: str, ddl: str, drop: bool) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone()
        if exists and drop:
            for (slot,) in conn.execute(
                "SELECT slot_name FROM pg_replication_slots WHERE database = %s", (parsed.database,)
            ).fetchall():
                conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
            conn.execute(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
            exists = None
        if exists:
            return
        conn.execute(f'CREATE DATABASE "{parsed.database}"')
    with psycopg.connect(_pg_dsn(url), autocommit=True) as conn:
        conn.execute(ddl)
        for stmt in replica_identity_full(ddl):
            conn.execute(stmt)


def _mysql(url: str, database: bool = True) -> pymysql.connections.Connection:
    p = make_url(url)
    return pymysql.connect(
        host=p.host or "127.0.0.1",
        port=p.port or 3306,
        user=p.username or "",
        password=p.password or "",
        database=p.database if database else None,
        autocommit=True,
    )


def _create_mysql(url: str, ddl: str, drop: bool) -> None:
    name = make_url(url).database
    with _mysql(url, database=False) as conn, conn.cursor() as cur:
        if drop:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        if cur.execute("SHOW DATABASES LIKE %s", (name,)):
            return
        cur.execute(f"CREATE DATABASE `{name}`")
        cur.execute(f"USE `{name}`")
        for stmt in ddl.split(";"):
            if stmt.strip():
                cur.execute(stmt)


def create_sources(urls: SourceUrls, *, drop: bool = False) -> None:
    """Create the source databases with their shapes (idempotent unless ``drop``)."""
    _create_pg(urls.v5, V5_DDL, drop)
    _create_pg(urls.crm, CRM_DDL, drop)
    _create_mysql(urls.dfs, DFS_DDL, drop)
    f = urls.feeds
    for url, ddl in (
        (f.v1_core, V1_SQL_DDL),
        (f.v1_core_ef, V1_EF_DDL),
        (f.openbanking, OPENBANKING_DDL),
        (f.wgi, GLOBAL_DDL),
        (f.salama, SALAMA_DDL),
        (f.wekezabank, WEKEZABANK_DDL),
        (f.identity_intel, IDENTITY_INTEL_DDL),
    ):
        _create_pg(url, ddl, drop)


def _luhn_pan(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        v = d * 2 if i % 2 == 0 else d
        total += v - 9 if v > 9 else v
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _phone_variant(p: Person, rng: random.Random) -> str:
    local = p.phone_local
    return rng.choice((local, "254" + local[1:], "+254" + local[1:], local[:4] + " " + local[4:]))


def _id_variant(p: Person, rng: random.Random) -> str:
    return rng.choice((p.national_id, p.national_id, "ID" + p.national_id, "KE-ID-" + p.national_id))


@dataclass
class SourceBank:
    urls: SourceUrls
    seed: int = 7
    truth: list[tuple[str, str, str, str]] = field(default_factory=list)
    _accounts: list[tuple[str, str]] = field(default_factory=list)  # (system, account key)
    _cards: list[str] = field(default_factory=list)
    _card_owner: dict[str, str] = field(default_factory=dict)
    fraud_truth: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    """(system, table, key, pattern, person_id) of every fraudulent record."""
    feeds: FeedBank | None = None
    agency: AgencyWriter | None = None

    def populate(
        self, customers: int, progress: Callable[[int], None] | None = None, fraud_share: float = 0.02
    ) -> None:
        """``customers`` people in every system; a ``fraud_share`` of them in a fraud pattern."""
        rng = random.Random(self.seed)
        people = make_people(customers, rng)
        now = datetime.now(UTC)
        self.feeds = FeedBank(self.urls.feeds, random.Random(self.seed + 2), self.truth)
        with (
            psycopg.connect(_pg_dsn(self.urls.v5)) as v5,
            psycopg.connect(_pg_dsn(self.urls.crm)) as crm,
            _mysql(self.urls.dfs) as dfs,
            self.feeds as feeds,
        ):
            for i in range(0, len(people), 500):
                chunk = people[i : i + 500]
                for person in chunk:
                    self._person(person, rng, v5, crm, dfs)
                    feeds.person(person, now)
                v5.commit()
                crm.commit()
                feeds.commit()
                if progress is not None:
                    progress(len(chunk))
            self.agency = AgencyWriter(random.Random(self.seed + 4), self.truth)
            self.agency.populate(people, dfs, now)
            self._fraud(people, fraud_share, v5, feeds, now)

    def _fraud(
        self,
        people: list[Person],
        share: float,
        v5: psycopg.Connection[tuple[object, ...]],
        feeds: FeedBank,
        now: datetime,
    ) -> None:
        rng = random.Random(self.seed + 3)
        writer = FraudWriter(feeds, rng, now, self.fraud_truth)
        n = max(1, int(len(people) * share)) if share > 0 else 0
        banked = [p for p in people if p.person_id in feeds.accounts_of]  # with a v1-Core account
        online = [p for p in banked if p.person_id in feeds.salama_users]  # … and a mobile login
        for p in rng.sample(online, k=min(len(online), n)):
            writer.account_takeover(p)
        for _ in range(max(1, n // 3) if n else 0):
            mule, *victims = rng.sample(banked, k=min(len(banked), rng.randint(6, 15)))
            writer.mule_fan_out(mule, victims)
        for card in rng.sample(self._cards, k=min(len(self._cards), max(1, n // 2) if n else 0)):
            writer.card_testing(v5, card, self._card_owner[card])
        v5.commit()
        feeds.commit()

    def _person(
        self,
        p: Person,
        rng: random.Random,
        v5: psycopg.Connection[tuple[object, ...]],
        crm: psycopg.Connection[tuple[object, ...]],
        dfs: pymysql.connections.Connection,
    ) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        if rng.random() < 0.8:
            cid = uuid.UUID(int=rng.getrandbits(128))
            v5.execute(
                'INSERT INTO "Customers" ("Id","CustomerNumber","FirstName","MiddleName","LastName","Email",'
                '"IdentificationNumber","DateOfBirth","Gender","PrimaryPhone","KYCStatus","CreatedAt") '
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (
                    cid, f"CUS-{cid.hex[:8].upper()}", p.first_name, p.middle_name,
                    p.last_name.upper() if rng.random() < 0.2 else p.last_name,
                    p.email.title() if rng.random() < 0.2 else p.email,
                    _id_variant(p, rng), p.date_of_birth, "Female" if p.gender == "F" else "Male",
                    _phone_variant(p, rng), rng.choice(("Pending", "Verified", "Verified")), now,
                ),
            )  # fmt: skip
            self.truth.append(("v5", str(cid), p.person_id, p.household_id))
            if int(p.person_id[1:]) % 3 == 0:  # a third have an address on file (no random draw)
                v5.execute(
                    'INSERT INTO "Addresses" ("Id","CustomerId","AddressType","AddressLine1","City",'
                    "\"Country\") VALUES (%s,%s,'Home',%s,%s,'Kenya')",
                    (uuid.uuid5(cid, "address"), cid, f"{int(p.person_id[1:]) % 200 + 1} Moi Avenue", p.city),
                )
            aid = uuid.UUID(int=rng.getrandbits(128))
            v5.execute(
                'INSERT INTO "Accounts" ("Id","AccountNumber","CustomerId","Balance","AvailableBalance","CreatedAt")'  # noqa: E501
                " VALUES (%s,%s,%s,%s,%s,%s)",
                (aid, f"WKZ-{aid.hex[:8].upper()}", cid, Decimal("0.00"), Decimal("0.00"), now),
            )
            self._accounts.append(("v5", str(aid)))
            if rng.random() < 0.4:
                card = uuid.UUID(int=rng.getrandbits(128))
                v5.execute(
                    'INSERT INTO "Cards" ("Id","CardNumber","CustomerId","AccountId","CardHolderName") '
                    "VALUES (%s,%s,%s,%s,%s)",
                    (card, _luhn_pan(rng), cid, aid, f"{p.first_name} {p.last_name}".upper()),
                )
                self._cards.append(str(card))
                self._card_owner[str(card)] = p.person_id
        if rng.random() < 0.5:
            with dfs.cursor() as cur:
                cur.execute(
                    "INSERT INTO users (full_name,email,phone_number,national_id,kyc_tier) VALUES (%s,%s,%s,%s,%s)",  # noqa: E501
                    (
                        f"{p.first_name} {p.last_name}", p.email, _phone_variant(p, rng),
                        _id_variant(p, rng), rng.choice(("TIER_1", "TIER_2", "TIER_3")),
                    ),
                )  # fmt: skip
                uid = cur.lastrowid
                cur.execute(
                    "INSERT INTO accounts (account_number,user_id,balance) VALUES (%s,%s,%s)",
                    (f"ACC{uid:08d}", uid, Decimal("0.00")),
                )
                self.truth.append(("dfs", f"user:{uid}", p.person_id, p.household_id))
                self._accounts.append(("dfs", str(cur.lastrowid)))
        if rng.random() < 0.3:
            cid = uuid.UUID(int=rng.getrandbits(128))
            crm.execute(
                'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","Email","PhoneNumber",'  # noqa: E501
                '"DateOfBirth","City","Segment","CreatedAt") VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)',
                (
                    cid, f"CRM-{cid.hex[:10].upper()}", p.first_name, p.last_name, p.email,
                    _phone_variant(p, rng), p.date_of_birth, p.city, rng.choice(("Retail", "Premier", "SME")),
                    now,
                ),
            )  # fmt: skip
            self.truth.append(("crm", str(cid), p.person_id, p.household_id))

    def transactions(
        self, n: int, rate: float | None = None, progress: Callable[[int], None] | None = None
    ) -> None:
        """``n`` transactions across channels (at ``rate`` per second when given)."""
        rng = random.Random(self.seed + 1)
        start = time.monotonic()
        with psycopg.connect(_pg_dsn(self.urls.v5)) as v5, _mysql(self.urls.dfs) as dfs:
            for i in range(n):
                system, account = rng.choice(self._accounts)
                amount = (
                    Decimal(rng.choice((50, 100, 250, 500, 1000, 2500, 12000)))
                    + Decimal(rng.randint(0, 99)) / 100
                )
                if system == "v5" and self._cards and rng.random() < 0.25:
                    v5.execute(
                        'INSERT INTO "POSTransactions" ("Id","CardId","Reference","MerchantName","Amount") '
                        "VALUES (%s,%s,%s,%s,%s)",
                        (uuid.uuid4(), rng.choice(self._cards), f"POS-{uuid.uuid4().hex[:10]}", rng.choice(_MERCHANTS), amount),  # noqa: E501
                    )  # fmt: skip
                elif system == "v5":
                    v5.execute(
                        'INSERT INTO "Transactions" ("Id","AccountId","Type","Amount","Reference","ProcessedBy") '  # noqa: E501
                        "VALUES (%s,%s,%s,%s,%s,%s)",
                        (uuid.uuid4(), account, rng.choice(_TYPES), amount, f"TX-{uuid.uuid4().hex[:12]}", rng.choice(_CHANNELS)),  # noqa: E501
                    )  # fmt: skip
                else:
                    with dfs.cursor() as cur:
                        cur.execute(
                            "INSERT INTO transactions (account_id,txn_type,amount,reference_code) VALUES (%s,%s,%s,%s)",  # noqa: E501
                            (int(account), rng.choice(("DEPOSIT", "WITHDRAWAL", "MPESA_IN", "MPESA_OUT")), amount, f"R{i}"),  # noqa: E501
                        )  # fmt: skip
                if i % 100 == 99:
                    v5.commit()
                    if progress is not None:
                        progress(100)
                if rate:
                    ahead = (i + 1) / rate - (time.monotonic() - start)
                    if ahead > 0:
                        time.sleep(ahead)
            v5.commit()
            if self.agency is not None:  # cash in/out at agents: a quarter as much again
                self.agency.activity(n // 4, dfs, datetime.now(UTC))
        if self.feeds is not None:  # the other systems' activity: a third as much again
            with self.feeds as feeds:
                feeds.activity(n // 3, datetime.now(UTC))

    def write_ground_truth(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["source_system", "source_key", "person_id", "household_id"])
            w.writerows(sorted(self.truth))
        with path.with_name("fraud_truth.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["source_system", "source_table", "source_key", "pattern", "person_id"])
            w.writerows(self.fraud_truth)
