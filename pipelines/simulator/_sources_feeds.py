"""The rest of the bank's source databases: v1-Core (both shapes), OpenBanking, Global and the feeds.

:class:`FeedBank` writes the same people :class:`~pipelines.simulator._sources.SourceBank` writes
into v5/DFS/CRM into these systems too, each the way that system holds them (v1 seeds ``+2547…``,
v1 Parties ``2547…`` and jsonb identifications, OpenBanking ``+254…``, Global ``07…`` and names
in another order, Salama an account id that is the phone, identity-intelligence OCR'd national
ids with prefixes, shared household devices), then activity: transactions, payments, wallets,
logins (Salama sessions, v1 portal logins), AML alerts as WekezaGlobal raises them, credit
scores. The true person behind each record goes to the ground truth, never into the databases.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType

import psycopg

from pipelines.simulator._people import Person

__all__ = ["FeedBank", "FeedUrls"]

_PG = "postgresql://brain:brain@127.0.0.1:5432/"
Conn = psycopg.Connection[tuple[object, ...]]


@dataclass(frozen=True, slots=True)
class FeedUrls:
    v1_core: str = _PG + "wekeza_core"  # SQL-seed / full-DDL shape
    v1_core_ef: str = _PG + "wekeza_core_ef"  # EF-migration shape
    openbanking: str = _PG + "wekeza_openbanking"  # production name: wekeza_banking
    wgi: str = _PG + "wgi_db"
    salama: str = _PG + "salama_security"
    wekezabank: str = _PG + "transactions_db"
    identity_intel: str = _PG + "identity_intelligence"


def _uid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def device_of(p: Person) -> str:
    """A household shares its phone and, often, its device."""
    return "dev-" + hashlib.sha1(p.household_id.encode()).hexdigest()[:12]


@dataclass
class FeedBank:
    urls: FeedUrls
    rng: random.Random
    truth: list[tuple[str, str, str, str]]
    conns: dict[str, Conn] = field(default_factory=dict)
    v1_accounts: list[tuple[str, str]] = field(default_factory=list)  # (db, account id)
    ob_accounts: list[str] = field(default_factory=list)
    wallets: list[tuple[str, str]] = field(default_factory=list)  # (wallet id, currency)
    salama_users: dict[str, tuple[str, str]] = field(default_factory=dict)  # person → (user id, device)
    v1_users: list[str] = field(default_factory=list)
    accounts_of: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # person → (db, account)
    _salama_ids: set[str] = field(default_factory=set)

    def __enter__(self) -> FeedBank:
        for name in ("v1_core", "v1_core_ef", "openbanking", "wgi", "salama", "wekezabank", "identity_intel"):
            self.conns[name] = psycopg.connect(
                getattr(self.urls, name).replace("postgresql+psycopg", "postgresql")
            )
        self.conns["salama"].execute("SET search_path = salama_security")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for conn in self.conns.values():
            if kind is None:
                conn.commit()
            conn.close()

    def commit(self) -> None:
        for conn in self.conns.values():
            conn.commit()

    def _truth(self, system: str, key: str, p: Person) -> None:
        self.truth.append((system, key, p.person_id, p.household_id))

    # --- people -----------------------------------------------------------------------------

    def person(self, p: Person, now: datetime) -> None:
        r = self.rng
        if r.random() < 0.35:
            self._v1_sql(p, now)
        if r.random() < 0.25:
            self._v1_ef(p, now)
        if r.random() < 0.2:
            self._openbanking(p)
        if r.random() < 0.15:
            self._wgi(p)
        if r.random() < 0.3:
            uid = _uid(r)
            account_id = "254" + p.phone_local[1:]  # a household's second member signs up by email
            account_id = p.email if account_id in self._salama_ids else account_id
            self._salama_ids.add(account_id)
            self.conns["salama"].execute(
                "INSERT INTO users (user_id,account_id,account_name,pin_hash) VALUES (%s,%s,%s,%s)",
                (uid, account_id, f"{p.first_name} {p.last_name}".upper(),
                 hashlib.sha256(p.person_id.encode()).hexdigest()),
            )  # fmt: skip
            self.salama_users[p.person_id] = (
                str(uid),
                device_of(p) if r.random() < 0.7 else f"dev-{uid.hex[:12]}",
            )
            self._truth("salama", str(uid), p)
        if r.random() < 0.15:
            self._identity_intel(p, now)

    def _v1_sql(self, p: Person, now: datetime) -> None:
        r, conn = self.rng, self.conns["v1_core"]
        cid = _uid(r)
        nid = r.choice((p.national_id, "ID" + p.national_id, "KE-ID-" + p.national_id))
        conn.execute(
            'INSERT INTO "Customers" ("Id","FirstName","LastName","Email","PhoneNumber","IdentificationNumber",'  # noqa: E501
            '"CreatedAt") VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING',
            (cid, p.first_name, p.last_name, p.email, "+254" + p.phone_local[1:], nid, now),
        )
        self._truth("v1_core", str(cid), p)
        if r.random() < 0.5:  # a portal user, linked to the customer by email
            uid = _uid(r)
            conn.execute(
                'INSERT INTO "Users" ("Id","Username","Email","FullName","Role","PhoneNumber") '
                "VALUES (%s,%s,%s,%s,'Customer',%s) ON CONFLICT DO NOTHING",
                (uid, f"{p.first_name.lower()}{p.person_id}", p.email, f"{p.first_name} {p.last_name}",
                 "+254" + p.phone_local[1:]),
            )  # fmt: skip
            self._truth("v1_core", f"user:{uid}", p)
            self.v1_users.append(str(uid))
        aid = _uid(r)
        conn.execute(
            'INSERT INTO "Accounts" ("Id","AccountNumber","CustomerId","Balance","AvailableBalance","BranchCode")'  # noqa: E501
            " VALUES (%s,%s,%s,0,0,%s)",
            (aid, f"ACC{r.randint(0, 9_999_999_999):010d}", cid, r.choice(("NBO001", "MSA002", "KSM003"))),
        )
        self.v1_accounts.append(("v1_core", str(aid)))
        self.accounts_of.setdefault(p.person_id, []).append(("v1_core", str(aid)))
        if r.random() < 0.3:
            pan = "5" + "".join(str(r.randint(0, 9)) for _ in range(15))
            conn.execute(
                'INSERT INTO "Cards" ("Id","CardNumber","AccountId") VALUES (%s,%s,%s) ON CONFLICT DO NOTHING',  # noqa: E501
                (_uid(r), pan, aid),
            )

    def _v1_ef(self, p: Person, now: datetime) -> None:
        r, conn = self.rng, self.conns["v1_core_ef"]
        owner = _uid(r)
        if r.random() < 0.6:  # the CIF path: a Party
            ids = [{"DocumentType": "National ID", "DocumentNumber": p.national_id, "IssuingCountry": "KE"}]
            conn.execute(
                'INSERT INTO "Parties" ("Id","PartyNumber","FirstName","MiddleName","LastName","DateOfBirth",'
                '"Gender","PrimaryEmail","PrimaryPhone","Identifications","KYCStatus","CreatedDate") '
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (owner, f"CIF{now:%Y%m%d}{r.randint(0, 999_999):06d}", p.first_name, p.middle_name, p.last_name,  # noqa: E501
                 datetime.combine(p.date_of_birth, datetime.min.time(), UTC), 1 if p.gender == "F" else 0,
                 p.email, "254" + p.phone_local[1:], json.dumps(ids), r.choice((0, 2, 2)), now),
            )  # fmt: skip
            if r.random() < 0.4:
                conn.execute(
                    'INSERT INTO "Loans" ("Id","LoanNumber","CustomerId","Principal_Amount","CreditScore",'
                    '"RiskGrade") VALUES (%s,%s,%s,%s,%s,%s)',
                    (_uid(r), f"LN{r.randint(0, 10**10):010d}", owner, r.choice((20_000, 50_000, 250_000)),
                     int(min(850, max(300, r.gauss(620, 90)))), r.choice("ABCDE")),
                )  # fmt: skip
        else:  # the legacy path: a Customer
            conn.execute(
                'INSERT INTO "Customers" ("Id","FirstName","LastName","Email","PhoneNumber","IdentificationNumber")'  # noqa: E501
                " VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                (owner, p.first_name, p.last_name, p.email, p.phone_local, p.national_id),
            )
        self._truth("v1_core", str(owner), p)
        aid = _uid(r)
        conn.execute(
            'INSERT INTO "Accounts" ("Id","AccountNumber","CustomerId","Balance_Amount","Status","OpenedDate")'  # noqa: E501
            " VALUES (%s,%s,%s,0,1,%s)",
            (aid, f"SAV{now:%Y%m}{r.randint(0, 999_999_999):09d}", owner, now),
        )
        self.v1_accounts.append(("v1_core_ef", str(aid)))
        self.accounts_of.setdefault(p.person_id, []).append(("v1_core_ef", str(aid)))

    def _openbanking(self, p: Person) -> None:
        r, conn = self.rng, self.conns["openbanking"]
        cid = _uid(r)
        conn.execute(
            "INSERT INTO customers (id,customer_number,first_name,last_name,email,phone,date_of_birth,kyc_status)"  # noqa: E501
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            (cid, f"CUST{r.randint(0, 10**9):09d}", p.first_name, p.last_name, p.email.lower(),
             "+254" + p.phone_local[1:], p.date_of_birth, r.choice(("pending", "verified"))),
        )  # fmt: skip
        self._truth("openbanking", str(cid), p)
        aid = _uid(r)
        conn.execute(
            "INSERT INTO accounts (id,account_number,customer_id,account_type,balance,available_balance) "
            "VALUES (%s,%s,%s,%s,0,0)",
            (aid, f"OB{r.randint(0, 10**10):010d}", cid, r.choice(("savings", "current"))),
        )
        self.ob_accounts.append(str(aid))

    def _wgi(self, p: Person) -> None:
        r, conn = self.rng, self.conns["wgi"]
        uid = _uid(r)
        name = f"{p.last_name} {p.first_name}" if r.random() < 0.3 else f"{p.first_name} {p.last_name}"
        conn.execute(
            "INSERT INTO users (user_id,full_name,email,phone_number,kyc_status) VALUES (%s,%s,%s,%s,%s) "
            "ON CONFLICT DO NOTHING",
            (uid, name, p.email, p.phone_local, r.choice(("pending", "verified"))),
        )
        self._truth("global", str(uid), p)
        for currency in ("KES", "USD") if r.random() < 0.4 else ("KES",):
            wid = _uid(r)
            conn.execute(
                "INSERT INTO wallets (wallet_id,user_id,currency,balance) VALUES (%s,%s,%s,%s)",
                (wid, uid, currency, Decimal(r.randint(0, 200_000))),
            )
            self.wallets.append((str(wid), currency))
        conn.execute(
            "INSERT INTO credit_scores (user_id,score) VALUES (%s,%s)", (uid, round(r.uniform(300, 850), 2))
        )
        if r.random() < 0.6:
            kid = _uid(r)
            conn.execute(
                "INSERT INTO kyc_documents (kyc_document_id,user_id,doc_type,file_url,status,verified_at) "
                "VALUES (%s,%s,'national_id',%s,'verified',now())",
                (kid, uid, f"s3://wgi-kyc/{kid}.pdf"),
            )
            self._truth("global", f"kyc:{kid}", p)

    def _identity_intel(self, p: Person, now: datetime) -> None:
        r, conn = self.rng, self.conns["identity_intel"]
        sid = _uid(r)
        conn.execute(
            "INSERT INTO verification_sessions (id,customer_name,customer_email,customer_phone,id_type,status,"  # noqa: E501
            "trust_score,device_fingerprint,client_ip) VALUES (%s,%s,%s,%s,'national_id',%s,%s,%s,%s)",
            (sid, f"{p.first_name} {p.last_name}", p.email, p.phone_local, r.choice(("pending", "verified")),
             r.randint(300, 950), device_of(p), f"41.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"),  # noqa: E501
        )  # fmt: skip
        self._truth("identity_intel", str(sid), p)
        did = _uid(r)
        ocr = {"id_number": r.choice((p.national_id, "ID " + p.national_id)), "name": p.last_name.upper(),
               "date_of_birth": p.date_of_birth.isoformat()}  # fmt: skip
        conn.execute(
            "INSERT INTO verification_documents (id,session_id,doc_type,ocr_data) VALUES (%s,%s,'id_front',%s),"  # noqa: E501
            "(%s,%s,'selfie',NULL)",
            (did, sid, json.dumps(ocr), _uid(r), sid),
        )
        self._truth("identity_intel", f"doc:{did}", p)

    # --- activity ---------------------------------------------------------------------------

    def activity(self, n: int, now: datetime) -> None:
        """``n`` transactions/payments/logins spread over the systems of this module."""
        r = self.rng
        people = list(self.salama_users.values())
        for i in range(n):
            kind = r.random()
            amount = (
                Decimal(r.choice((50, 200, 1000, 2500, 12_000, 60_000))) + Decimal(r.randint(0, 99)) / 100
            )
            if kind < 0.35 and self.v1_accounts:
                db, aid = r.choice(self.v1_accounts)
                if db == "v1_core":
                    self.conns[db].execute(
                        'INSERT INTO "Transactions" ("Id","TransactionReference","AccountId","TransactionType",'  # noqa: E501
                        '"Amount","Status","ProcessedAt") VALUES (%s,%s,%s,%s,%s,%s,%s)',
                        (_uid(r), f"TX-{now:%Y%m%d%H%M%S}-{i:06d}-{r.randint(0, 999)}", aid,
                         r.choice(("Deposit", "Withdrawal", "Transfer", "Payment")), amount,
                         r.choice(("Completed", "Success")), now),
                    )  # fmt: skip
                else:
                    self.conns[db].execute(
                        'INSERT INTO "Transactions" ("Id","CorrelationId","AccountId","Amount_Amount","Type")'
                        " VALUES (%s,%s,%s,%s,%s)",
                        (_uid(r), _uid(r), aid, amount, r.choice((0, 1, 2, 3))),
                    )
            elif kind < 0.55 and self.ob_accounts:
                aid = r.choice(self.ob_accounts)
                if r.random() < 0.5:
                    self.conns["openbanking"].execute(
                        "INSERT INTO transactions (transaction_ref,account_id,transaction_type,amount) "
                        "VALUES (%s,%s,%s,%s)",
                        (
                            f"OBT{uuid.UUID(int=r.getrandbits(128)).hex[:16]}",
                            aid,
                            r.choice(("credit", "debit")),
                            amount,
                        ),
                    )
                else:
                    risk = (
                        Decimal("0.10")
                        + (Decimal("0.30") if amount > 100_000 else 0)
                        + Decimal(r.randint(0, 20)) / 100
                    )
                    self.conns["openbanking"].execute(
                        "INSERT INTO payments (payment_ref,source_account_id,destination_account_number,amount,"  # noqa: E501
                        "status,risk_score) VALUES (%s,%s,%s,%s,%s,%s)",
                        (f"PAY{uuid.UUID(int=r.getrandbits(128)).hex[:16]}", aid, f"{r.randint(0, 10**12):012d}",  # noqa: E501
                         amount, r.choice(("completed", "completed", "pending", "failed")), risk),
                    )  # fmt: skip
            elif kind < 0.75 and self.wallets:
                self.wgi_transaction(
                    r.choice(self.wallets), r.choice(("deposit", "withdrawal", "transfer")), amount
                )
            elif people:
                uid, device = r.choice(people)
                self.login(uid, device, now - timedelta(seconds=r.randint(0, 86_400)))
            if i % 500 == 499:
                self.commit()
            if self.v1_users and r.random() < 0.05:
                self.conns["v1_core"].execute(
                    'UPDATE "Users" SET "LastLoginAt" = %s WHERE "Id" = %s', (now, r.choice(self.v1_users))
                )

    def wgi_transaction(self, wallet: tuple[str, str], kind: str, amount: Decimal) -> str:
        """A WGI transaction; withdrawals > 10,000 raise a medium AML alert, > 50,000 a high one."""
        r, tid = self.rng, _uid(self.rng)
        meta = {
            "channel": r.choice(("mpesa", "card", "web", "api")),
            "counterparty": f"2547{r.randint(10**7, 10**8 - 1)}",
        }
        self.conns["wgi"].execute(
            "INSERT INTO transactions (transaction_id,wallet_id,type,amount,currency,status,metadata) "
            "VALUES (%s,%s,%s,%s,%s,'completed',%s)",
            (tid, wallet[0], kind, amount, wallet[1], json.dumps(meta)),
        )
        if kind == "withdrawal" and amount > 10_000:
            self.conns["wgi"].execute(
                "INSERT INTO aml_alerts (transaction_id,type,severity) VALUES (%s,'LARGE_WITHDRAWAL',%s)",
                (tid, "high" if amount > 50_000 else "medium"),
            )
        return str(tid)

    def login(
        self, user_id: str, device: str, at: datetime, *, shadow: bool = False, ip: str | None = None
    ) -> str:
        sid = _uid(self.rng)
        self.conns["salama"].execute(
            "INSERT INTO sessions (session_id,user_id,session_token,session_mode,device_id,ip_address,user_agent,"  # noqa: E501
            "is_shadow,created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            (sid, user_id, sid.hex, "shadow" if shadow else "standard", device,
             ip or f"41.90.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}",
             self.rng.choice(("WekezaApp/3.2 Android", "WekezaApp/3.2 iOS", "ussd", "web")), shadow, at),
        )  # fmt: skip
        return str(sid)
